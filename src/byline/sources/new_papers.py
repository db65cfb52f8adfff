"""Readers of new papers to assign (`byline assign`): JSONL, BibTeX or an Anthology volume.

Each reader returns the typed records every later stage consumes (:class:`Paper` with its
:class:`Mention` list), or raises :class:`DataError` naming the file and line: one bad
record refuses the whole file, so nothing is assigned from a half-read input.

- JSONL, one paper per line: ``title`` and ``authors`` (required); ``abstract``,
  ``venue`` / ``booktitle``, ``year``, ``paper_id`` (an Anthology id, if known) and ``url``
  (optional). An author is a string (``"Peisong Wang"`` or ``"Wang, Peisong"``) or an object
  ``{"first", "last"}`` / ``{"name"}`` with optional ``id``, ``orcid``, ``affiliation``.
- BibTeX (parsed by bibtexparser 2, LaTeX accents decoded): every entry with ``author``;
  ``@proceedings`` / ``@book`` entries that list only editors are skipped. An Anthology URL
  or DOI gives the paper its Anthology id.
- An Anthology collection XML file (``data/xml/<collection>.xml``) of new volumes.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from byline.errors import DataError
from byline.sources.anthology_xml import parse_collection
from byline.sources.records import Mention, Paper

KINDS = ("jsonl", "bibtex", "xml")
_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_ANTHOLOGY_URL = re.compile(r"aclanthology\.org/([A-Za-z0-9.\-]+?)(?:\.pdf)?/?$")
_ANTHOLOGY_DOI = re.compile(r"10\.18653/v1/([A-Za-z0-9.\-]+)$")
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "du", "la", "le"}
_WS = re.compile(r"\s+")


def detect_kind(path: Path, data: bytes) -> str:
    """``jsonl``, ``bibtex`` or ``xml``: by the file's suffix, else by its first character."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix in (".bib", ".bibtex"):
        return "bibtex"
    if suffix == ".xml":
        return "xml"
    head = data.lstrip()[:1]
    if head == b"{":
        return "jsonl"
    if head in (b"@", b"%"):
        return "bibtex"
    if head == b"<":
        return "xml"
    raise DataError(
        str(path),
        "unknown input kind; give a .jsonl (one paper per line), a .bib file or an "
        "Anthology collection .xml",
    )


def read_new_papers(path: str | Path, kind: str | None = None) -> list[Paper]:
    """Read the papers of one input file (kind: ``jsonl``, ``bibtex``, ``xml``, or guessed)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(str(path), "no such file; give a .jsonl, .bib or Anthology .xml file")
    data = path.read_bytes()
    kind = kind or detect_kind(path, data)
    if kind not in KINDS:
        raise DataError(str(path), f"unknown input kind {kind!r}; use one of {', '.join(KINDS)}")
    if kind == "xml":
        papers = read_volume_xml(data, str(path))
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise DataError(str(path), "not UTF-8 text; save the file as UTF-8", line) from None
        papers = read_jsonl(text, str(path)) if kind == "jsonl" else read_bibtex(text, str(path))
    if not papers:
        raise DataError(str(path), "no papers in this file")
    return papers


def split_name(name: str) -> tuple[str, str]:
    """``"Peisong Wang"`` / ``"Wang, Peisong"`` / ``"Jan van der Berg"`` -> (first, last)."""
    name = _WS.sub(" ", name).strip()
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    tokens = name.split(" ")
    if len(tokens) == 1:
        return "", tokens[0]
    cut = len(tokens) - 1
    while cut > 1 and tokens[cut - 1].lower() in _PARTICLES:
        cut -= 1
    return " ".join(tokens[:cut]), " ".join(tokens[cut:])


def anthology_id(url: str | None) -> str | None:
    """The Anthology id in an aclanthology.org URL or a 10.18653/v1 DOI, if any."""
    if not url:
        return None
    url = url.strip()
    for pattern in (_ANTHOLOGY_URL, _ANTHOLOGY_DOI):
        m = pattern.search(url)
        if m:
            return m.group(1)
    return None


def _orcid(value: Any, where: tuple[str, int | None]) -> str | None:
    if value in (None, ""):
        return None
    m = _ORCID.match(str(value).strip())
    if not m:
        raise DataError(where[0], f"{value!r} is not an ORCID iD (0000-0000-0000-0000)", where[1])
    return m.group(1)


def _year(value: Any, where: tuple[str, int | None]) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}", text):
        raise DataError(where[0], f"year {value!r} is not a four-digit year", where[1])
    return int(text)


def _venue(record: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    """(venues, booktitle): a short ``venue`` ("acl") is a venue id, a long one a booktitle."""
    venue = str(record.get("venue") or "").strip()
    booktitle = str(record.get("booktitle") or record.get("journal") or "").strip()
    if venue and " " not in venue and len(venue) <= 20:
        return (venue.lower(),), booktitle
    return (), booktitle or venue


def _author(paper_id: str, pos: int, raw: Any, where: tuple[str, int | None]) -> Mention:
    ident = orcid = affiliation = None
    if isinstance(raw, str):
        first, last = split_name(raw)
    elif isinstance(raw, dict):
        if raw.get("last") or raw.get("first"):
            first = _WS.sub(" ", str(raw.get("first") or "")).strip()
            last = _WS.sub(" ", str(raw.get("last") or "")).strip()
        elif isinstance(raw.get("name"), str):
            first, last = split_name(raw["name"])
        else:
            first = last = ""
        ident = str(raw["id"]).strip() if raw.get("id") else None
        orcid = _orcid(raw.get("orcid"), where)
        affiliation = str(raw["affiliation"]).strip() if raw.get("affiliation") else None
    else:
        raise DataError(
            where[0],
            f"author {pos + 1} is {type(raw).__name__}; give a name string or "
            '{"first": ..., "last": ...}',
            where[1],
        )
    if not (first or last):
        raise DataError(where[0], f"author {pos + 1} has no name", where[1])
    return Mention(
        paper_id=paper_id,
        position=pos,
        first=first,
        last=last,
        person_id=ident,
        orcid=orcid,
        affiliation=affiliation,
    )


def read_jsonl(text: str, label: str) -> list[Paper]:
    """Papers of a JSONL text, one object per line (blank lines skipped)."""
    papers: list[Paper] = []
    seen: set[str] = set()
    stem = Path(label).name
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = (label, lineno)
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                label, f"not JSON ({exc.msg}); one paper object per line", lineno
            ) from None
        if not isinstance(record, dict):
            raise DataError(label, "not a JSON object; one paper object per line", lineno)
        title = record.get("title")
        authors = record.get("authors")
        if not isinstance(title, str) or not title.strip():
            raise DataError(label, 'missing "title" (a non-empty string)', lineno)
        if not isinstance(authors, list) or not authors:
            raise DataError(label, 'missing "authors" (a non-empty list of names)', lineno)
        paper_id = (
            str(record.get("paper_id") or "").strip()
            or anthology_id(record.get("url"))
            or f"{stem}:{lineno}"
        )
        if paper_id in seen:
            raise DataError(label, f"paper id {paper_id!r} appears twice", lineno)
        seen.add(paper_id)
        venues, booktitle = _venue(record)
        paper = Paper(
            paper_id=paper_id,
            title=_WS.sub(" ", title).strip(),
            year=_year(record.get("year"), where),
            venues=venues,
            booktitle=booktitle,
            abstract=_WS.sub(" ", str(record.get("abstract") or "")).strip(),
            language=record.get("language") or None,
        )
        paper.authors = [_author(paper_id, i, a, where) for i, a in enumerate(authors)]
        papers.append(paper)
    return papers


def read_bibtex(text: str, label: str) -> list[Paper]:
    """Papers of a BibTeX text; any block that does not parse refuses the file."""
    import bibtexparser
    from bibtexparser import middlewares as mw

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)
    library = bibtexparser.parse_string(
        text,
        append_middleware=[
            mw.LatexDecodingMiddleware(),
            mw.SeparateCoAuthors(),
            mw.SplitNameParts(),
        ],
    )
    if library.failed_blocks:
        block = min(library.failed_blocks, key=lambda b: b.start_line)
        error = getattr(block, "error", None)
        why = str(error).splitlines()[0] if error and str(error) else type(block).__name__
        if type(block).__name__ == "DuplicateBlockKeyBlock":
            why = f"duplicate entry key {getattr(block, 'key', '')!r}"
        raise DataError(label, f"BibTeX does not parse: {why}", block.start_line + 1)
    papers: list[Paper] = []
    seen: set[str] = set()
    for entry in library.entries:
        line = entry.start_line + 1
        fields = {k.lower(): f.value for k, f in entry.fields_dict.items()}
        authors = fields.get("author")
        if not authors and entry.entry_type.lower() in ("proceedings", "book", "collection"):
            continue  # a volume's own entry: editors, no authors
        title = fields.get("title")
        if not isinstance(title, str) or not title.strip():
            raise DataError(label, f"entry {entry.key!r} has no title", line)
        if not authors:
            raise DataError(label, f"entry {entry.key!r} has no author field", line)
        paper_id = anthology_id(fields.get("url")) or anthology_id(fields.get("doi")) or entry.key
        if paper_id in seen:
            raise DataError(label, f"paper id {paper_id!r} appears twice", line)
        seen.add(paper_id)
        paper = Paper(
            paper_id=paper_id,
            title=_WS.sub(" ", title).strip(),
            year=_year(fields.get("year"), (label, line)),
            booktitle=_WS.sub(
                " ", str(fields.get("booktitle") or fields.get("journal") or "")
            ).strip(),
            abstract=_WS.sub(" ", str(fields.get("abstract") or "")).strip(),
            language=fields.get("language") or None,
        )
        mentions = []
        for parts in authors:
            if isinstance(parts, str):
                first, last = split_name(parts)
            else:
                first = " ".join(parts.first)
                last = " ".join([*parts.von, *parts.last, *parts.jr])
            first, last = _WS.sub(" ", first).strip(), _WS.sub(" ", last).strip()
            if not (first or last) or last.lower() == "others":
                continue  # "and others"
            mentions.append(Mention(paper_id, len(mentions), first, last))
        if not mentions:
            raise DataError(label, f"entry {entry.key!r} has no author names", line)
        paper.authors = mentions
        papers.append(paper)
    return papers


def read_volume_xml(data: bytes, label: str) -> list[Paper]:
    """Papers of an Anthology collection file (the reader ``byline ingest`` uses)."""
    name = Path(label).name
    papers = parse_collection(data, f"xml/{name}", label=label)
    if not papers:
        raise DataError(label, "an Anthology collection without papers (only front matter?)")
    return papers
