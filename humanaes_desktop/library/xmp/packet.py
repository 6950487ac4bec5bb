"""Reading an XMP packet safely, and the property view every other sidecar module works on.

The parser is hardened: no DTD is loaded, no entity is resolved, nothing is fetched from the
network, and a file carrying a document type or entity declaration is refused before parsing
(billion laughs, XXE). A packet we cannot parse is never edited: the caller reports it instead.

Only *top-level* properties are ours to read or change: attributes and child elements of the
`rdf:Description` elements directly under `rdf:RDF`. Everything else (structs, arrays, nested
descriptions, other tools' namespaces) is carried along untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_META = "adobe:ns:meta/"
NS_XMLNS = "http://www.w3.org/2000/xmlns/"
MAX_SIDECAR_BYTES = 32 * 1024 * 1024  # darktable's edit histories are large, but not this large

_RDF_DESCRIPTION = f"{{{NS_RDF}}}Description"
_RDF_RDF = f"{{{NS_RDF}}}RDF"
_META_ROOTS = (f"{{{NS_META}}}xmpmeta", f"{{{NS_META}}}xapmeta")
# Attributes of a Description that are RDF syntax, not properties.
_RDF_SYNTAX_ATTRS = {f"{{{NS_RDF}}}{name}" for name in ("about", "ID", "nodeID", "parseType")}


class SidecarError(Exception):
    """A sidecar cannot be read or safely updated; `str()` is a sentence for the user."""


class SidecarParseError(SidecarError):
    """The file is not a well-formed, safe XMP packet: it is never written."""


class SidecarEditError(SidecarError):
    """An edit could not be made without risking other data: nothing was written."""


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=False,
        collect_ids=False,
    )


def qualified(ns: str, name: str) -> str:
    """The Clark name lxml uses for a property: '{namespace}Name'."""
    return f"{{{ns}}}{name}"


def split_qualified(tag: str) -> tuple[str, str]:
    """'{ns}Name' -> ('ns', 'Name'); an unqualified name has namespace ''."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


@dataclass(frozen=True)
class Property:
    """One top-level property of a packet, in attribute or element form."""

    ns: str
    name: str
    description: etree._Element  # the top-level rdf:Description holding it
    element: etree._Element | None  # the property element (element form), else None
    value: str | None  # the simple value, or None for a struct, array or resource

    @property
    def is_attribute(self) -> bool:
        return self.element is None


def _simple_value(element: etree._Element) -> str | None:
    if len(element) or any(
        key != "{http://www.w3.org/XML/1998/namespace}lang" for key in element.attrib
    ):
        return None  # an array, a struct, a resource or a parse-type: not a simple value
    return element.text or ""


class Packet:
    """A parsed XMP packet (read-only view; edits go through `splice` on the raw bytes)."""

    def __init__(self, data: bytes, tree: etree._ElementTree, rdf: etree._Element) -> None:
        self.data = data
        self.tree = tree
        self.rdf = rdf

    def descriptions(self) -> list[etree._Element]:
        """The top-level rdf:Description elements, in document order."""
        return [child for child in self.rdf if child.tag == _RDF_DESCRIPTION]

    def properties(self) -> Iterator[Property]:
        """Every top-level property, in document order (attributes first per description)."""
        for description in self.descriptions():
            for key, value in description.attrib.items():
                if key in _RDF_SYNTAX_ATTRS:
                    continue
                ns, name = split_qualified(key)
                if ns:
                    yield Property(ns, name, description, None, value)
            for child in description:
                if isinstance(child.tag, str):
                    ns, name = split_qualified(child.tag)
                    yield Property(ns, name, description, child, _simple_value(child))

    def find(self, ns: str | tuple[str, ...], name: str) -> list[Property]:
        """Every occurrence of a top-level property (a file may repeat one by mistake)."""
        spaces = (ns,) if isinstance(ns, str) else ns
        return [p for p in self.properties() if p.name == name and p.ns in spaces]

    def value(self, ns: str | tuple[str, ...], name: str) -> str | None:
        """The first simple value of a top-level property, or None when absent or not simple."""
        for prop in self.find(ns, name):
            if prop.value is not None:
                return prop.value
        return None

    def elements(self) -> list[etree._Element]:
        """All elements in document order (the order their start tags appear in the bytes)."""
        return list(self.tree.getroot().iter(etree.Element))

    def signature(self, owned: set[tuple[str, str]]) -> Counter:
        """What must survive an edit: every element, attribute, comment and PI with its value
        and prefix, except the owned top-level properties (which the edit may change)."""
        items: Counter = Counter()
        top = set(self.descriptions())
        skipped: set[etree._Element] = set()
        for prop in self.properties():
            if (prop.ns, prop.name) in owned and prop.element is not None:
                skipped.update(prop.element.iter())
        root = self.tree.getroot()
        for node in (*root.itersiblings(preceding=True), *root.iter(), *root.itersiblings()):
            if node in skipped:
                continue
            if not isinstance(node.tag, str):  # comment or processing instruction
                items[("node", str(node.tag), node.text or "", getattr(node, "target", ""))] += 1
                continue
            attrs = sorted(
                (key, value)
                for key, value in node.attrib.items()
                if not (node in top and split_qualified(key) in owned)
            )
            items[(node.prefix, node.tag, (node.text or "").strip(), tuple(attrs))] += 1
        return items


def _refuse_declarations(data: bytes) -> None:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise SidecarParseError("the sidecar is not UTF-8 (UTF-16 sidecars are not supported)")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise SidecarParseError(
            "the sidecar contains a document type or entity declaration, which XMP never"
            " needs; it was not read (it may be an attack file)"
        )


def _rdf_of(root: etree._Element) -> etree._Element:
    if root.tag == _RDF_RDF:
        return root
    if root.tag in _META_ROOTS:
        for child in root:
            if child.tag == _RDF_RDF:
                return child
    raise SidecarParseError("the file is XML but not an XMP packet (no rdf:RDF element)")


def parse_packet(data: bytes) -> Packet:
    """Parse sidecar bytes; raises SidecarParseError for anything unsafe or malformed."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise SidecarParseError(
            f"the sidecar is {len(data) // (1024 * 1024)} MiB, larger than any XMP packet"
            f" should be ({MAX_SIDECAR_BYTES // (1024 * 1024)} MiB at most)"
        )
    if not data.strip():
        raise SidecarParseError("the sidecar is empty")
    _refuse_declarations(data)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        detail = getattr(exc, "msg", None) or str(exc)  # without lxml's "(<string>, line 1)"
        raise SidecarParseError(f"the sidecar is not well-formed XML ({detail})") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise SidecarParseError("the sidecar declares a document type; it was not read")
    return Packet(data, tree, _rdf_of(root))
