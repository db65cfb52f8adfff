"""Readers for the Anthology's person registry, one per data layout.

- ``yaml/name_variants.yaml``: Nov 2025 layout (``acl-anthology`` 0.5.x).
"""

from __future__ import annotations

from typing import Any

import yaml

from byline.errors import DataError
from byline.names import name_slug
from byline.sources.records import Name, Person


def load_yaml(data: bytes, source: str) -> Any:
    """Parse YAML, turning parser errors into a DataError with the file and line."""
    try:
        return yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DataError(source, f"malformed YAML ({exc.problem or exc})", line) from None
    except yaml.YAMLError as exc:
        raise DataError(source, f"malformed YAML ({exc})") from None


def _name(entry: Any, source: str, where: str) -> Name:
    if not isinstance(entry, dict) or "last" not in entry and "first" not in entry:
        raise DataError(source, f"{where}: expected a name like {{first: .., last: ..}}")
    return Name(first=str(entry.get("first") or ""), last=str(entry.get("last") or ""))


def read_name_variants(data: bytes, source: str) -> list[Person]:
    """Persons of ``name_variants.yaml``; entries without ``id`` get their name slug."""
    doc = load_yaml(data, source)
    if not isinstance(doc, list):
        raise DataError(source, "expected a list of entries with 'canonical' names")
    persons: list[Person] = []
    for i, entry in enumerate(doc):
        where = f"entry {i + 1}"
        if not isinstance(entry, dict) or "canonical" not in entry:
            raise DataError(source, f"{where}: missing 'canonical'")
        names = [_name(entry["canonical"], source, where)]
        names += [_name(v, source, where) for v in entry.get("variants") or []]
        explicit = bool(entry.get("id"))
        persons.append(
            Person(
                person_id=str(entry["id"]) if explicit else names[0].slug,
                names=names,
                orcid=entry.get("orcid"),
                comment=entry.get("comment"),
                degree=entry.get("degree") or entry.get("institution"),
                similar=tuple(entry.get("similar") or ()),
                explicit=explicit,
            )
        )
    return persons


def slug_of(name: Name) -> str:
    return name_slug(name.first, name.last)
