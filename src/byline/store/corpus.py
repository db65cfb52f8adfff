"""The library as loaded from the store into memory, the input of every later stage."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from byline.bulk import gc_paused
from byline.errors import BylineError
from byline.names import known_slugs
from byline.sources.records import Mention, Name, Paper, Person
from byline.store import Store
from byline.store import schema as t


@dataclass
class Corpus:
    """The library in memory.

    Attributes:
        papers: paper id -> paper, with its mentions in author order.
        persons: the registry: person id -> person.
        blocks: name slug -> the mentions of that exact name, in paper order.
        abstracts: whether the papers carry their abstracts. A corpus loaded for splitting
            leaves them in the store (:func:`load_corpus`): a split reads them only through
            the library statistics' TF-IDF rows, and they are a fifth of the corpus's
            memory. :func:`fill_abstracts` reads them in when the statistics are built or
            updated.
    """

    papers: dict[str, Paper]
    persons: dict[str, Person]
    blocks: dict[str, list[Mention]] = field(default_factory=dict)
    abstracts: bool = True

    def __post_init__(self) -> None:
        if not self.blocks:
            self.reindex()

    def reindex(self) -> None:
        self.blocks = {}
        for paper in self.papers.values():
            for m in paper.authors:
                self.blocks.setdefault(m.slug, []).append(m)

    @property
    def mentions(self) -> Iterable[Mention]:
        for paper in self.papers.values():
            yield from paper.authors

    def is_catch_all(self, person_id: str | None) -> bool:
        p = self.persons.get(person_id or "")
        return p is not None and p.catch_all

    def explicit_id(self, m: Mention) -> str | None:
        """The mention's explicit ``id=``, unless it names a catch-all entry (no evidence)."""
        return m.person_id if m.person_id and not self.is_catch_all(m.person_id) else None

    def masked(self, mention_ids: set[str]) -> Corpus:
        """A copy in which the given mentions carry no ``id=``/``orcid=``/``openreview=``.

        Used by the benchmark to hide the gold of every scored mention: later stages only
        ever see the returned copy.
        """
        papers: dict[str, Paper] = {}
        for pid, paper in self.papers.items():
            if any(m.mention_id in mention_ids for m in paper.authors):
                paper = dataclasses.replace(
                    paper,
                    authors=[
                        dataclasses.replace(m, person_id=None, orcid=None, openreview=None)
                        if m.mention_id in mention_ids
                        else m
                        for m in paper.authors
                    ],
                )
            papers[pid] = paper
        return Corpus(papers=papers, persons=self.persons, abstracts=self.abstracts)


def load_corpus(store: Store, abstracts: bool = True) -> Corpus:
    """Load papers, mentions and persons from the store; without ``abstracts``, every
    paper's abstract is left in the store (``Corpus.abstracts`` is then False)."""
    with gc_paused():
        return _load_corpus(store, abstracts)


def fill_abstracts(corpus: Corpus, store: Store) -> None:
    """Read the abstracts of a corpus loaded without them into its papers, in place."""
    if corpus.abstracts:
        return
    with gc_paused(), store.connect() as conn:
        for pid, abstract in conn.execute(select(t.papers.c.paper_id, t.papers.c.abstract)):
            paper = corpus.papers.get(pid)
            if paper is not None:
                paper.abstract = abstract
    corpus.abstracts = True


def _load_corpus(store: Store, abstracts: bool = True) -> Corpus:
    papers: dict[str, Paper] = {}
    columns = [c for c in t.papers.c if abstracts or c.name != "abstract"]
    with store.connect() as conn:
        for row in conn.execute(select(*columns)).mappings():
            papers[row["paper_id"]] = Paper(
                paper_id=row["paper_id"],
                title=row["title"],
                year=row["year"],
                venues=tuple(v for v in row["venues"].split("|") if v),
                booktitle=row["booktitle"],
                abstract=row["abstract"] if abstracts else "",
                language=row["language"],
                source=row["source"],
            )
        if not papers:
            raise BylineError("the store is empty; run `byline ingest` first")
        q = select(
            t.mentions.c.paper_id,
            t.mentions.c.position,
            t.mentions.c.first,
            t.mentions.c.last,
            t.mentions.c.person_id,
            t.mentions.c.orcid,
            t.mentions.c.openreview,
            t.mentions.c.affiliation,
            t.mentions.c.variant,
            t.mentions.c.slug,
        ).order_by(t.mentions.c.paper_id, t.mentions.c.position)
        # rows are read as they come, and each name and affiliation becomes one string
        # object however often it recurs (a mention's paper id is its paper's)
        same: dict[str, str] = {}
        one = same.setdefault
        slugs: dict[tuple[str, str], str] = {}
        for row in conn.execute(q):
            pid, position, first, last, *ids, aff, variant, slug = row  # ids: id, ORCID, OpenReview
            first, last = one(first, first), one(last, last)
            paper = papers[pid]
            paper.authors.append(
                Mention(paper.paper_id, position, first, last, *ids, aff and one(aff, aff), variant)
            )
            if (first, last) not in slugs:
                slugs[first, last] = slug
        known_slugs((f, last, slug) for (f, last), slug in slugs.items())  # as ingest made them
        persons = {
            row["person_id"]: Person(
                person_id=row["person_id"],
                names=[Name(first=f, last=last) for f, last in row["names"]],
                orcid=row["orcid"],
                comment=row["comment"],
                degree=row["degree"],
                similar=tuple(row["similar"] or ()),
                disable_name_matching=row["disable_name_matching"],
                explicit=row["explicit"],
            )
            for row in conn.execute(select(t.persons)).mappings()
        }
    return Corpus(papers=papers, persons=persons, abstracts=abstracts)
