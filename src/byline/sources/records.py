"""Typed records every source produces and every later stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field

from byline.names import name_slug
from byline.sources.ids import mention_id

CATCH_ALL_MARK = "may refer to several people"


@dataclass(frozen=True)
class Name:
    first: str
    last: str

    @property
    def slug(self) -> str:
        return name_slug(self.first, self.last)

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}".strip()


@dataclass(frozen=True)
class Mention:
    """One ``<author>`` of one paper: the unit byline assigns to a person."""

    paper_id: str
    position: int
    first: str
    last: str
    person_id: str | None = None  # explicit ``id=`` attribute
    orcid: str | None = None
    openreview: str | None = None
    affiliation: str | None = None
    variant: str | None = None  # the name in another script (``<variant>``), if given

    @property
    def mention_id(self) -> str:
        return mention_id(self.paper_id, self.position)

    @property
    def slug(self) -> str:
        return name_slug(self.first, self.last)

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}".strip()


@dataclass
class Paper:
    paper_id: str
    title: str
    year: int | None
    venues: tuple[str, ...] = ()
    booktitle: str = ""
    abstract: str = ""
    language: str | None = None
    source: str = ""  # the collection file the paper came from
    authors: list[Mention] = field(default_factory=list)

    def coauthors(self, *own: str) -> list[Mention]:
        """The authors, in order, less those named ``own`` (name slugs: a person's own names)."""
        return [a for a in self.authors if a.slug not in own]

    def coauthor_slugs(self, *own: str) -> set[str]:
        """The name slugs of :meth:`coauthors`: co-authors by name, as features compare them."""
        return {a.slug for a in self.authors if a.slug not in own}


@dataclass
class Person:
    """A person entry of the registry (name_variants.yaml, people.yaml or people.json)."""

    person_id: str
    names: list[Name]
    orcid: str | None = None
    comment: str | None = None
    degree: str | None = None
    similar: tuple[str, ...] = ()
    disable_name_matching: bool = False
    explicit: bool = True  # False when the id was generated from the name (no ``id:``)
    # Names written in another script, as (script, name) pairs, e.g. ("hani", Name("嘉睿", "冯"));
    # only the 2026 layouts record them (``{first, last, script}`` in ``names``).
    script_names: tuple[tuple[str, Name], ...] = ()

    @property
    def catch_all(self) -> bool:
        """An entry that "may refer to several people" is no evidence of identity."""
        return bool(self.comment) and CATCH_ALL_MARK in (self.comment or "").lower()

    @property
    def canonical(self) -> Name:
        return self.names[0]
