"""Reader for one Anthology collection file (``data/xml/<collection>.xml``)."""

from __future__ import annotations

import re

from lxml import etree

from byline.errors import DataError
from byline.sources.ids import paper_full_id
from byline.sources.records import Mention, Paper

_WS = re.compile(r"\s+")


def _text(el: etree._Element | None, paragraphs: bool = False) -> str:
    """Plain text of an element (markup such as <fixed-case> and <tex-math> flattened).

    With ``paragraphs`` (abstracts), a paragraph break ``<par/>`` (XML of ``acl-anthology``
    1.3 and later) becomes a space.
    """
    if el is None:
        return ""
    if paragraphs:
        for par in el.iter("par"):
            par.tail = " " + (par.tail or "")
    return _WS.sub(" ", "".join(el.itertext())).strip()


def _mention(paper_id: str, position: int, el: etree._Element) -> Mention:
    variant_el = el.find("variant")
    variant = None
    if variant_el is not None:
        variant = f"{_text(variant_el.find('first'))} {_text(variant_el.find('last'))}".strip()
    return Mention(
        paper_id=paper_id,
        position=position,
        first=_text(el.find("first")),
        last=_text(el.find("last")),
        person_id=el.get("id") or None,
        orcid=el.get("orcid") or None,
        openreview=el.get("openreview") or None,
        affiliation=_text(el.find("affiliation")) or None,
        variant=variant or None,
    )


def parse_collection(data: bytes, source: str, label: str | None = None) -> list[Paper]:
    """Parse the bytes of one collection file into papers (front matter is skipped).

    ``source`` (e.g. ``xml/P19.xml``) is recorded on each paper; errors name ``label``
    (default: ``source``), e.g. the file's full path. Raises DataError naming the file and line
    when the XML is malformed or is not an Anthology collection.
    """
    papers_source, source = source, label or source
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise DataError(
            source, f"malformed XML ({exc.msg}); fix or re-download the file", line
        ) from None
    if root.tag != "collection" or not root.get("id"):
        raise DataError(
            source,
            f"not an Anthology collection file (root element <{root.tag}>, expected "
            "<collection id=...>)",
            root.sourceline,
        )
    collection = root.get("id", "")
    papers: list[Paper] = []
    for volume in root.iter("volume"):
        volume_id = volume.get("id")
        if volume_id is None:
            raise DataError(source, "<volume> without id attribute", volume.sourceline)
        meta = volume.find("meta")
        year_text = _text(meta.find("year")) if meta is not None else ""
        venues = tuple(_text(v) for v in meta.findall("venue")) if meta is not None else ()
        booktitle = _text(meta.find("booktitle")) if meta is not None else ""
        for paper in volume.findall("paper"):
            local_id = paper.get("id")
            if local_id is None:
                raise DataError(source, "<paper> without id attribute", paper.sourceline)
            try:
                paper_id = paper_full_id(collection, volume_id, local_id)
            except ValueError:
                raise DataError(
                    source,
                    f"paper id {local_id!r} in volume {volume_id!r} is not a number",
                    paper.sourceline,
                ) from None
            year = year_text or _text(paper.find("year"))
            record = Paper(
                paper_id=paper_id,
                title=_text(paper.find("title")),
                year=int(year[:4]) if year[:4].isdigit() else None,
                venues=venues,
                booktitle=booktitle,
                abstract=_text(paper.find("abstract"), paragraphs=True),
                language=_text(paper.find("language")) or None,
                source=papers_source,
            )
            record.authors = [
                _mention(paper_id, i, el) for i, el in enumerate(paper.findall("author"))
            ]
            papers.append(record)
    return papers
