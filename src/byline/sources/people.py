"""Readers for the Anthology's person registry, one per data layout.

- ``yaml/name_variants.yaml`` (layout ``2025-11``, ``acl-anthology`` 0.5.x): a list of entries
  ``{canonical: {first, last}, variants: [...], id, orcid, comment, degree|institution,
  similar}``. ``id`` is optional (the canonical name's slug is used then), and an entry whose
  comment says "May refer to several people" is a catch-all, no evidence of identity.
- ``yaml/people.yaml`` (layout ``2026-yaml``, Jan-Jul 2026, ``acl-anthology`` 1.0-1.2) and
  ``json/people.json`` (layout ``2026-json``, ``acl-anthology`` 1.3.x): a mapping from person
  id to ``{names: [{first, last[, script]}, ...], orcid, comment, degree, similar: [ids],
  disable_name_matching: bool}``. Every entry has an explicit id; names with a ``script``
  (e.g. ``hani``) are written in another script and go to ``Person.script_names``. These
  layouts have no catch-all entries.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from byline.errors import DataError
from byline.sources.ids import is_person_id
from byline.sources.records import Name, Person


def load_yaml(data: bytes, source: str) -> Any:
    """Parse YAML, turning parser errors into a DataError with the file and line."""
    try:
        return yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DataError(
            source, f"malformed YAML ({exc.problem or exc}); fix or re-download the file", line
        ) from None
    except yaml.YAMLError as exc:
        raise DataError(source, f"malformed YAML ({exc}); fix or re-download the file") from None


def load_json(data: bytes, source: str) -> Any:
    """Parse JSON, turning parser errors into a DataError with the file and line."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise DataError(
            source, f"malformed JSON ({exc.msg}); fix or re-download the file", exc.lineno
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError(source, f"not UTF-8 text ({exc.reason}); re-download the file") from None


def _line_of(data: bytes, pattern: str) -> int | None:
    """Line (1-based) of the first match of ``pattern`` in ``data``; only used for errors."""
    text = data.decode("utf-8", errors="replace")
    m = re.search(pattern, text, flags=re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _str(value: Any) -> str | None:
    """An optional text field; YAML may have typed it (a comment ``2019`` is an int)."""
    if value is None or value == "":
        return None
    return str(value)


def _name(entry: Any, source: str, where: str, line: int | None = None) -> Name:
    if not isinstance(entry, dict) or "last" not in entry and "first" not in entry:
        raise DataError(
            source, f"{where}: expected a name like {{first: .., last: ..}}, got {entry!r}", line
        )
    return Name(first=str(entry.get("first") or ""), last=str(entry.get("last") or ""))


def read_name_variants(data: bytes, source: str) -> list[Person]:
    """Persons of ``name_variants.yaml``; entries without ``id`` get their name slug."""
    doc = load_yaml(data, source)
    if not isinstance(doc, list):
        raise DataError(
            source,
            f"expected a list of entries with 'canonical' names, got {_kind(doc)}; "
            "pass an unmodified Anthology data/ folder",
        )
    persons: list[Person] = []
    for i, entry in enumerate(doc):
        where = f"entry {i + 1}"
        if not isinstance(entry, dict) or "canonical" not in entry:
            raise DataError(source, f"{where}: missing 'canonical'")
        names = [_name(entry["canonical"], source, where)]
        names += [_name(v, source, where) for v in entry.get("variants") or []]
        explicit = bool(entry.get("id"))
        similar = entry.get("similar") or ()
        persons.append(
            Person(
                person_id=str(entry["id"]) if explicit else names[0].slug,
                names=names,
                orcid=_str(entry.get("orcid")),
                comment=_str(entry.get("comment")),
                degree=_str(entry.get("degree") or entry.get("institution")),
                similar=(similar,) if isinstance(similar, str) else tuple(map(str, similar)),
                explicit=explicit,
            )
        )
    return persons


def _kind(doc: Any) -> str:
    if doc is None:
        return "an empty file"
    if isinstance(doc, dict):
        return "a mapping"
    if isinstance(doc, list):
        return "a list"
    return f"a {type(doc).__name__}"


def _read_people_mapping(doc: Any, data: bytes, source: str, fmt: str) -> list[Person]:
    """Persons of a 2026 registry already parsed into ``doc`` (``fmt``: 'yaml' or 'json')."""
    if not isinstance(doc, dict):
        hint = (
            " (this looks like the old name_variants.yaml list; name it yaml/name_variants.yaml)"
            if isinstance(doc, list)
            else ""
        )
        raise DataError(
            source,
            f"expected a mapping from person id to {{names: [...], ...}}, got {_kind(doc)}"
            f"{hint}; pass an unmodified Anthology data/ folder",
            1,
        )

    def line(pid: str) -> int | None:
        key = re.escape(pid)
        return _line_of(data, rf"^{key}:" if fmt == "yaml" else rf'"{key}"\s*:')

    persons: list[Person] = []
    for pid, entry in doc.items():
        if not isinstance(pid, str) or not is_person_id(pid):
            raise DataError(
                source,
                f"invalid person id {pid!r} (expected lower-case letters, digits and '-')",
                line(str(pid)),
            )
        where = f"person {pid!r}"
        if not isinstance(entry, dict):
            raise DataError(
                source, f"{where}: expected {{names: [...], ...}}, got {_kind(entry)}", line(pid)
            )
        raw_names = entry.get("names")
        if not isinstance(raw_names, list) or not raw_names:
            raise DataError(source, f"{where}: 'names' must be a non-empty list", line(pid))
        names: list[Name] = []
        script_names: list[tuple[str, Name]] = []
        for raw in raw_names:
            name = _name(raw, source, where, line(pid))
            script = raw.get("script")
            if script:
                script_names.append((str(script), name))
            else:
                names.append(name)
        if not names:  # only names in another script: keep them, a Person needs a name
            names = [n for _, n in script_names]
        similar = entry.get("similar") or []
        if isinstance(similar, str):
            similar = [similar]
        if not isinstance(similar, list):
            raise DataError(source, f"{where}: 'similar' must be a list of ids", line(pid))
        disable = entry.get("disable_name_matching", False)
        if not isinstance(disable, bool):
            raise DataError(
                source, f"{where}: 'disable_name_matching' must be true or false", line(pid)
            )
        persons.append(
            Person(
                person_id=pid,
                names=names,
                orcid=_str(entry.get("orcid")),
                comment=_str(entry.get("comment")),
                degree=_str(entry.get("degree")),
                similar=tuple(str(s) for s in similar),
                disable_name_matching=disable,
                explicit=True,
                script_names=tuple(script_names),
            )
        )
    return persons


def read_people_yaml(data: bytes, source: str) -> list[Person]:
    """Persons of ``yaml/people.yaml`` (Jan-Jul 2026 layout)."""
    return _read_people_mapping(load_yaml(data, source), data, source, "yaml")


def read_people_json(data: bytes, source: str) -> list[Person]:
    """Persons of ``json/people.json`` (current layout, ``acl-anthology`` 1.3.x)."""
    return _read_people_mapping(load_json(data, source), data, source, "json")
