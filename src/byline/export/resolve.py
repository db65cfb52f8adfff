"""Who an ``<author>``/``<editor>`` resolves to, by the rules of each registry layout.

These mirror the official ``acl-anthology`` library (the tests check the export against it):

- ``2025-11`` (0.5.x): an explicit ``id=`` wins; else the exact name looked up among the
  registry's canonical names and variants (two or more ids: ``AmbiguousNameError``); else the
  name slug, an implicit person shared by every mention of that slug.
- ``2026-yaml`` / ``2026-json`` (1.x): an explicit ``id=`` wins; else the name slug matched
  against the slugs of the registry's names: exactly one person, without
  ``disable_name_matching``, gets it; anything else resolves to ``<slug>/unverified``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from slugify import slugify

from byline.errors import BylineError
from byline.sources.anthology import Layout
from byline.sources.records import Person

AMBIGUOUS = "!ambiguous"
NO_PERSON_ID = "__NO_PERSON_ID__"  # acl_anthology.constants.NO_PERSON_ID (2026 layouts)
UNVERIFIED = "/unverified"
_REPLACEMENTS = [["ʼ", "-"], ["’", "-"]]  # acl_anthology 1.x SLUGIFY_REPLACEMENTS

NameKey = tuple[str | None, str]


def name_key(first: str | None, last: str) -> NameKey:
    """How the library compares names: an empty first name equals a missing one."""
    return (first or None, last)


@lru_cache(maxsize=200_000)
def slug_of(first: str | None, last: str, layout: str) -> str:
    full = f"{first} {last}" if first else last
    if layout == Layout.NAME_VARIANTS:
        return slugify(full) if full else "none"
    return slugify(full, replacements=_REPLACEMENTS)


@dataclass
class Entry:
    """A registry entry as the export sees it (and edits it)."""

    pid: str
    names: list[NameKey]
    orcid: str | None = None
    comment: str | None = None
    degree: str | None = None
    disable_name_matching: bool = False
    catch_all: bool = False
    new: bool = False  # written by this export
    added_names: list[NameKey] = field(default_factory=list)
    flag_set: bool = False  # disable_name_matching set by this export
    fields_set: list[str] = field(default_factory=list)  # "orcid", "degree" filled by it
    renamed_from: NameKey | None = None  # the canonical name before this export renamed it

    @property
    def edited(self) -> bool:
        """Whether this export writes the entry (new, or changed)."""
        return (
            self.new
            or bool(self.added_names)
            or self.flag_set
            or bool(self.fields_set)
            or self.renamed_from is not None
        )


class Registry:
    """The person registry of one layout, with the library's resolution rule."""

    def __init__(self, layout: str, persons: list[Person]) -> None:
        self.layout = layout
        self.entries: dict[str, Entry] = {}
        self._by_name: dict[NameKey, list[str]] = {}
        self._by_slug: dict[str, set[str]] = {}
        for p in persons:
            if p.person_id in self.entries:  # the library keeps the first entry
                continue
            names = [name_key(n.first, n.last) for n in p.names]
            names += [name_key(n.first, n.last) for _, n in p.script_names]
            self.add(
                Entry(
                    pid=p.person_id,
                    names=names,
                    orcid=p.orcid,
                    comment=p.comment,
                    degree=p.degree,
                    disable_name_matching=p.disable_name_matching,
                    catch_all=p.catch_all,
                )
            )

    @property
    def old_layout(self) -> bool:
        return self.layout == Layout.NAME_VARIANTS

    def slug(self, first: str | None, last: str) -> str:
        return slug_of(first, last, self.layout)

    def _index(self, pid: str, name: NameKey) -> None:
        ids = self._by_name.setdefault(name, [])
        if pid not in ids:
            ids.append(pid)
        self._by_slug.setdefault(self.slug(*name), set()).add(pid)

    def add(self, entry: Entry) -> None:
        self.entries[entry.pid] = entry
        for name in entry.names:
            self._index(entry.pid, name)

    def add_name(self, pid: str, name: NameKey) -> bool:
        """Give ``pid`` one more name (2026 layouts need every name used with an id)."""
        entry = self.entries[pid]
        if name in entry.names:
            return False
        entry.names.append(name)
        entry.added_names.append(name)
        self._index(pid, name)
        return True

    def disable_matching(self, pid: str) -> None:
        entry = self.entries[pid]
        if not entry.disable_name_matching:
            entry.disable_name_matching = True
            entry.flag_set = True

    def fill(self, pid: str, orcid: str | None = None, degree: str | None = None) -> None:
        """Give ``pid`` the ORCID iD and degree institution its entry lacks; a value it has
        stays (the same one is no change). A different ORCID iD is refused: an iD is never
        overwritten."""
        entry = self.entries[pid]
        if orcid and entry.orcid and entry.orcid != orcid:
            raise BylineError(
                f"{pid} already has the ORCID iD {entry.orcid}, not {orcid}; an ORCID iD is "
                "never overwritten: check the request and correct the registry by hand"
            )
        if orcid and not entry.orcid:
            entry.orcid = orcid
            entry.fields_set.append("orcid")
        if degree and not entry.degree:
            entry.degree = degree
            entry.fields_set.append("degree")

    def name_holders(self, name: NameKey, pid: str | None = None) -> list[str]:
        """Ids of the entries other than ``pid`` that go by ``name`` (by the layout's name
        slug, as the library matches names; the exact name too in the Nov 2025 layout)."""
        ids = set(self._by_slug.get(self.slug(*name), ())) | set(self._by_name.get(name, ()))
        return sorted(ids - {pid})

    def rename(self, pid: str, name: NameKey) -> None:
        """Make ``name`` the canonical (first) name of ``pid``; its old canonical name stays
        as a variant, as the library's ``Person.canonical_name = ...`` does. A name another
        entry goes by is refused: that name change is made by hand."""
        entry = self.entries[pid]
        if entry.names and entry.names[0] == name:
            return
        holders = self.name_holders(name, pid)
        if holders:
            full = " ".join(x for x in name if x)
            raise BylineError(
                f"the new name {full} of {pid} is a name of {', '.join(holders)}; a name "
                "change to another person's name is made by hand"
            )
        old = entry.names[0]
        if name not in entry.names:
            self._index(pid, name)
        entry.names = [name] + [n for n in entry.names if n != name]
        if entry.renamed_from is None:
            entry.renamed_from = old

    def ids_with_slug(self, slug: str) -> set[str]:
        return set(self._by_slug.get(slug, ()))

    def owner(self, first: str | None, last: str, pid: str | None) -> str:
        """The person id a name specification resolves to."""
        if self.old_layout:
            if pid:
                return pid
            ids = self._by_name.get(name_key(first, last))
            if ids:
                return ids[0] if len(ids) == 1 else AMBIGUOUS
            return self.slug(first, last)
        if pid and pid != NO_PERSON_ID:
            return pid
        slug = self.slug(first, last)
        ids = self._by_slug.get(slug, set())
        if len(ids) == 1:
            (only,) = ids
            if not self.entries[only].disable_name_matching:
                return only
        return slug + UNVERIFIED

    def is_person(self, pid: str) -> bool:
        """Whether ``pid`` is a registry entry an ``id=`` may point to."""
        return pid in self.entries
