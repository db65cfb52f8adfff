"""Library-wide statistics that pairwise features are scaled by (no gold labels involved).

Built from the whole library once (:func:`compute_stats`) and then brought up to date after
each ingest by :meth:`LibraryStats.update`, which reads only the papers that changed and
gives what a rebuild from scratch gives (``tests/test_stats_update.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from byline.errors import BylineError
from byline.names import fold
from byline.sources.records import Paper
from byline.store import Store
from byline.store.corpus import Corpus, fill_abstracts

# slug, folded given name, folded family name, affiliation ("" for none)
MentionKey = tuple[str, str, str, str]

# Papers with more authors are left out of the co-author graph: consortium papers would link
# everyone with everyone.
COAUTHOR_GRAPH_MAX_AUTHORS = 60
# The title + abstract TF-IDF: terms in at least 2 papers and at most a fifth of them.
TEXT_MIN_DF = 2
TEXT_MAX_DF = 0.2
# An update that would touch more than this share of the papers rebuilds instead (it is then
# no faster, and terms no paper has any more are dropped).
REBUILD_SHARE = 0.5


def _text_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        min_df=TEXT_MIN_DF,
        max_df=TEXT_MAX_DF,
        sublinear_tf=True,
        dtype=np.float32,
        stop_words="english",
    )


def _aff_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(min_df=1, sublinear_tf=True, dtype=np.float32, strip_accents="unicode")


@dataclass
class StatsBasis:
    """What :meth:`LibraryStats.update` needs beyond the statistics themselves.

    Attributes:
        paper_digest: paper id -> a digest of what the statistics read of the paper (title,
            abstract, its authors' names and affiliations in order).
        paper_authors: paper id -> its authors as :data:`MentionKey` tuples.
        slug_name: name slug -> the (folded given, folded family) name it is counted under in
            ``first_names``/``last_names``: the smallest spelling any of its mentions has.
        affiliation_count: mentions per affiliation string.
        terms: every term of every paper's text -> its column in ``term_counts`` (in the
            order first met; a term no paper has any more keeps its column).
        term_counts: (papers x terms) raw term counts, rows as ``LibraryStats.paper_row``.
    """

    paper_digest: dict[str, bytes] = field(default_factory=dict)
    paper_authors: dict[str, tuple[MentionKey, ...]] = field(default_factory=dict)
    slug_name: dict[str, tuple[str, str]] = field(default_factory=dict)
    affiliation_count: Counter[str] = field(default_factory=Counter)
    terms: dict[str, int] = field(default_factory=dict)
    term_counts: sparse.csr_matrix = field(
        default_factory=lambda: sparse.csr_matrix((0, 0), dtype=np.int32)
    )


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
        basis: what an in-place :meth:`update` reads; None on a copy that cannot be updated
            (one shipped to a Dask worker, or a view over other papers).
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
    basis: StatsBasis | None = None

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

    def differences(self, other: LibraryStats) -> list[str]:
        """What differs between these statistics and ``other`` of the same library: the
        fields, or "text rows" where any paper's TF-IDF row differs in any bit (empty:
        identical; :meth:`update` promises that against a rebuild)."""
        got, want = self, other
        out = [
            f
            for f in (
                "mentions",
                "names",
                "slug_count",
                "first_count",
                "last_count",
                "first_names",
                "last_names",
                "coauthor_graph",
            )
            if getattr(got, f) != getattr(want, f)
        ]
        if got.text_vectorizer.vocabulary_ != want.text_vectorizer.vocabulary_:
            out.append("text vocabulary")
        if not np.array_equal(got.text_vectorizer.idf_, want.text_vectorizer.idf_):
            out.append("text idf")
        if got.paper_row.keys() != want.paper_row.keys():
            out.append("papers")
        elif "text vocabulary" not in out:
            ids = list(want.paper_row)
            a = got.text_matrix[[got.paper_row[p] for p in ids]]
            b = want.text_matrix[[want.paper_row[p] for p in ids]]
            if (a != b).nnz:
                out.append("text rows")
        if got.aff_vectorizer.vocabulary_ != want.aff_vectorizer.vocabulary_ or not np.array_equal(
            got.aff_vectorizer.idf_, want.aff_vectorizer.idf_
        ):
            out.append("affiliation vectorizer")
        return out

    def restricted(self, papers: Iterable[Paper]) -> LibraryStats:
        """The part of these statistics that splitting the names of ``papers`` reads, for a
        task that carries its own share of the library (``split --all --dask``): the counts
        and co-author lists of the papers' author names, their given and family names'
        counts, the papers' TF-IDF rows and the affiliation vectorizer; the library's
        totals as they are. Features of those names come out as from the whole
        statistics. Cannot be updated, nor transform new texts (no text vectorizer)."""
        slugs: set[str] = set()
        firsts: set[str] = set()
        lasts: set[str] = set()
        ids: list[str] = []
        for paper in papers:
            if paper.paper_id in self.paper_row:
                ids.append(paper.paper_id)
            for m in paper.authors:
                slugs.add(m.slug)
                firsts.add(fold(m.first))
                lasts.add(fold(m.last))

        def part(counts: Counter[str], keys: set[str]) -> Counter[str]:
            return Counter({k: counts[k] for k in keys if k in counts})

        return LibraryStats(
            mentions=self.mentions,
            slug_count=part(self.slug_count, slugs),
            first_count=part(self.first_count, firsts),
            last_count=part(self.last_count, lasts),
            coauthor_graph={s: self.coauthor_graph[s] for s in slugs if s in self.coauthor_graph},
            text_vectorizer=_text_vectorizer(),
            paper_row={pid: i for i, pid in enumerate(ids)},
            text_matrix=self.text_matrix[[self.paper_row[pid] for pid in ids]],
            aff_vectorizer=self.aff_vectorizer,
            names=self.names,
            first_names=part(self.first_names, firsts),
            last_names=part(self.last_names, lasts),
        )

    def update(self, corpus: Corpus, max_changed: float | None = None) -> int | None:
        """Bring the statistics, in place, to what :func:`compute_stats` gives for ``corpus``.

        Only the papers added, removed or changed since the last build or update are read
        (a digest per paper tells them apart); the name counts, the co-author graph of the
        names they touch and the affiliation vectorizer follow exactly, and the text TF-IDF
        is derived again from the kept raw term counts (vocabulary and IDF as a refit gives
        them, every row included). Returns how many papers changed; or None, leaving the
        statistics as they were, when more than ``max_changed`` of the library's papers did
        (a rebuild is then as fast).
        """
        basis = self.basis
        if basis is None:
            raise ValueError("these statistics cannot be updated (a copy without its basis)")
        _require_abstracts(corpus)
        digest = {pid: _paper_digest(p) for pid, p in corpus.papers.items()}
        old = basis.paper_digest
        removed = [pid for pid, d in old.items() if digest.get(pid) != d]
        added = [pid for pid, d in digest.items() if old.get(pid) != d]
        changed = len(set(removed) | set(added))
        if max_changed is not None and changed > max_changed * max(len(digest), 1):
            return None
        if not removed and not added and basis.paper_authors:
            return 0
        touched: set[str] = set()
        affiliations_before = len(basis.affiliation_count)
        affiliations_moved = not hasattr(self.aff_vectorizer, "vocabulary_")  # never fitted
        for pid in removed:
            for slug, first, last, aff in basis.paper_authors.pop(pid):
                self.mentions -= 1
                _decrement(self.slug_count, slug)
                _decrement(self.first_count, first)
                _decrement(self.last_count, last)
                if aff:
                    affiliations_moved |= _decrement(basis.affiliation_count, aff)
                touched.add(slug)
            del basis.paper_digest[pid]
        for pid in added:
            keys = tuple(
                (m.slug, fold(m.first), fold(m.last), m.affiliation or "")
                for m in corpus.papers[pid].authors
            )
            basis.paper_authors[pid] = keys
            basis.paper_digest[pid] = digest[pid]
            for slug, first, last, aff in keys:
                self.mentions += 1
                self.slug_count[slug] += 1
                self.first_count[first] += 1
                self.last_count[last] += 1
                if aff:
                    basis.affiliation_count[aff] += 1
                touched.add(slug)
        affiliations_moved |= len(basis.affiliation_count) != affiliations_before
        self._update_names(corpus, touched)
        self._update_text(corpus, removed, added)
        if affiliations_moved:
            self.aff_vectorizer = _aff_vectorizer()
            self.aff_vectorizer.fit(sorted(basis.affiliation_count) or ["none"])
        return changed

    def _update_names(self, corpus: Corpus, touched: set[str]) -> None:
        """Spellings and co-authors of the touched names, read again from the library."""
        basis = self.basis
        assert basis is not None
        spelling: dict[str, tuple[str, str]] = {}
        graph: dict[str, set[str]] = {}
        for pid in corpus.papers:
            keys = basis.paper_authors[pid]
            hit = [k for k in keys if k[0] in touched]
            if not hit:
                continue
            for slug, first, last, _ in hit:
                name = (first, last)
                if slug not in spelling or name < spelling[slug]:
                    spelling[slug] = name
            if len(keys) <= COAUTHOR_GRAPH_MAX_AUTHORS:
                slugs = [k[0] for k in keys]
                for slug, *_ in hit:
                    graph.setdefault(slug, set()).update(x for x in slugs if x != slug)
        for slug in touched:
            before = basis.slug_name.pop(slug, None)
            if before is not None:
                _decrement(self.first_names, before[0])
                _decrement(self.last_names, before[1])
            now = spelling.get(slug)
            if now is not None:
                basis.slug_name[slug] = now
                self.first_names[now[0]] += 1
                self.last_names[now[1]] += 1
            if slug in graph:
                self.coauthor_graph[slug] = graph[slug]
            else:
                self.coauthor_graph.pop(slug, None)
        self.names = len(self.slug_count)

    def _update_text(self, corpus: Corpus, removed: list[str], added: list[str]) -> None:
        """Raw term counts of the changed papers, then the TF-IDF derived from all of them."""
        basis = self.basis
        assert basis is not None
        gone = set(removed)
        order = sorted(self.paper_row, key=self.paper_row.__getitem__)
        kept = [pid for pid in order if pid not in gone]
        analyze = _text_vectorizer().build_analyzer()
        data: list[int] = []
        cols: list[int] = []
        indptr = [0]
        for pid in added:
            paper = corpus.papers[pid]
            counts = Counter(analyze(paper_text(paper.title, paper.abstract)))
            for term, n in counts.items():
                cols.append(basis.terms.setdefault(term, len(basis.terms)))
                data.append(n)
            indptr.append(len(cols))
        width = len(basis.terms)
        old = basis.term_counts
        old = sparse.csr_matrix((old.data, old.indices, old.indptr), shape=(old.shape[0], width))[
            [self.paper_row[pid] for pid in kept]
        ]
        new = sparse.csr_matrix(
            (np.asarray(data, np.int32), np.asarray(cols, np.int32), np.asarray(indptr)),
            shape=(len(added), width),
        )
        basis.term_counts = sparse.vstack([old, new], format="csr", dtype=np.int32)
        self.paper_row = {pid: i for i, pid in enumerate(kept + added)}
        self.text_vectorizer, self.text_matrix = _tfidf(basis.term_counts, basis.terms)


def _decrement(counter: Counter[str], key: str) -> bool:
    """Count ``key`` once less; True when that was its last one (the key is then gone)."""
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]
        return True
    return False


def _paper_digest(paper: Paper) -> bytes:
    parts = [paper.title, paper.abstract or ""]
    for m in paper.authors:
        parts.extend((m.first, m.last, m.affiliation or ""))
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=12).digest()


def _tfidf(
    counts: sparse.csr_matrix, terms: dict[str, int]
) -> tuple[TfidfVectorizer, sparse.csr_matrix]:
    """What ``TfidfVectorizer.fit_transform`` gives on the texts behind these raw counts:
    the same vocabulary (terms in ``TEXT_MIN_DF``.. ``TEXT_MAX_DF`` of the papers, sorted),
    IDF and rows, and a vectorizer that transforms new texts alike."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    keep = (df >= TEXT_MIN_DF) & (df <= TEXT_MAX_DF * n)
    vocab_terms = sorted(term for term, j in terms.items() if keep[j])
    column = np.full(counts.shape[1], -1, dtype=np.int64)
    column[[terms[term] for term in vocab_terms]] = np.arange(len(vocab_terms))
    if not vocab_terms:  # a library too small for any term to qualify: no text evidence
        vocab_terms = [""]
    mapped = column[counts.indices]
    sel = mapped >= 0
    rows = np.repeat(np.arange(n), np.diff(counts.indptr))
    indptr = np.r_[0, np.cumsum(np.bincount(rows[sel], minlength=n))]
    x = sparse.csr_matrix(
        (counts.data[sel].astype(np.float32), mapped[sel].astype(np.int32), indptr),
        shape=(n, len(vocab_terms)),
    )
    x.sort_indices()  # within a row by column, whatever order the counts were kept in
    transformer = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True)
    matrix = transformer.fit(x).transform(x, copy=True).tocsr()
    vectorizer = _text_vectorizer()
    vectorizer.vocabulary_ = {term: i for i, term in enumerate(vocab_terms)}
    vectorizer.idf_ = transformer.idf_
    return vectorizer, matrix


def commonness(sharing: float) -> float:
    """A name sharing (:meth:`LibraryStats.name_sharing`) on the log scale of the
    ``name_commonness`` feature: ``log(sharing + 0.001)``."""
    return math.log(sharing + 1e-3)


def paper_text(title: str, abstract: str) -> str:
    return f"{title} {title} {abstract}"


# Bump when LibraryStats or compute_stats change: cached statistics are then rebuilt.
STATS_VERSION = "4"


def library_stats(corpus: Corpus, store: Store | None) -> LibraryStats:
    """The statistics of the ingested library: from the store's cache when still valid,
    else the cached ones of an earlier state brought up to date (:meth:`LibraryStats.update`),
    else built from scratch."""
    if store is None:
        return compute_stats(corpus)
    import sklearn

    from byline.store.artifacts import UpdateOnly, cached

    def update(stats: LibraryStats) -> LibraryStats | None:
        if stats.basis is None:
            return None
        fill_abstracts(corpus, store)
        if stats.update(corpus, max_changed=REBUILD_SHARE) is None:
            return None
        return stats

    def build() -> LibraryStats:
        fill_abstracts(corpus, store)
        return compute_stats(corpus)

    return cached(
        store,
        "library_stats",
        f"{STATS_VERSION}|sklearn {sklearn.__version__}",
        build,
        update=update,
        # the basis (per-paper digests, authors and term counts) is half the statistics
        # and only an update reads it
        update_only=UpdateOnly(
            take=lambda s: (dataclasses.replace(s, basis=None), s.basis),
            put=lambda s, basis: dataclasses.replace(s, basis=basis),
        ),
    )


def _require_abstracts(corpus: Corpus) -> None:
    if not corpus.abstracts:
        raise BylineError(
            "the library statistics read every paper's abstract, and this corpus was loaded "
            "without them (store.corpus.fill_abstracts reads them in)"
        )


def compute_stats(corpus: Corpus) -> LibraryStats:
    """The statistics of ``corpus`` from scratch: an empty library updated with every paper."""
    _require_abstracts(corpus)
    stats = LibraryStats(
        mentions=0,
        slug_count=Counter(),
        first_count=Counter(),
        last_count=Counter(),
        coauthor_graph={},
        text_vectorizer=_text_vectorizer(),
        paper_row={},
        text_matrix=sparse.csr_matrix((0, 0), dtype=np.float32),
        aff_vectorizer=_aff_vectorizer(),  # unfitted until the first update
        basis=StatsBasis(),
    )
    stats.update(corpus)
    return stats
