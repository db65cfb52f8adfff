"""Library-wide statistics that pairwise features are scaled by (no gold labels involved)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from byline.names import fold
from byline.store import Store
from byline.store.corpus import Corpus


@dataclass
class LibraryStats:
    """Counts over all mentions and names, and TF-IDF models over all papers and affiliations.

    Attributes:
        mentions: author mentions in the library.
        slug_count: mentions per name slug.
        first_count, last_count: mentions per (folded) given name and family name.
        names: distinct name slugs in the library.
        first_names, last_names: distinct name slugs per (folded) given name and family name.
        coauthor_graph: name slug -> the slugs it co-wrote with (names, not persons).
        text_vectorizer, paper_row, text_matrix: TF-IDF of title + abstract per paper.
        aff_vectorizer: TF-IDF over affiliation strings.
    """

    mentions: int
    slug_count: Counter[str]
    first_count: Counter[str]
    last_count: Counter[str]
    coauthor_graph: dict[str, set[str]]  # slug -> slugs it co-wrote with (names, not persons)
    text_vectorizer: TfidfVectorizer
    paper_row: dict[str, int]
    text_matrix: sparse.csr_matrix
    aff_vectorizer: TfidfVectorizer
    names: int = 0
    first_names: Counter[str] = field(default_factory=Counter)
    last_names: Counter[str] = field(default_factory=Counter)

    def per_million(self, count: int) -> float:
        """log1p of a count per million mentions of the library."""
        return math.log1p(count * 1e6 / max(self.mentions, 1))

    def idf(self, slug: str) -> float:
        return math.log((self.mentions + 1) / (self.slug_count.get(slug, 0) + 1))

    def name_sharing(self, first: str, last: str) -> float:
        """How common a full name is expected to be: if given and family names combined at
        random, ``(names with this given name) x (names with this family name) / names``.

        Counted over the library's distinct names rather than mentions (as S2AND's name
        counts are), so a prolific author does not make a rare name look common: "Yang Liu"
        about 0.9, "Haoyu Wang" 0.26, "Ruobing Xie" 0.005, "Thenmozhi Durairaj" below 0.001.
        """
        return (
            self.first_names.get(fold(first), 0)
            * self.last_names.get(fold(last), 0)
            / max(self.names, 1)
        )

    def name_commonness(self, first: str, last: str) -> float:
        """:meth:`name_sharing` on a log scale (:func:`commonness`), as a feature."""
        return commonness(self.name_sharing(first, last))


def commonness(sharing: float) -> float:
    """A name sharing (:meth:`LibraryStats.name_sharing`) on the log scale of the
    ``name_commonness`` feature: ``log(sharing + 0.001)``."""
    return math.log(sharing + 1e-3)


def paper_text(title: str, abstract: str) -> str:
    return f"{title} {title} {abstract}"


# Bump when LibraryStats or compute_stats change: cached statistics are then rebuilt.
STATS_VERSION = "3"


def library_stats(corpus: Corpus, store: Store | None) -> LibraryStats:
    """The statistics of the ingested library, from the store's cache when still valid."""
    if store is None:
        return compute_stats(corpus)
    import sklearn

    from byline.store.artifacts import cached

    return cached(
        store,
        "library_stats",
        f"{STATS_VERSION}|sklearn {sklearn.__version__}",
        lambda: compute_stats(corpus),
    )


def compute_stats(corpus: Corpus) -> LibraryStats:
    slug_count: Counter[str] = Counter()
    first_count: Counter[str] = Counter()
    last_count: Counter[str] = Counter()
    graph: dict[str, set[str]] = {}
    affiliations: set[str] = set()
    first_names: Counter[str] = Counter()
    last_names: Counter[str] = Counter()
    n = 0
    for paper in corpus.papers.values():
        slugs = [m.slug for m in paper.authors]
        for m in paper.authors:
            n += 1
            if m.slug not in slug_count:
                first_names[fold(m.first)] += 1
                last_names[fold(m.last)] += 1
            slug_count[m.slug] += 1
            first_count[fold(m.first)] += 1
            last_count[fold(m.last)] += 1
            if m.affiliation:
                affiliations.add(m.affiliation)
        if len(slugs) <= 60:  # consortium papers would link everyone with everyone
            for s in slugs:
                graph.setdefault(s, set()).update(x for x in slugs if x != s)
    ids = list(corpus.papers)
    vec = TfidfVectorizer(
        min_df=2, max_df=0.2, sublinear_tf=True, dtype=np.float32, stop_words="english"
    )
    matrix = vec.fit_transform(
        paper_text(corpus.papers[p].title, corpus.papers[p].abstract) for p in ids
    ).tocsr()
    aff_vec = TfidfVectorizer(
        min_df=1, sublinear_tf=True, dtype=np.float32, strip_accents="unicode"
    )
    aff_vec.fit(sorted(affiliations) or ["none"])
    return LibraryStats(
        mentions=n,
        slug_count=slug_count,
        first_count=first_count,
        last_count=last_count,
        coauthor_graph=graph,
        text_vectorizer=vec,
        paper_row={p: i for i, p in enumerate(ids)},
        text_matrix=matrix,
        aff_vectorizer=aff_vec,
        names=len(slug_count),
        first_names=first_names,
        last_names=last_names,
    )
