"""The suggested best frame of a burst, with the reasons shown to the user.

Gates first, because a sharp blink is still a blink (a painted lash line even makes the blink
the sharpest face of its burst): eyes closed on a prominent face, soft relative to the group,
clipped beyond what the group's other frames show. Among the frames that pass, rank by face and
eye sharpness relative to the group, then the sharpest tile and whole-frame sharpness, then
exposure nearest the group's median; aesthetic scores, once the model has made them for every
frame, join as one more term inside the gates. Nothing here rejects anything: the result is a
suggestion and its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

SOFT_RELATIVE = 0.5  # below half the group's best sharpness: soft
CLIP_MARGIN = 0.02  # clipping this much above the group's least clipped frame counts
CLIP_ABSOLUTE = 0.05  # ... and only once the frame clips at least this much
RELATIVE_EYES = 0.75  # iris contrast below this share of the same face's best: closed
FACE_MATCH = 0.5  # face centres closer than this many face widths are the same person
WEIGHTS = {"face": 0.55, "detail": 0.3, "exposure": 0.15, "aesthetic": 0.3}

REASON_TEXT = {
    "sharpest": "sharpest in burst",
    "sharpest_usable": "sharpest without a problem",
    "eyes_open": "eyes open",
    "best_exposed": "best exposed",
    "best_aesthetic": "highest aesthetic score",
    "eyes_closed": "eyes closed",
    "soft": "soft",
    "clipped": "clipped",
    "less_sharp": "less sharp than the pick",
    "keep_whole": "part of a set: keep all",
}


@dataclass(frozen=True)
class FaceView:
    cx: float  # centre, fraction of the frame
    cy: float
    w: float
    prominent: bool
    eyes: str
    eyes_seen: int
    iris_darkness: float


@dataclass(frozen=True)
class Candidate:
    """What best-of needs of one frame (built from its stored signals)."""

    image_id: int
    peak: float
    global_: float
    face: float | None  # worst prominent face's sharpness
    eyes: float | None  # worst prominent face's eye sharpness
    faces: tuple[FaceView, ...]
    highlights: float
    shadows: float
    mean_luma: float
    aesthetic: float | None = None  # the model's overall score, once scored


@dataclass(frozen=True)
class Verdict:
    image_id: int
    rank: int  # 0 = the suggested pick
    score: float
    reasons: tuple[str, ...]  # keys of REASON_TEXT

    @property
    def text(self) -> str:
        return ", ".join(REASON_TEXT[r] for r in self.reasons)


def _closed_relative(c: Candidate, group: list[Candidate]) -> bool:
    """A prominent face whose eyes nobody saw and whose iris contrast is well below what the
    same person shows in the other frames (catches blinks the absolute test called unknown)."""
    for face in c.faces:
        if not face.prominent or face.eyes_seen:
            continue
        same = [
            other_face.iris_darkness
            for other in group
            if other is not c
            for other_face in other.faces
            if abs(other_face.cx - face.cx) + abs(other_face.cy - face.cy) < FACE_MATCH * face.w
        ]
        if same and max(same) >= 0.3 and face.iris_darkness < RELATIVE_EYES * max(same):
            return True
    return False


def _sharpness_keys(group: list[Candidate]) -> list[float]:
    """One comparable sharpness per frame: eyes where every frame has them, else faces where
    every frame has one, else the sharpest tile (never a mix: the scales differ)."""
    if all(c.eyes for c in group):
        return [c.eyes for c in group]  # type: ignore[misc]
    if all(c.face for c in group):
        return [c.face for c in group]  # type: ignore[misc]
    return [c.peak for c in group]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


class _Group:
    """What every frame is judged against (computed once per burst; bursts are small, so
    plain Python beats numpy's per-call overhead here)."""

    def __init__(self, group: list[Candidate]) -> None:
        self.members = group
        self.keys = _sharpness_keys(group)
        self.best_key = max(self.keys)
        self.least_highlights = min(c.highlights for c in group)
        self.least_shadows = min(c.shadows for c in group)
        self.median_luma = _median([c.mean_luma for c in group])

    def gates(self, c: Candidate, key: float) -> list[str]:
        reasons = []
        closed = any(f.prominent and f.eyes == "closed" for f in c.faces)
        if closed or _closed_relative(c, self.members):
            reasons.append("eyes_closed")
        if key < SOFT_RELATIVE * self.best_key:
            reasons.append("soft")
        if (
            c.highlights >= CLIP_ABSOLUTE and c.highlights > self.least_highlights + CLIP_MARGIN
        ) or (c.shadows >= 4 * CLIP_ABSOLUTE and c.shadows > self.least_shadows + 4 * CLIP_MARGIN):
            reasons.append("clipped")
        return reasons

    def scores(self) -> list[float]:
        def relative(values: list[float]) -> list[float]:
            top = max(values)
            return [v / top if top > 0 else 0.0 for v in values]

        group = self.members
        face = relative(self.keys)
        peak = relative([c.peak for c in group])
        whole = relative([c.global_ for c in group])
        aesthetic = (
            relative([c.aesthetic for c in group])  # type: ignore[misc]
            if all(c.aesthetic is not None for c in group)
            else None
        )
        totals = []
        for i, c in enumerate(group):
            exposure = 1.0 - min(1.0, abs(c.mean_luma - self.median_luma) / 64.0)
            total = (
                WEIGHTS["face"] * face[i]
                + WEIGHTS["detail"] * (0.5 * peak[i] + 0.5 * whole[i])
                + WEIGHTS["exposure"] * exposure
            )
            if aesthetic is not None:
                total += WEIGHTS["aesthetic"] * aesthetic[i]
            totals.append(total)
        return totals


def rank_burst(group: list[Candidate]) -> list[Verdict]:
    """Verdicts for every frame of a burst, the suggested pick first (deterministic)."""
    if not group:
        return []
    judged = _Group(group)
    gates = [judged.gates(c, k) for c, k in zip(group, judged.keys, strict=True)]
    scores = judged.scores()
    order = sorted(
        range(len(group)), key=lambda i: (len(gates[i]) > 0, -scores[i], group[i].image_id)
    )
    verdicts = []
    for rank, i in enumerate(order):
        reasons = list(gates[i])
        if rank == 0:
            usable = [k for k, g in zip(judged.keys, gates, strict=True) if not g] or judged.keys
            reasons = _pick_reasons(judged, i, max(usable)) + reasons
        elif not reasons:
            reasons = ["less_sharp"]
        verdicts.append(Verdict(group[i].image_id, rank, round(scores[i], 4), tuple(reasons)))
    return verdicts


def _pick_reasons(judged: _Group, i: int, usable: float) -> list[str]:
    group, keys = judged.members, judged.keys
    c = group[i]
    reasons = []
    if keys[i] >= judged.best_key:
        reasons.append("sharpest")
    elif keys[i] >= usable:
        reasons.append("sharpest_usable")
    if any(f.prominent and f.eyes == "open" for f in c.faces):
        reasons.append("eyes_open")
    if c.aesthetic is not None and c.aesthetic >= max(x.aesthetic or 0 for x in group):
        reasons.append("best_aesthetic")
    off = [abs(x.mean_luma - judged.median_luma) for x in group]
    if off[i] <= min(off) + 1e-9:
        reasons.append("best_exposed")
    return reasons


def keep_whole(group: list[Candidate]) -> list[Verdict]:
    """A set (bracket, focus stack, panorama): every frame kept, none suggested over another."""
    return [Verdict(c.image_id, 0, 0.0, ("keep_whole",)) for c in group]
