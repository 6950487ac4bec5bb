"""Byte-level edits of an XMP packet: change a few properties, keep every other byte.

Re-serialising a parsed tree would change quoting, whitespace inside tags and sometimes
prefixes; other tools (and their users' diffs) notice. Instead the raw bytes are tokenised
(the packet was already parsed and checked by lxml, so it is well-formed and has no DTD), each
start tag is matched to the lxml element at the same position in document order, and the edit
replaces only the bytes of the attribute value, element text or element concerned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from humanaes_desktop.library.xmp.packet import SidecarEditError

_START_TAG = re.compile(rb"<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>")
_ATTRIBUTE = re.compile(rb"(\s+)([^\s=/>]+)(\s*=\s*)(\"[^\"]*\"|'[^']*')")
_SKIPPED = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))


@dataclass
class ElementSpan:
    """Where one element's tags lie in the packet's bytes."""

    name: bytes  # the qualified name as written ("xmp:Rating")
    start: int  # offset of "<"
    start_end: int  # offset just after the start tag's ">"
    self_closing: bool
    end_start: int = -1  # offset of "</" (== start_end for self-closing tags)
    end: int = -1  # offset just after the end tag


def element_spans(data: bytes) -> list[ElementSpan]:
    """Every element's span, in document order (which is lxml's `iter()` order)."""
    spans: list[ElementSpan] = []
    open_spans: list[ElementSpan] = []
    position = 0
    while (lt := data.find(b"<", position)) >= 0:
        skipped = next((end for start, end in _SKIPPED if data.startswith(start, lt)), None)
        if skipped is not None:
            position = data.index(skipped, lt + 2) + len(skipped)
        elif data.startswith(b"</", lt):
            gt = data.index(b">", lt)
            closing = open_spans.pop()
            closing.end_start, closing.end = lt, gt + 1
            position = gt + 1
        else:
            match = _START_TAG.match(data, lt)
            if match is None:
                raise SidecarEditError(f"cannot follow the packet's markup at byte {lt}")
            span = ElementSpan(match.group(1), lt, match.end(), bool(match.group(3)))
            if span.self_closing:
                span.end_start = span.end = match.end()
            else:
                open_spans.append(span)
            spans.append(span)
            position = match.end()
    if open_spans:
        raise SidecarEditError("the packet's markup ends inside an element")
    return spans


def escape_attribute(value: str, quote: bytes) -> bytes:
    """An attribute value, escaped for the quote character the tag already uses."""
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\t", "&#x9;").replace("\n", "&#xA;").replace("\r", "&#xD;")
    text = text.replace('"', "&quot;") if quote == b'"' else text.replace("'", "&apos;")
    return text.encode("utf-8")


def escape_text(value: str) -> bytes:
    """Element text, escaped."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")


@dataclass
class Splicer:
    """Collects byte edits against one packet and applies them together."""

    data: bytes
    elements: list[etree._Element]
    spans: list[ElementSpan] = field(init=False)
    _edits: list[tuple[int, int, bytes]] = field(default_factory=list, init=False)
    _index: dict[etree._Element, int] = field(init=False)

    def __post_init__(self) -> None:
        self.spans = element_spans(self.data)
        if len(self.spans) != len(self.elements):
            raise SidecarEditError("the packet's markup does not match its parsed elements")
        for element, span in zip(self.elements, self.spans, strict=True):
            written = span.name.decode("utf-8", "replace").rpartition(":")[2]
            if etree.QName(element).localname != written:
                raise SidecarEditError("the packet's markup does not match its parsed elements")
        self._index = {element: i for i, element in enumerate(self.elements)}

    def span_of(self, element: etree._Element) -> ElementSpan:
        return self.spans[self._index[element]]

    def _attributes(self, span: ElementSpan) -> list[re.Match]:
        """The attributes of a start tag, matched one after the other from its name on."""
        tag = self.data[span.start : span.start_end]
        found: list[re.Match] = []
        position = 1 + len(span.name)
        while (match := _ATTRIBUTE.match(tag, position)) is not None:
            found.append(match)
            position = match.end()
        return found

    def quote_of(self, element: etree._Element) -> bytes:
        """The quote character the element's start tag uses (double quotes when it has none)."""
        found = self._attributes(self.span_of(element))
        return found[0].group(4)[:1] if found else b'"'

    def _attribute(self, element: etree._Element, name: bytes) -> re.Match | None:
        for match in self._attributes(self.span_of(element)):
            if match.group(2) == name:
                return match
        return None

    def has_attribute(self, element: etree._Element, name: bytes) -> bool:
        """True if the start tag writes an attribute with exactly this qualified name."""
        return self._attribute(element, name) is not None

    def set_attribute(self, element: etree._Element, name: bytes, value: str) -> None:
        """Replace the value of an existing attribute, keeping its quote character."""
        span = self.span_of(element)
        match = self._attribute(element, name)
        if match is None:
            raise SidecarEditError(f"attribute {name.decode()} not found where expected")
        quote = match.group(4)[:1]
        start, end = span.start + match.start(4), span.start + match.end(4)
        self._edits.append((start, end, quote + escape_attribute(value, quote) + quote))

    def add_attribute(self, element: etree._Element, name: bytes, value: str) -> None:
        """Add an attribute after the last one, laid out like the ones already there."""
        span = self.span_of(element)
        found = self._attributes(span)
        quote = found[0].group(4)[:1] if found else b'"'
        separator = found[-1].group(1) if found else b" "
        offset = span.start + (found[-1].end() if found else 1 + len(span.name))
        text = separator + name + b"=" + quote + escape_attribute(value, quote) + quote
        self._edits.append((offset, offset, text))

    def remove_attribute(self, element: etree._Element, name: bytes) -> None:
        """Remove an attribute with the whitespace before it."""
        span = self.span_of(element)
        match = self._attribute(element, name)
        if match is None:
            raise SidecarEditError(f"attribute {name.decode()} not found where expected")
        self._edits.append((span.start + match.start(), span.start + match.end(), b""))

    def set_text(self, element: etree._Element, value: str) -> None:
        """Replace the text of an element that has no children."""
        span = self.span_of(element)
        if span.self_closing:  # <xmp:Label/> becomes <xmp:Label>value</xmp:Label>
            tag = self.data[span.start : span.start_end]
            opened = tag[:-2].rstrip() + b">"
            self._edits.append(
                (span.start, span.end, opened + escape_text(value) + b"</" + span.name + b">")
            )
            return
        self._edits.append((span.start_end, span.end_start, escape_text(value)))

    def set_content(self, element: etree._Element, content: bytes) -> None:
        """Replace everything between an element's tags (e.g. the items of an rdf:Seq)."""
        span = self.span_of(element)
        if span.self_closing:
            raise SidecarEditError(f"{span.name.decode()} has no content to replace")
        self._edits.append((span.start_end, span.end_start, content))

    def append_child(self, element: etree._Element, markup: bytes) -> None:
        """Insert markup just before an element's end tag."""
        span = self.span_of(element)
        if span.self_closing:
            raise SidecarEditError(f"{span.name.decode()} is empty; cannot add to it")
        self._edits.append((span.end_start, span.end_start, markup))

    def remove_element(self, element: etree._Element) -> None:
        """Remove an element, with the indentation and line break before it."""
        span = self.span_of(element)
        start = span.start
        line_start = self.data.rfind(b"\n", 0, start)
        if line_start >= 0 and not self.data[line_start:start].strip():
            start = line_start
        self._edits.append((start, span.end, b""))

    def indentation_inside(self, element: etree._Element) -> tuple[bytes, bytes]:
        """(indent of the element's own line, indent one level deeper), guessed from the bytes."""
        span = self.span_of(element)
        line_start = self.data.rfind(b"\n", 0, span.start) + 1
        own = self.data[line_start : span.start]
        own = own if not own.strip() else b""
        return own, own + (b"\t" if own.startswith(b"\t") else b" ")

    def apply(self) -> bytes:
        """The packet with every collected edit applied (edits never overlap)."""
        result = self.data
        # Reverse order keeps earlier offsets valid; among insertions at one offset the later
        # one is applied first, so they end up in the order they were asked for.
        numbered = [(start, end, seq, text) for seq, (start, end, text) in enumerate(self._edits)]
        previous_start = len(result) + 1
        for start, end, _seq, text in sorted(numbered, reverse=True):
            if end > previous_start:
                raise SidecarEditError("two edits of the sidecar overlap")
            result = result[:start] + text + result[end:]
            previous_start = start
        return result
