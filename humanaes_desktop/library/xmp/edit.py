"""Surgical edits of a packet: set, create or remove a few top-level properties, then prove that
nothing else changed.

The proof is a re-parse of the result: every element, attribute, comment and processing
instruction of the input that the edit does not own must still be there with the same value and
prefix, and every owned property must read back as asked. A failed proof raises
SidecarEditError and nothing is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lxml import etree

from humanaes_desktop.library.xmp.packet import (
    NS_RDF,
    Packet,
    Property,
    SidecarEditError,
    SidecarParseError,
    parse_packet,
)
from humanaes_desktop.library.xmp.splice import Splicer, escape_text

log = logging.getLogger(__name__)

_RDF_ARRAYS = {f"{{{NS_RDF}}}{kind}" for kind in ("Seq", "Bag", "Alt")}

NEW_PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="HumanAes Desktop">\n'
    b' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    b"  <rdf:Description\n"
    b'    rdf:about=""/>\n'
    b" </rdf:RDF>\n"
    b"</x:xmpmeta>\n"
    b'<?xpacket end="w"?>\n'
)


@dataclass(frozen=True)
class Change:
    """Set a simple property to `value` (None removes it); `create` allows adding it."""

    ns: str
    name: str
    value: str | None
    create: bool = False
    prefix: str = "ns"  # the prefix to bind when the namespace is not declared yet


@dataclass(frozen=True)
class SeqChange:
    """Replace the items of an existing array property (None removes the property)."""

    ns: str
    name: str
    items: tuple[str, ...] | None


def _prefix_for(description: etree._Element, ns: str, wanted: str) -> tuple[str, bool]:
    """(prefix, must_declare): the prefix already bound to `ns` here, or a free one."""
    in_scope = description.nsmap
    for prefix, uri in in_scope.items():
        if uri == ns and prefix:
            return prefix, False
    candidate, number = wanted, 1
    while candidate in in_scope:  # bound to another namespace: never rebind it
        number += 1
        candidate = f"{wanted}{number}"
    return candidate, True


class _Edit:
    """One edit of one packet; `run()` returns the new bytes (or None when nothing changes)."""

    def __init__(self, packet: Packet) -> None:
        self.packet = packet
        self.splicer = Splicer(packet.data, packet.elements())
        self.expected: dict[tuple[str, str], object] = {}
        self.declared: dict[str, str] = {}  # namespace -> prefix bound for this edit's additions
        self._declarations: list[tuple[bytes, str]] = []  # laid out before the new properties
        self._additions: list[tuple[bytes, str]] = []

    def _attribute_name(self, prop: Property) -> bytes:
        # The prefix as the file writes it (a namespace may have several prefixes in scope).
        for prefix, uri in prop.description.nsmap.items():
            if uri == prop.ns and prefix:
                raw = f"{prefix}:{prop.name}".encode()
                if self.splicer.has_attribute(prop.description, raw):
                    return raw
        raise SidecarEditError(f"cannot find how the sidecar writes {prop.name}")

    def simple(self, change: Change) -> None:
        found = self.packet.find(change.ns, change.name)
        if any(p.value is None for p in found):
            log.warning("sidecar property %s is not a simple value; left alone", change.name)
            return
        if not found:
            if change.value is not None and change.create:
                self._add(change)
            return
        for prop in found:
            if prop.value == change.value:
                continue
            if change.value is None:
                self._remove(prop)
            elif prop.is_attribute:
                self.splicer.set_attribute(
                    prop.description, self._attribute_name(prop), change.value
                )
            else:
                self.splicer.set_text(prop.element, change.value)
        self.expected[(change.ns, change.name)] = change.value

    def _remove(self, prop: Property) -> None:
        if prop.is_attribute:
            self.splicer.remove_attribute(prop.description, self._attribute_name(prop))
        else:
            self.splicer.remove_element(prop.element)

    def _add(self, change: Change) -> None:
        assert change.value is not None  # only a value to set is ever added
        description = self.packet.descriptions()[0]
        prefix = self.declared.get(change.ns)
        if prefix is None:
            prefix, declare = _prefix_for(description, change.ns, change.prefix)
            if declare:
                self._declarations.append((f"xmlns:{prefix}".encode(), change.ns))
            self.declared[change.ns] = prefix
        self._additions.append((f"{prefix}:{change.name}".encode(), change.value))
        self.expected[(change.ns, change.name)] = change.value

    def seq(self, change: SeqChange) -> None:
        for prop in self.packet.find(change.ns, change.name):
            arrays = (
                [] if prop.element is None else [c for c in prop.element if c.tag in _RDF_ARRAYS]
            )
            if len(arrays) != 1:
                log.warning("sidecar property %s is not an array; left alone", change.name)
                continue
            if change.items is None:
                self._remove(prop)
                continue
            current = tuple((li.text or "").strip() for li in arrays[0])
            if current != change.items:
                self.splicer.set_content(arrays[0], self._items(arrays[0], change.items))

    def _items(self, array: etree._Element, items: tuple[str, ...]) -> bytes:
        own, inner = self.splicer.indentation_inside(array)
        prefix = array.prefix or "rdf"
        lines = [
            b"\n" + inner + f"<{prefix}:li>".encode() + escape_text(v) + f"</{prefix}:li>".encode()
            for v in items
        ]
        return b"".join(lines) + (b"\n" + own if items else b"")

    def run(self) -> bytes | None:
        if self._additions:
            description = self.packet.descriptions()[0]
            for name, value in (*self._declarations, *self._additions):
                self.splicer.add_attribute(description, name, value)
        result = self.splicer.apply()
        return None if result == self.packet.data else result


def apply_changes(packet: Packet, changes: list[Change | SeqChange]) -> bytes | None:
    """The packet's bytes with `changes` made surgically, proven safe; None if nothing changes."""
    unique = {(c.ns, c.name): c for c in reversed(changes)}  # the first of duplicates wins
    changes = [c for c in changes if unique[(c.ns, c.name)] is c]
    if not packet.descriptions() and any(getattr(c, "create", False) for c in changes):
        packet = _with_description(packet)
    edit = _Edit(packet)
    for change in changes:
        if isinstance(change, SeqChange):
            edit.seq(change)
        else:
            edit.simple(change)
    result = edit.run()
    if result is not None:
        verify(packet, result, {(c.ns, c.name) for c in changes}, edit.expected)
    return result


def _with_description(packet: Packet) -> Packet:
    """The packet with an empty top-level rdf:Description to hold new properties."""
    splicer = Splicer(packet.data, packet.elements())
    prefix = packet.rdf.prefix or "rdf"
    splicer.append_child(packet.rdf, f'  <{prefix}:Description {prefix}:about=""/>\n'.encode())
    return parse_packet(splicer.apply())


def verify(
    before: Packet,
    data: bytes,
    owned: set[tuple[str, str]],
    expected: dict[tuple[str, str], object],
) -> Packet:
    """Re-parse an edited packet and check that only the owned properties changed."""
    try:
        after = parse_packet(data)
    except SidecarParseError as exc:
        raise SidecarEditError(
            f"the edited sidecar would not parse ({exc}); nothing written"
        ) from exc
    if before.signature(owned) != after.signature(owned):
        lost = before.signature(owned) - after.signature(owned)
        raise SidecarEditError(
            f"the edit would have changed other data ({sorted(map(str, lost))[:3]}); nothing written"
        )
    for (ns, name), value in expected.items():
        if after.value(ns, name) != value:
            raise SidecarEditError(f"{name} did not read back as written; nothing written")
    return after
