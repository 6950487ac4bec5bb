"""What our fields are called in XMP, how other tools spell the same facts, and the edits that
bring a packet in line with the app.

Ratings, picks and labels are written where every tool looks (`xmp:Rating`, `xmp:Label`,
`digiKam:PickLabel`); the copies that digiKam, darktable and Windows keep of the same facts are
updated only where the file already has them. Model scores go into our own namespace as flat
simple properties, so every tool carries them along and exiftool lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from humanaes_desktop.engine.dimensions import DIMENSION_KEYS
from humanaes_desktop.library.records import Flag
from humanaes_desktop.library.xmp.edit import Change, SeqChange
from humanaes_desktop.library.xmp.packet import Packet
from humanaes_desktop.library.xmp.records import RATING_FIELDS  # noqa: F401 (re-exported)

NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_DIGIKAM = "http://www.digikam.org/ns/1.0/"
NS_PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
NS_DARKTABLE = "http://darktable.sf.net/"
# Windows writes the URI with a trailing slash, exiftool without; both are found.
NS_MICROSOFT = ("http://ns.microsoft.com/photo/1.0/", "http://ns.microsoft.com/photo/1.0")
# Our namespace. Matching is by exact URI, so this string is fixed forever: add properties,
# never rename them or change the URI (a new incompatible layout gets a new version path).
NS_HUMANAES = "https://humanaes-desktop.org/ns/xmp/1.0/"
HUMANAES_PREFIX = "humanaes"
SCHEMA_VERSION = "1"

LABEL_NAMES: dict[str, str] = {
    "red": "Red",
    "yellow": "Yellow",
    "green": "Green",
    "blue": "Blue",
    "purple": "Purple",
}
_LABEL_READ = {**{v.lower(): k for k, v in LABEL_NAMES.items()}, "magenta": "purple"}
# digiKam's ColorLabel (and its photoshop:Urgency copy): 0 none, 1 red, 2 orange, 3 yellow,
# 4 green, 5 blue, 6 magenta, 7 gray, 8 black, 9 white. Orange..white have no app equivalent.
DIGIKAM_COLOR: dict[str, int] = {"": 0, "red": 1, "yellow": 3, "green": 4, "blue": 5, "purple": 6}
# darktable:colorlabels is an rdf:Seq of 0 red, 1 yellow, 2 green, 3 blue, 4 purple.
DARKTABLE_COLOR: dict[str, int] = {"red": 0, "yellow": 1, "green": 2, "blue": 3, "purple": 4}
# digiKam's PickLabel: 0 none, 1 rejected, 2 pending, 3 accepted.
PICK_LABEL: dict[Flag, str] = {Flag.NONE: "0", Flag.REJECTED: "1", Flag.PICKED: "3"}
_PICK_LABEL_READ = {"0": Flag.NONE, "1": Flag.REJECTED, "2": Flag.NONE, "3": Flag.PICKED}
PICK_NAMES: dict[Flag, str] = {Flag.NONE: "none", Flag.REJECTED: "rejected", Flag.PICKED: "picked"}
_PICK_NAMES_READ = {v: k for k, v in PICK_NAMES.items()}
MICROSOFT_RATING = ("0", "1", "25", "50", "75", "99")  # stars 0..5 as Windows stores them


def property_name(key: str) -> str:
    """A dimension key as an XMP property name: 'facial_skin_tone' -> 'FacialSkinTone'."""
    return "".join(part.capitalize() for part in key.split("_"))


SCORE_PROPERTIES: tuple[str, ...] = (
    "Overall",
    "Level",
    *(property_name(k) for k in DIMENSION_KEYS),
    "Model",
    "Profile",
    "ScoredAt",
    "Synthetic",
)


class KnownValues(Protocol):
    """What a merge knows of a field's earlier value: the app's ratings or the last synced ones."""

    @property
    def flag(self) -> Flag | None: ...

    @property
    def color(self) -> str | None: ...


@dataclass(frozen=True)
class Ratings:
    """The user's rating as the sync compares it: stars 0-5, flag, colour ("" for none)."""

    stars: int = 0
    flag: Flag = Flag.NONE
    color: str = ""

    def get(self, name: str):
        return getattr(self, name)


@dataclass(frozen=True)
class Reading:
    """What one packet says about each field; None where it says nothing."""

    stars: int | None = None  # also None when a reject (-1) hides the stars
    flag: Flag | None = None
    color: str | None = None  # "" is an explicit "no label"
    rating_raw: str | None = None  # xmp:Rating as written, for telling a changed reject

    def get(self, name: str):
        return getattr(self, name)


@dataclass(frozen=True)
class ScoreValues:
    """The current assessment's values as they go into our namespace."""

    overall: float
    level: str
    dimensions: dict[str, float]
    model: str  # repo@revision
    profile: str
    scored_at: str  # ISO 8601
    synthetic: bool


def choose(candidates: list, base):
    """Of several copies of one fact, the one that moved away from the last synced value wins
    (another tool updated only its own copy); if none moved, the first. None if no copy."""
    if not candidates:
        return None
    if base is not None:
        for candidate in candidates:
            if candidate != base:
                return candidate
    return candidates[0]


def _int(text: str | None) -> int | None:
    try:
        return int(text.strip()) if text is not None else None
    except ValueError:
        return None


def _stars(rating: int | None) -> int | None:
    return rating if rating is not None and 0 <= rating <= 5 else None


def _colors(packet: Packet, base: str | None) -> str | None:
    candidates: list[str] = []
    label = packet.value(NS_XMP, "Label")
    if label is not None:
        # A label name we do not know (Lightroom lets users rename them) reads as no label we
        # can show; it is only overwritten when the user changes the label in the app.
        candidates.append(_LABEL_READ.get(label.strip().lower(), ""))
    code = _int(packet.value(NS_DIGIKAM, "ColorLabel"))
    if code is not None:
        candidates.append(next((k for k, v in DIGIKAM_COLOR.items() if v == code), ""))
    for prop in packet.find(NS_DARKTABLE, "colorlabels"):
        items = [] if prop.element is None else [li.text for li in prop.element.iter() if li.text]
        codes = [c for c in (_int(i) for i in items) if c is not None]
        candidates.append(
            next((k for k, v in DARKTABLE_COLOR.items() if codes and v == codes[0]), "")
        )
    return choose(candidates, base)


def _flag(packet: Packet, rating: int | None, base: KnownValues | None, base_raw: str | None):
    if rating == -1:
        return Flag.REJECTED
    candidates = [
        flag
        for flag in (
            _PICK_LABEL_READ.get((packet.value(NS_DIGIKAM, "PickLabel") or "").strip()),
            _PICK_NAMES_READ.get((packet.value(NS_HUMANAES, "Pick") or "").strip()),
        )
        if flag is not None
    ]
    if base_raw is not None and base_raw.strip() == "-1" and rating is not None:
        # The file said -1 (rejected) and another tool replaced it with stars: un-rejected,
        # even though digiKam's PickLabel or our own Pick still say "rejected".
        candidates = [f for f in candidates if f != Flag.REJECTED] or [Flag.NONE]
    return choose(candidates, base.flag if base else None)


def read_packet(packet: Packet, base: KnownValues | None, base_raw: str | None) -> Reading:
    """The packet's stars, flag and colour, each None where the packet does not say."""
    raw = packet.value(NS_XMP, "Rating")
    rating = _int(raw)
    return Reading(
        stars=_stars(rating),
        flag=_flag(packet, rating, base, base_raw),
        color=_colors(packet, base.color if base else None),
        rating_raw=raw,
    )


@dataclass(frozen=True)
class WriteOptions:
    reject_as_minus_one: bool = True
    digikam: bool = True


def rating_changes(
    packet: Packet, target: Ratings, fields: set[str], options: WriteOptions
) -> list[Change | SeqChange]:
    """Edits that make `packet` say `target` for `fields`. Properties are created only for
    values the user set (never a "0" or an empty label), and other tools' copies only updated."""
    changes: list[Change | SeqChange] = []
    rejected = target.flag == Flag.REJECTED
    if fields & {"stars", "flag"}:
        rating = "-1" if rejected and options.reject_as_minus_one else str(target.stars)
        changes.append(Change(NS_XMP, "Rating", rating, rating != "0", "xmp"))
        microsoft = "0" if rejected else MICROSOFT_RATING[target.stars]
        changes += [Change(ns, "Rating", microsoft) for ns in NS_MICROSOFT]
    if "flag" in fields:
        is_set = target.flag != Flag.NONE
        pick = PICK_LABEL[target.flag]
        changes.append(Change(NS_DIGIKAM, "PickLabel", pick, is_set and options.digikam, "digiKam"))
        changes.append(
            Change(NS_HUMANAES, "Pick", PICK_NAMES[target.flag], is_set, HUMANAES_PREFIX)
        )
    if "color" in fields:
        changes += _color_changes(packet, target.color)
    if any(c.ns == NS_HUMANAES for c in changes):
        changes.append(Change(NS_HUMANAES, "SchemaVersion", SCHEMA_VERSION, True, HUMANAES_PREFIX))
    return changes


def _color_changes(packet: Packet, color: str) -> list[Change | SeqChange]:
    code = str(DIGIKAM_COLOR[color])
    changes: list[Change | SeqChange] = [
        Change(NS_XMP, "Label", LABEL_NAMES.get(color), True, "xmp"),  # None: removed, never ""
        Change(NS_DIGIKAM, "ColorLabel", code),
    ]
    # photoshop:Urgency means "priority" to other tools; only digiKam uses it as a colour copy.
    if packet.find(NS_DIGIKAM, "ColorLabel"):
        changes.append(Change(NS_PHOTOSHOP, "Urgency", code))
    darktable = DARKTABLE_COLOR.get(color)
    changes.append(
        SeqChange(NS_DARKTABLE, "colorlabels", None if darktable is None else (str(darktable),))
    )
    return changes


def score_changes(scores: ScoreValues) -> list[Change]:
    """Our namespace's score properties; decimals always with '.', whatever the locale."""
    values = {
        "Overall": f"{scores.overall:.4f}",
        "Level": scores.level,
        **{property_name(k): f"{scores.dimensions[k]:.4f}" for k in DIMENSION_KEYS},
        "Model": scores.model,
        "Profile": scores.profile,
        "ScoredAt": scores.scored_at,
        "Synthetic": "True" if scores.synthetic else "False",
        "SchemaVersion": SCHEMA_VERSION,
    }
    return [
        Change(NS_HUMANAES, name, value, True, HUMANAES_PREFIX) for name, value in values.items()
    ]


def read_scores(packet: Packet) -> dict[str, str]:
    """Our namespace's properties as written (for status output and tests)."""
    return {
        p.name: p.value for p in packet.properties() if p.ns == NS_HUMANAES and p.value is not None
    }
