"""Name specifications (``<author>``/``<editor>``) of a collection file with their byte spans,
and byte-minimal edits of their ``id=`` attribute.

Every other byte of the file is left as it was: an edit replaces the value of an existing
``id="..."``, inserts `` id="..."`` right after the tag name, or removes `` id="..."``.
:func:`only_ids_differ` checks that two versions of a file differ in nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from lxml import etree

from byline.errors import BylineError, DataError
from byline.sources.ids import mention_id as make_mention_id
from byline.sources.ids import paper_full_id

# Start tags of name specifications, skipping comments, CDATA and processing instructions
# so that the n-th match is the n-th element lxml sees.
_TAGS = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(author|editor)(?=[\s/>])[^>]*>", re.DOTALL
)
_ID_ATTR = re.compile(rb"""\s+id\s*=\s*("[^"]*"|'[^']*')""")
# Any id attribute, for the independent check that only ids changed.
_ANY_ID = re.compile(rb"""(<(?:author|editor)\b[^>]*?)\s+id\s*=\s*(?:"[^"]*"|'[^']*')""")


@dataclass
class NameSpec:
    """One ``<author>`` or ``<editor>`` of a collection file."""

    source: str  # xml/P19.xml
    index: int  # position among the file's name specifications (document order)
    kind: str  # "author" or "editor"
    item: str  # paper id (P19-1001) or volume id (P19-1)
    mention_id: str | None  # "<paper id>#<position>" for authors of papers
    first: str | None
    last: str
    id: str | None
    orcid: str | None
    affiliation: str | None
    tag_start: int  # byte offset of "<author"
    tag_end: int  # byte offset just after ">" of the start tag

    @property
    def key(self) -> tuple[str, int]:
        return (self.source, self.index)

    @property
    def label(self) -> str:
        return self.mention_id or f"{self.item} {self.kind} #{self.index}"

    @property
    def full_name(self) -> str:
        return f"{self.first or ''} {self.last}".strip()


def _text(el: etree._Element | None) -> str | None:
    # The official library reads ``element.text`` as is (acl_anthology NameSpecification).
    return None if el is None else el.text


def scan(data: bytes, source: str, label: str | None = None) -> list[NameSpec]:
    """The name specifications of one collection file, in document order.

    Authors of front matter are skipped (the Anthology ignores them); volume editors and
    paper editors are included: they resolve to persons just like authors.
    """
    label = label or source
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise DataError(label, f"malformed XML ({exc.msg})", exc.lineno or None) from None
    collection = root.get("id", "")
    tags = [m for m in _TAGS.finditer(data) if m.group(1)]
    elements = [el for el in root.iter("author", "editor")]
    if len(tags) != len(elements):
        raise DataError(
            label,
            f"found {len(tags)} <author>/<editor> start tags but {len(elements)} elements; "
            "cannot edit this file byte-minimally",
        )
    specs: list[NameSpec] = []
    positions: dict[int, int] = {}  # id(paper element) -> next author position
    for i, (el, m) in enumerate(zip(elements, tags, strict=True)):
        if m.group(1).decode() != el.tag:
            raise DataError(label, f"tag order mismatch at <{el.tag}>", el.sourceline)
        parent = el.getparent()
        assert parent is not None
        mention_id = None
        if parent.tag == "frontmatter":
            continue
        if parent.tag == "paper":
            volume = parent.getparent()
            assert volume is not None
            item = paper_full_id(collection, volume.get("id", ""), parent.get("id", ""))
            if el.tag == "author":
                pos = positions.get(id(parent), 0)
                positions[id(parent)] = pos + 1
                mention_id = make_mention_id(item, pos)
        else:  # <meta> of a volume
            volume = parent.getparent()
            vid = volume.get("id", "") if volume is not None else ""
            item = f"{collection}-{vid}"
        last = _text(el.find("last"))
        specs.append(
            NameSpec(
                source=source,
                index=i,
                kind=el.tag,
                item=item,
                mention_id=mention_id,
                first=_text(el.find("first")),
                last=last or "",
                id=el.get("id"),
                orcid=el.get("orcid"),
                affiliation=_text(el.find("affiliation")),
                tag_start=m.start(),
                tag_end=m.end(),
            )
        )
    return specs


def _edit_tag(tag: bytes, new_id: str | None) -> bytes:
    """The start tag with its id attribute set to ``new_id`` (or removed when None)."""
    m = _ID_ATTR.search(tag)
    if new_id is None:
        return tag if m is None else tag[: m.start()] + tag[m.end() :]
    value = quoteattr(new_id).encode()
    if m is not None:
        quote = m.group(1)[:1]
        if quote == b"'" and b"'" not in new_id.encode():
            value = b"'" + new_id.encode() + b"'"
        return tag[: m.start(1)] + value + tag[m.end(1) :]
    name_end = len(b"<author") if tag.startswith(b"<author") else len(b"<editor")
    return tag[:name_end] + b" id=" + value + tag[name_end:]


def apply_id_edits(data: bytes, specs: list[NameSpec], new_ids: dict[int, str | None]) -> bytes:
    """``data`` with the id of each spec (by index) in ``new_ids`` set or removed."""
    by_index = {s.index: s for s in specs}
    out: list[bytes] = []
    pos = 0
    for index in sorted(new_ids, key=lambda i: by_index[i].tag_start):
        spec = by_index[index]
        out.append(data[pos : spec.tag_start])
        out.append(_edit_tag(data[spec.tag_start : spec.tag_end], new_ids[index]))
        pos = spec.tag_end
    out.append(data[pos:])
    return b"".join(out)


def only_ids_differ(old: bytes, new: bytes) -> bool:
    """True when the two files are identical once every id attribute of a name is removed."""
    return _ANY_ID.sub(rb"\1", old) == _ANY_ID.sub(rb"\1", new)


def check_edit(old: bytes, new: bytes, source: str, expected: dict[int, str | None]) -> None:
    """Verify an edited file: well-formed, only ids changed, each edited id as planned."""
    if not only_ids_differ(old, new):
        raise BylineError(f"{source}: internal error, an edit changed more than id attributes")
    specs = scan(new, source)
    by_index = {s.index: s for s in specs}
    for index, want in expected.items():
        if by_index[index].id != want:
            raise BylineError(
                f"{source}: internal error, {by_index[index].label} has id "
                f"{by_index[index].id!r}, expected {want!r}"
            )
