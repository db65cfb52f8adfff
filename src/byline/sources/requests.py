"""Author-page requests: the Anthology's GitHub issue form "Author Page: <name>", parsed.

A request is the issue body as GitHub renders the form: an optional first line
``# Author Page: <name or slug>``, then sections headed ``### <label>``:

- ``Author Pages``: one or more page URLs, ``https://aclanthology.org/people/<id>/``
  (verified), ``.../people/<slug>/unverified/`` or the old ``.../people/<letter>/<slug>/``;
- ``Author ORCID``: an ``https://orcid.org/<iD>`` URL (a query string may follow), checksum
  checked (ISO 7064 11-2);
- ``Institution of highest (anticipated) degree``;
- ``Type of Author Metadata Correction``: checkboxes ``- [x] Verification: ...``,
  ``Split/disambiguate: ...``, ``Merge profiles: ...``, ``Name change: ...``;
- ``Supporting Information``: free text;
- optional ``Preferred author name``, ``OpenReview profile page URL``,
  ``Author Name (only if published in another script)``.

``_No response_`` means empty. :func:`read_requests` reads Markdown files, ``-`` (standard
input) and GitHub issues as JSON (``{"number", "title", "body"}``, one object or an array).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from byline.errors import BylineError

KINDS = ("verification", "split", "merge", "name_change")
# Checkbox labels of the form, by the kind they ask for (matched on the label's start).
_KIND_LABELS = {
    "verification": "verification",
    "split": "split",
    "merge": "merge",
    "name change": "name_change",
}
# When several boxes are ticked, the most specific action is the request's kind.
_KIND_ORDER = ("merge", "split", "name_change", "verification")

_SECTIONS = {
    "author pages": "pages",
    "author page": "pages",
    "author orcid": "orcid",
    "orcid": "orcid",
    "institution of highest (anticipated) degree": "institution",
    "institution of highest degree": "institution",
    "type of author metadata correction": "kinds",
    "supporting information": "supporting",
    "preferred author name": "preferred_name",
    "openreview profile page url": "openreview",
    "author name (only if published in another script)": "script_name",
}
_NO_RESPONSE = "_no response_"

_PAGE_URL = re.compile(
    r"https?://(?:www\.)?aclanthology\.org/people/([^\s/?#)>\]]+)(?:/([^\s/?#)>\]]+))?/?",
    re.IGNORECASE,
)
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)
_ORCID_URL = re.compile(r"^(?:https?://)?(?:www\.)?orcid\.org/([^\s?#/]+)/?(?:[?#]\S*)?$", re.I)
_OPENREVIEW_ID = re.compile(r"[?&]id=(~[^&\s#]+)|^(~\S+)$")
_CHECKBOX = re.compile(r"^\s*[-*]\s*\[([ xX])\]\s*(.+?)\s*$")


class RequestError(BylineError):
    """A request that cannot be read: names the request and the section that is wrong.

    Attributes:
        source: the request (file name, ``<stdin>`` or ``issue #N``).
        section: the form's section at fault (``None`` for the whole request).
    """

    def __init__(self, source: str, section: str | None, message: str) -> None:
        self.source = source
        self.section = section
        where = f"{source}: section '{section}'" if section else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class PageRef:
    """One author page URL of a request.

    Attributes:
        url: as written in the request.
        form: ``verified`` (``/people/<id>/``), ``unverified`` (``/people/<slug>/unverified/``)
            or ``legacy`` (``/people/<letter>/<slug>/``).
        key: the person id (verified) or name slug (the other two forms).
    """

    url: str
    form: str
    key: str


@dataclass
class Request:
    """One author-page request as the form gives it.

    Attributes:
        source: the file (or ``<stdin>``) it was read from, or the GitHub issue number.
        name: the name of the title line ``Author Page: <name>``, if any.
        pages: the page URLs, in order.
        orcid: the ORCID iD (checksum valid), or ``None``.
        institution: institution of the highest (anticipated) degree.
        kinds: every ticked correction type (see :data:`KINDS`), in the form's order.
        supporting: the supporting information (free text).
        preferred_name: the preferred author name, if given.
        openreview: the OpenReview profile id (``~Name1``), if given.
        script_name: the name in another script, if given.
    """

    source: str | int
    name: str | None
    pages: list[PageRef]
    orcid: str | None
    institution: str | None
    kinds: list[str]
    supporting: str = ""
    preferred_name: str | None = None
    openreview: str | None = None
    script_name: str | None = None
    sections: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        """The action asked for: the most specific ticked type."""
        return next(k for k in _KIND_ORDER if k in self.kinds)

    @property
    def label(self) -> str:
        return f"issue #{self.source}" if isinstance(self.source, int) else str(self.source)


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 11-2 check of an ORCID iD ``0000-0002-1825-0097``."""
    digits = orcid.replace("-", "").upper()
    if not re.fullmatch(r"\d{15}[\dX]", digits):
        return False
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    result = (12 - total % 11) % 11
    return digits[-1] == ("X" if result == 10 else str(result))


def _clean(value: str) -> str:
    text = value.strip()
    return "" if text.lower() == _NO_RESPONSE else text


def _split_sections(body: str) -> tuple[str | None, dict[str, str]]:
    """(title name, {section key: text}) of a rendered issue form."""
    title = None
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in body.replace("\r\n", "\n").split("\n"):
        head = re.match(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if head and len(head.group(1)) == 1 and title is None and not sections:
            m = re.match(r"author page:\s*(.*)$", head.group(2), re.IGNORECASE)
            title = (m.group(1).strip() or None) if m else None
            continue
        if head and len(head.group(1)) == 3:
            key = _SECTIONS.get(head.group(2).strip().lower())
            current = sections.setdefault(key, []) if key else None
            continue
        if current is not None:
            current.append(line)
    return title, {k: _clean("\n".join(v)) for k, v in sections.items()}


def _parse_pages(text: str, source: str) -> list[PageRef]:
    pages: list[PageRef] = []
    for m in _PAGE_URL.finditer(text):
        first, second = m.group(1).lower(), (m.group(2) or "").lower()
        if second == "unverified":
            ref = PageRef(m.group(0), "unverified", first)
        elif second and len(first) == 1:
            ref = PageRef(m.group(0), "legacy", second)
        elif not second:
            ref = PageRef(m.group(0), "verified", first)
        else:
            raise RequestError(
                source,
                "Author Pages",
                f"{m.group(0)} is not an author page URL; give "
                "https://aclanthology.org/people/<id>/ or .../people/<slug>/unverified/",
            )
        if ref not in pages:
            pages.append(ref)
    if not pages:
        raise RequestError(
            source,
            "Author Pages",
            "no author page URL; give at least one https://aclanthology.org/people/... URL",
        )
    return pages


def _parse_orcid(text: str, source: str) -> str | None:
    if not text:
        return None
    value = text.split()[0].strip("<>")
    m = _ORCID_URL.match(value)
    ident = m.group(1) if m else value
    if not re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dXx]", ident):
        raise RequestError(
            source,
            "Author ORCID",
            f"{value!r} is not an ORCID iD; give https://orcid.org/0000-0000-0000-0000",
        )
    ident = ident.upper()
    if not orcid_checksum_ok(ident):
        raise RequestError(
            source,
            "Author ORCID",
            f"{ident} fails the ORCID checksum (ISO 7064 11-2); check the iD for a typo",
        )
    return ident


def _parse_kinds(text: str, source: str) -> list[str]:
    kinds: list[str] = []
    for line in text.split("\n"):
        m = _CHECKBOX.match(line)
        if not m or m.group(1) == " ":
            continue
        label = m.group(2).lower()
        kind = next((k for lab, k in _KIND_LABELS.items() if label.startswith(lab)), None)
        if kind and kind not in kinds:
            kinds.append(kind)
    if not kinds:
        raise RequestError(
            source,
            "Type of Author Metadata Correction",
            "no type is ticked; tick one of Verification, Split/disambiguate, Merge profiles, "
            "Name change ('- [x]')",
        )
    return kinds


def _parse_openreview(text: str) -> str | None:
    if not text:
        return None
    value = text.split()[0]
    m = _OPENREVIEW_ID.search(value)
    return (m.group(1) or m.group(2)) if m else None


def parse_request(body: str, source: str | int, title: str | None = None) -> Request:
    """One request from the rendered form ``body``; :class:`RequestError` if it is wrong.

    ``title`` is the issue title (``Author Page: <name>``) when the body comes without it.
    """
    label = f"issue #{source}" if isinstance(source, int) else str(source)
    if not body.strip():
        raise RequestError(label, None, "empty request; paste the issue as GitHub shows it")
    name, sections = _split_sections(body)
    if name is None and title:
        m = re.match(r"\s*author page:\s*(.*)$", title, re.IGNORECASE)
        name = (m.group(1).strip() or None) if m else None
    if "pages" not in sections:
        raise RequestError(
            label,
            "Author Pages",
            "missing; the request must have a '### Author Pages' section with the page URL",
        )
    if "kinds" not in sections:
        raise RequestError(
            label,
            "Type of Author Metadata Correction",
            "missing; the request must have a '### Type of Author Metadata Correction' section",
        )
    pages = _parse_pages(sections["pages"], label)
    orcid = _parse_orcid(sections.get("orcid", ""), label)
    kinds = _parse_kinds(sections["kinds"], label)
    if orcid is None and kinds == ["verification"]:
        raise RequestError(
            label,
            "Author ORCID",
            "missing; a verification needs the ORCID iD (https://orcid.org/0000-0000-0000-0000)",
        )
    preferred = sections.get("preferred_name") or None
    if "name_change" in kinds and not preferred:
        raise RequestError(
            label, "Preferred author name", "missing; a name change needs the new name"
        )
    return Request(
        source=source,
        name=name,
        pages=pages,
        orcid=orcid,
        institution=sections.get("institution") or None,
        kinds=kinds,
        supporting=sections.get("supporting", ""),
        preferred_name=preferred,
        openreview=_parse_openreview(sections.get("openreview", "")),
        script_name=sections.get("script_name") or None,
        sections=sections,
    )


def _issue(obj: Any, label: str, i: int | None) -> Request:
    where = label if i is None else f"{label} [{i}]"
    if not isinstance(obj, dict) or not isinstance(obj.get("body"), str):
        raise RequestError(
            where,
            None,
            'a GitHub issue must be a JSON object with a "body" (gh issue view N '
            "--json number,title,body)",
        )
    number = obj.get("number")
    source: str | int = number if isinstance(number, int) else where
    return parse_request(obj["body"], source, obj.get("title") or None)


def parse_text(text: str, label: str) -> list[Request | RequestError]:
    """The requests of one input: a Markdown request, or GitHub issue JSON (object or array).

    Each request that cannot be read is returned as its :class:`RequestError`, so a batch
    reports every bad request and keeps the good ones.
    """
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            return [RequestError(label, None, f"not valid JSON ({exc.msg}, line {exc.lineno})")]
        items = doc if isinstance(doc, list) else [doc]
        if not items:
            return [RequestError(label, None, "an empty JSON array holds no request")]
        out: list[Request | RequestError] = []
        for i, obj in enumerate(items):
            try:
                out.append(_issue(obj, label, i if isinstance(doc, list) else None))
            except RequestError as exc:
                out.append(exc)
        return out
    try:
        return [parse_request(text, label)]
    except RequestError as exc:
        return [exc]


def read_requests(paths: list[str], stdin: TextIO | None = None) -> list[Request | RequestError]:
    """Every request of the given files (``-``: standard input), in order."""
    out: list[Request | RequestError] = []
    for p in paths:
        if p == "-":
            out += parse_text((stdin or sys.stdin).read(), "<stdin>")
            continue
        path = Path(p)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            out.append(RequestError(p, None, "no such file"))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            out.append(RequestError(p, None, f"cannot be read ({exc})"))
            continue
        out += parse_text(text, p)
    return out
