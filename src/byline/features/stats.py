"""Library-wide statistics that pairwise features are scaled by (no gold labels involved)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from byline.names import fold
from byline.store import Store
from byline.store.corpus import Corpus


@dataclass
class LibraryStats:
    """Counts over all mentions and TF-IDF models over all papers and affiliations."""

    mentions: int
    slug_count: Counter[str]
    first_count: Counter[str]
    last_count: Counter[str]
    coauthor_graph: dict[str, set[str]]  # slug -> slugs it co-wrote with (names, not persons)
    text_vectorizer: TfidfVectorizer
    paper_row: dict[str, int]
    text_matrix: sparse.csr_matrix
    aff_vectorizer: TfidfVectorizer

    def per_million(self, count: int) -> float:
        """log1p of a count per million mentions of the library."""
        return math.log1p(count * 1e6 / max(self.mentions, 1))

    def idf(self, slug: str) -> float:
        return math.log((self.mentions + 1) / (self.slug_count.get(slug, 0) + 1))


def paper_text(title: str, abstract: str) -> str:
    return f"{title} {title} {abstract}"


# Bump when LibraryStats or compute_stats change: cached statistics are then rebuilt.
STATS_VERSION = "2"


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
    n = 0
    for paper in corpus.papers.values():
        slugs = [m.slug for m in paper.authors]
        for m in paper.authors:
            n += 1
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
    )
