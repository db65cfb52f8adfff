"""The pairwise features of many blocks in one pass, and of chosen pairs of a giant block.

:func:`byline.features.pairwise.block_features` defines the features, one block at a time;
it is the reference. Per block it pays a few milliseconds of fixed cost (sparse matrices,
a TF-IDF transform, graph searches), which over the library's 43,000 names of two or more
mentions is most of ``split --all``. :func:`batch_features` computes the same matrices for
many blocks at once, value for value:

- sets (co-authors, their co-authors, venues) become one incidence matrix over all the
  blocks, each block with its own vocabulary (columns numbered block after block, in the
  order ``block_features`` numbers them), so that the products, which SciPy accumulates in
  the order of a row's columns, add the same float32 terms in the same order;
- TF-IDF rows (title+abstract, affiliations) are those of the library's matrix and of the
  vectorizer, their columns kept apart per block the same way;
- the chains of direct evidence are searched per connected component (hop counts are
  integers: any search gives the same);
- title embeddings are multiplied pair by pair (:func:`~byline.features.pairwise.vector_dots`,
  as the reference does: never BLAS, whose order of addition depends on the shape and the
  number of threads).

:func:`pair_features` computes the features of given pairs only (a giant block's candidate
pairs, :mod:`byline.engine.giant`): the same definitions, with dot products taken row by
row, so TF-IDF sums may differ from the reference in the last bit (title embeddings do not).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components, shortest_path

from byline.features.pairwise import FEATURES, _aff_key, vector_dots
from byline.features.stats import LibraryStats
from byline.names import fold, has_han
from byline.sources.records import Mention, Paper

_COL = {name: i for i, name in enumerate(FEATURES)}
_HOP_CHUNK = 1024  # mentions per shortest-path search (memory: chunk x component size)
_LANDMARKS = 32  # landmarks bounding the hops in a giant evidence component
_ROW_CHUNK = 16384  # pairs per row-by-row product (memory: chunk x row length)


@lru_cache(maxsize=1024)
def _triu(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, 1)


@dataclass
class _Mentions:
    """Per-mention inputs of the features, for the mentions of several blocks in a row.

    Attributes:
        block: block index of each mention.
        sizes: mentions per block.
        slugs: the name of each block.
    """

    mentions: list[Mention]
    papers: list[Paper]
    block: np.ndarray
    sizes: np.ndarray
    slugs: list[str]


def _gather(blocks: Sequence[list[Mention]], papers: Mapping[str, Paper]) -> _Mentions:
    mentions = [m for b in blocks for m in b]
    sizes = np.array([len(b) for b in blocks], dtype=np.int64)
    return _Mentions(
        mentions=mentions,
        papers=[papers[m.paper_id] for m in mentions],
        block=np.repeat(np.arange(len(blocks)), sizes),
        sizes=sizes,
        slugs=[b[0].slug for b in blocks],
    )


def _incidence(
    sets: Sequence[Sequence[str]], block: np.ndarray, weights: Mapping[str, float] | None = None
) -> sparse.csr_matrix:
    """(mentions x vocabulary) incidence, one vocabulary per block: columns numbered in the
    order ``pairwise._incidence`` numbers a block's (each set in sorted order), block after
    block, so that every row lists its columns as the reference's does."""
    vocab: dict[tuple[int, str], int] = {}
    indptr = [0]
    cols: list[int] = []
    vals: list[float] = []
    for s, b in zip(sets, block.tolist(), strict=True):
        for x in sorted(s):
            cols.append(vocab.setdefault((b, x), len(vocab)))
            if weights is not None:
                vals.append(weights[x])
        indptr.append(len(cols))
    data = (
        np.asarray(vals, dtype=np.float32)
        if weights is not None
        else np.ones(len(cols), dtype=np.float32)
    )
    m = sparse.csr_matrix(
        (data, np.asarray(cols, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(sets), max(1, len(vocab))),
    )
    m.sum_duplicates()  # sorts each row's columns, as the reference's COO -> CSR does
    return m


def _per_block_columns(m: sparse.csr_matrix, block: np.ndarray) -> sparse.csr_matrix:
    """``m`` with its columns kept apart per block (row ``i``'s column ``c`` becomes that of
    ``(block[i], c)``), numbered in increasing ``(block, c)`` so that each row keeps the
    order of its entries; rows of different blocks then share no column."""
    m = m.tocsr()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    keys = block[rows].astype(np.int64) * m.shape[1] + m.indices
    uniq, cols = np.unique(keys, return_inverse=True)
    return sparse.csr_matrix(
        (m.data, cols.astype(np.int64), m.indptr.astype(np.int64)),
        shape=(m.shape[0], max(1, len(uniq))),
    )


def _at(m: sparse.csr_matrix, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The entries ``(first[k], second[k])`` of a sparse matrix, dense, in its dtype."""
    if len(first) == 0:
        return np.zeros(0, dtype=m.dtype)
    return np.asarray(m[first, second]).ravel()


def _rowdots(
    a: sparse.csr_matrix, b: sparse.csr_matrix, first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """``(a @ b.T)[first[k], second[k]]`` row by row (memory and time linear in the pairs)."""
    if len(first) == 0:
        return np.zeros(0, dtype=np.float32)
    out = np.empty(len(first), dtype=np.float32)
    for s in range(0, len(first), _ROW_CHUNK):
        f, g = first[s : s + _ROW_CHUNK], second[s : s + _ROW_CHUNK]
        out[s : s + len(f)] = np.asarray(a[f].multiply(b[g]).sum(axis=1)).ravel()
    return out


def _codes(values: Sequence[object]) -> np.ndarray:
    """An integer per value, equal for equal values."""
    index: dict[object, int] = {}
    return np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64, len(values))


class _HopIndex:
    """The library's co-author graph as a sparse matrix, to count shared 2-hop
    neighbourhoods with sparse products instead of Python sets.

    Attributes:
        ids: name slug -> column (every name of the library; one met later gets a new one).
        graph: (names x names) 0/1, the co-authors of each name; empty rows for names with
            400 co-authors or more (``block_features`` leaves those out).
    """

    def __init__(self, stats: LibraryStats) -> None:
        self.ids: dict[str, int] = {}
        for s in stats.slug_count:
            self.ids.setdefault(s, len(self.ids))
        for s in stats.coauthor_graph:
            self.ids.setdefault(s, len(self.ids))
        rows: list[int] = []
        cols: list[int] = []
        for s, nb in stats.coauthor_graph.items():
            if nb and len(nb) < 400:
                rows.extend([self.ids[s]] * len(nb))
                cols.extend(self.ids.setdefault(x, len(self.ids)) for x in nb)
        n = len(self.ids)
        self.graph = sparse.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(n, n)
        )

    def id_of(self, slug: str) -> int:
        """The column of a name, a new one for a name the library does not have."""
        got = self.ids.get(slug)
        if got is None:
            got = self.ids[slug] = len(self.ids)
        return got

    def hop_incidence(
        self, co: list[set[str]], block: np.ndarray, slugs: list[str]
    ) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Each mention's co-authors and their co-authors, its own name left out (the 2-hop
        neighbourhood ``block_features`` counts), as a (mentions x names) 0/1 matrix whose
        columns are kept apart per block; and the size of each neighbourhood (float32)."""
        n = len(co)
        co_ids = np.fromiter((self.id_of(s) for c in co for s in c), np.int64)
        own = np.fromiter((self.id_of(slugs[b]) for b in block.tolist()), np.int64, n)
        width = len(self.ids)
        graph = self.graph
        if graph.shape[0] < width:  # names the library does not have: no co-authors
            graph = sparse.csr_matrix(
                (
                    graph.data,
                    graph.indices,
                    np.r_[graph.indptr, [graph.nnz] * (width - graph.shape[0])],
                ),
                shape=(width, width),
            )
        c = sparse.csr_matrix(
            (
                np.ones(len(co_ids), dtype=np.float32),
                co_ids,
                np.r_[0, np.cumsum([len(x) for x in co])],
            ),
            shape=(n, width),
        )
        h = (c @ graph + c).tocsr()
        rows = np.repeat(np.arange(n), np.diff(h.indptr))
        keep = h.indices != own[rows]
        rows, names = rows[keep], h.indices[keep].astype(np.int64)
        counts = np.bincount(rows, minlength=n)
        uniq, cols = np.unique(block[rows].astype(np.int64) * width + names, return_inverse=True)
        m = sparse.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), cols, np.r_[0, np.cumsum(counts)]),
            shape=(n, max(1, len(uniq))),
        )
        return m, counts.astype(np.float32)


_HOP_INDEXES: dict[int, _HopIndex] = {}


def warm_features(stats: LibraryStats) -> None:
    """Build what :func:`batch_features` keeps per library statistics (the co-author graph
    as a sparse matrix, about a second on the Anthology) now, e.g. before forking."""
    _hop_index(stats)


def _hop_index(stats: LibraryStats) -> _HopIndex:
    """The :class:`_HopIndex` of these statistics, built once (dropped with them)."""
    index = _HOP_INDEXES.get(id(stats))
    if index is None:
        index = _HOP_INDEXES[id(stats)] = _HopIndex(stats)
        weakref.finalize(stats, _HOP_INDEXES.pop, id(stats), None)
    return index


def _hops_bounded(graph: sparse.csr_matrix, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hops between ``a[k]`` and ``b[k]`` of one connected evidence graph too large for a
    search from every source (more than ``2 * _HOP_CHUNK`` mentions, so only in a giant
    block: the largest real name has 391): exact up to 2 (adjacency, a shared neighbour);
    beyond, the shortest chain through one of ``_LANDMARKS`` landmarks (the best-connected
    mentions), an upper bound, at least 3. Time linear in the graph and the pairs, where a
    search from every source is quadratic (``bench/giant_blocks.py``)."""
    adj = graph.copy().tocsr()
    adj.data[:] = 1.0
    out = np.full(len(a), 3.0)
    one = np.asarray(adj[a, b]).ravel() > 0
    two = np.asarray(adj[a].multiply(adj[b]).sum(axis=1)).ravel() > 0
    far = ~one & ~two
    if far.any():
        degree = np.diff(adj.indptr)
        landmarks = np.argsort(-degree, kind="stable")[:_LANDMARKS]
        dist = shortest_path(adj, directed=False, unweighted=True, indices=landmarks)
        via = (dist[:, a[far]] + dist[:, b[far]]).min(axis=0)
        out[far] = np.maximum(via, 3.0)
    out[two] = 2.0
    out[one] = 1.0
    return out


def _hops(
    first: np.ndarray,
    second: np.ndarray,
    direct: np.ndarray,
    graph: sparse.csr_matrix,
    comp: np.ndarray,
) -> np.ndarray:
    """Hops along the shortest chain of direct evidence (``graph``) between ``first[k]`` and
    ``second[k]`` (1 where the pair itself has evidence, ``direct``; NaN when no chain),
    searched per connected component (``comp``), a few components (at most about
    ``_HOP_CHUNK`` mentions) at a time; bounded (:func:`_hops_bounded`) in a component of
    more than ``2 * _HOP_CHUNK``."""
    out = np.full(len(first), np.nan, dtype=np.float64)
    same = comp[first] == comp[second]
    out[same & direct] = 1.0
    todo = np.flatnonzero(same & ~direct)
    if len(todo) == 0:
        return out
    n = len(comp)
    graph = (graph + graph.T).tocsr()
    pair_comp = comp[first[todo]]
    members = np.argsort(comp, kind="stable")
    bounds = np.searchsorted(comp[members], np.arange(comp.max() + 2))
    wanted = np.unique(pair_comp)
    chunk: list[int] = []
    size = 0
    for k, c in enumerate(wanted.tolist()):
        chunk.append(c)
        size += int(bounds[c + 1] - bounds[c])
        if size < _HOP_CHUNK and k + 1 < len(wanted):
            continue
        nodes = np.concatenate([members[bounds[x] : bounds[x + 1]] for x in chunk])
        local = np.full(n, -1, dtype=np.int64)
        local[nodes] = np.arange(len(nodes))
        sub = graph[nodes][:, nodes]
        mine = todo[np.isin(pair_comp, chunk)]
        a, b = local[first[mine]], local[second[mine]]
        if len(nodes) <= 2 * _HOP_CHUNK:
            dist = shortest_path(sub, directed=False, unweighted=True)
            out[mine] = dist[a, b]
        else:  # a giant component (only in a giant block): bounded, in linear time
            out[mine] = _hops_bounded(sub, a, b)
        chunk, size = [], 0
    out[np.isinf(out)] = np.nan
    return out


def _pair_features(
    data: _Mentions,
    first: np.ndarray,
    second: np.ndarray,
    pair_block: np.ndarray,
    stats: LibraryStats,
    vectors: Mapping[str, np.ndarray] | None,
    all_pairs: bool,
    evidence_graph: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Feature rows of the pairs ``(first[k], second[k])`` (indices into ``data``'s
    mentions, each pair inside one block, ``pair_block[k]``); ``all_pairs``: the pairs are
    every block's ``np.triu_indices`` pairs, block after block (the exact batched path);
    ``evidence_graph``: pairs with direct evidence beyond those among the given ones."""
    ms, ps, block = data.mentions, data.papers, data.block
    npairs = len(first)
    out = np.full((npairs, len(FEATURES)), np.nan, dtype=np.float32)
    if npairs == 0:
        return out
    col = _COL

    def gram(
        a: sparse.csr_matrix, b: sparse.csr_matrix | None = None, apart: bool = False
    ) -> np.ndarray:
        """``(a @ b.T)`` at the pairs; ``apart``: the columns are already per block."""
        if all_pairs:
            if not apart:
                a = _per_block_columns(a, block)
            return _at(a @ (a if b is None else b).T, first, second)
        return _rowdots(a, a if b is None else b, first, second)

    # How common the name is (per block).
    heads = [ms[i] for i in np.r_[0, np.cumsum(data.sizes)[:-1]].tolist()]
    per_block = np.array(
        [
            [
                stats.per_million(int(n)),
                stats.per_million(stats.first_count.get(fold(h.first), 0)),
                stats.per_million(stats.last_count.get(fold(h.last), 0)),
                stats.name_commonness(h.first, h.last),
            ]
            for n, h in zip(data.sizes.tolist(), heads, strict=True)
        ],
        dtype=np.float64,
    ).reshape(-1, 4)
    for k, name in enumerate(
        ("block_size_log", "first_count_log", "last_count_log", "name_commonness")
    ):
        out[:, col[name]] = per_block[pair_block, k]

    # Co-authors, their rarity, co-authors of co-authors.
    co = [p.coauthor_slugs(data.slugs[b]) for p, b in zip(ps, block.tolist(), strict=True)]
    idf = {s: stats.idf(s) for c in co for s in c}
    c_bin = _incidence(co, block)
    c_idf = _incidence(co, block, idf)
    shared = gram(c_bin, apart=True)
    shared_idf = gram(c_bin, c_idf, apart=True)
    sizes = np.array([len(c) for c in co], dtype=np.float32)
    si, sj = sizes[first], sizes[second]
    union = si + sj - shared
    out[:, col["coauthors_shared"]] = shared
    out[:, col["coauthors_shared_idf"]] = shared_idf
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, col["coauthors_jaccard"]] = np.where(union > 0, shared / union, np.nan)
    out[:, col["coauthors_min"]] = np.minimum(si, sj)
    h_bin, hsz = _hop_index(stats).hop_incidence(co, block, data.slugs)
    two = gram(h_bin, apart=True)
    out[:, col["coauthors_2hop"]] = two
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, col["coauthors_2hop_norm"]] = two / np.sqrt(
            np.maximum(hsz[first] * hsz[second], 1.0)
        )

    # Affiliations.
    has = np.array([bool(m.affiliation) for m in ms])
    aff_codes = _codes([_aff_key(m.affiliation) for m in ms])
    both = has[first] & has[second]
    same_aff = (aff_codes[first] == aff_codes[second]) & both
    hasf = has.astype(np.float32)
    out[:, col["aff_present"]] = hasf[first] + hasf[second]
    if both.any():
        av = stats.aff_vectorizer.transform([m.affiliation or "" for m in ms])
        out[:, col["aff_cosine"]] = np.where(both, gram(av), np.nan)
        out[:, col["aff_exact"]] = np.where(both, same_aff, np.nan)

    # Chains of direct evidence, through the evidence among these pairs (and the given
    # evidence graph: a giant block's pairs are scored a few at a time).
    pid = _codes([m.paper_id for m in ms])
    direct = ((shared > 0) | same_aff) & (pid[first] != pid[second])
    ef, es = first[direct], second[direct]
    if evidence_graph is not None:
        ef, es = np.r_[ef, evidence_graph[0]], np.r_[es, evidence_graph[1]]
    n = len(ms)
    graph = sparse.csr_matrix((np.ones(len(ef), dtype=np.float64), (ef, es)), shape=(n, n))
    _k, comp = connected_components(graph, directed=False)
    comp_size = np.bincount(comp)
    share = comp_size[comp] / data.sizes[block]
    same_comp = comp[first] == comp[second]
    out[:, col["chain_component_share"]] = np.where(same_comp, share[first], 0.0)
    out[:, col["chain_hops"]] = _hops(first, second, direct, graph, comp)

    # Time and venue.
    years = np.array([p.year if p.year else np.nan for p in ps], dtype=np.float32)
    yi, yj = years[first], years[second]
    out[:, col["year_gap"]] = np.abs(yi - yj)
    out[:, col["year_min"]] = np.fmin(yi, yj)
    out[:, col["venue_shared"]] = (
        gram(_incidence([set(p.venues) for p in ps], block), apart=True) > 0
    )
    src = _codes([p.source for p in ps])
    out[:, col["same_source"]] = src[first] == src[second]

    # Topic: TF-IDF over title+abstract and sentence embeddings.
    rows = np.array([stats.paper_row.get(p.paper_id, -1) for p in ps], dtype=np.int64)
    known = np.ones(len(data.sizes), dtype=bool)
    np.logical_and.at(known, block, rows >= 0)
    if known.any():
        tm = sparse.csr_matrix(stats.text_matrix[np.where(rows >= 0, rows, 0)])
        if not (rows >= 0).all():  # a paper the statistics lack: an empty row
            lengths = np.diff(tm.indptr) * (rows >= 0)
            keep = np.repeat(rows >= 0, np.diff(tm.indptr))
            tm = sparse.csr_matrix(
                (tm.data[keep], tm.indices[keep], np.r_[0, np.cumsum(lengths)]), shape=tm.shape
            )
        text = gram(tm)
        out[:, col["text_cosine"]] = np.where(known[pair_block], text, np.nan)
    if vectors is not None:
        e = np.stack([vectors[p.paper_id] for p in ps])
        out[:, col["embedding_cosine"]] = vector_dots(e, first, second)

    # Name details: the name in Han script (CCL), exact spelling, paper language.
    var = [m.variant if has_han(m.variant) else "" for m in ms]
    hv = np.array([v != "" for v in var])
    vc = _codes(var)
    out[:, col["variant_match"]] = np.where(
        hv[first] & hv[second], (vc[first] == vc[second]).astype(np.float32), np.nan
    )
    raw = _codes([m.full_name for m in ms])
    out[:, col["first_raw_match"]] = raw[first] == raw[second]
    lang = _codes([p.language or "" for p in ps])
    out[:, col["language_match"]] = lang[first] == lang[second]
    na = np.array([len(p.authors) for p in ps], dtype=np.float32)
    out[:, col["authors_min"]] = np.minimum(na[first], na[second])
    out[:, col["authors_max"]] = np.maximum(na[first], na[second])
    return out


def batch_features(
    blocks: Sequence[list[Mention]],
    papers: Mapping[str, Paper],
    stats: LibraryStats,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> list[np.ndarray]:
    """``[block_features(b, papers, stats, vectors) for b in blocks]``, computed in one pass:
    the same matrices, value for value (``tests/test_split_fast.py`` checks it)."""
    many = [b for b in blocks if len(b) > 1]
    empty = np.full((0, len(FEATURES)), np.nan, dtype=np.float32)
    if not many:
        return [empty for _ in blocks]
    data = _gather(many, papers)
    start = np.r_[0, np.cumsum(data.sizes)[:-1]]
    firsts, seconds = [], []
    for s, n in zip(start.tolist(), data.sizes.tolist(), strict=True):
        i, j = _triu(n)
        firsts.append(i + s)
        seconds.append(j + s)
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    counts = data.sizes * (data.sizes - 1) // 2
    pair_block = np.repeat(np.arange(len(many)), counts)
    X = _pair_features(data, first, second, pair_block, stats, vectors, all_pairs=True)
    parts = iter(np.split(X, np.cumsum(counts)[:-1]))
    return [next(parts) if len(b) > 1 else empty for b in blocks]


def pair_features(
    mentions: list[Mention],
    first: np.ndarray,
    second: np.ndarray,
    papers: Mapping[str, Paper],
    stats: LibraryStats,
    vectors: Mapping[str, np.ndarray] | None = None,
    evidence_graph: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Feature rows of the pairs ``(first[k], second[k])`` of one block's mentions (a giant
    block's candidate pairs): ``block_features``' definitions, the block being all of
    ``mentions``, in time and memory linear in the pairs (plus the chain searches, per
    connected component of direct evidence). The chains run through the direct evidence
    among these pairs and ``evidence_graph`` (pairs with direct evidence), which should
    hold the block's, or a subset that connects the same mentions. Sums may differ from
    ``block_features``' in the last bit (taken row by row)."""
    data = _gather([mentions], papers)
    first = np.asarray(first, dtype=np.int64)
    second = np.asarray(second, dtype=np.int64)
    pair_block = np.zeros(len(first), dtype=np.int64)
    return _pair_features(
        data,
        first,
        second,
        pair_block,
        stats,
        vectors,
        all_pairs=False,
        evidence_graph=evidence_graph,
    )
