"""Pairwise features of the mentions of one block (one name).

For a block of n mentions ``block_features`` returns an ``(n*(n-1)/2, F)`` float32 matrix,
rows in ``np.triu_indices(n, 1)`` order. Nothing here reads ``id=`` or ``orcid=``: identity
evidence enters only as clustering constraints.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components, shortest_path

from byline.features.stats import LibraryStats, commonness
from byline.names import fold, has_han
from byline.sources.records import Mention, Paper

FEATURES: tuple[str, ...] = (
    "block_size_log",
    "first_count_log",
    "last_count_log",
    "coauthors_shared",
    "coauthors_shared_idf",
    "coauthors_jaccard",
    "coauthors_min",
    "coauthors_2hop",
    "coauthors_2hop_norm",
    "aff_present",
    "aff_cosine",
    "aff_exact",
    "year_gap",
    "year_min",
    "venue_shared",
    "same_source",
    "text_cosine",
    "embedding_cosine",
    "variant_match",
    "first_raw_match",
    "language_match",
    "authors_min",
    "authors_max",
    "chain_hops",
    "chain_component_share",
    "name_commonness",
)

# Two affiliations given in the same year whose TF-IDF cosine is below this are evidence of
# two people: of the train names' gold pairs with such a conflict, 108 of 115 are two people.
CONFLICT_AFF_COSINE = 0.1
# ... on a name at least this common (LibraryStats.name_sharing): a rare name's author with
# two affiliations in one year is one person with two affiliations (a visit, a joint
# position, a move). Out of fold on train names and on dev this gives back the rare names
# the conflict split (all names 0.960 -> 0.964 and 0.980 -> 0.984 on bench/cluster_oof.py)
# and changes no ambiguous name.
CONFLICT_MIN_SHARING = 0.1

_AFF_NORM = re.compile(r"[^\w ]+")


def _aff_key(aff: str | None) -> str:
    return _AFF_NORM.sub(" ", fold(aff)).strip() if aff else ""


def _incidence(sets: list[set[str]], weights: dict[str, float] | None = None):  # type: ignore[no-untyped-def]
    """Sparse (sets x vocabulary) incidence matrix; filled in sorted order, so that the
    products (and the features) do not depend on set iteration order (PYTHONHASHSEED)."""
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, s in enumerate(sets):
        for x in sorted(s):
            rows.append(i)
            cols.append(vocab.setdefault(x, len(vocab)))
            vals.append(weights[x] if weights else 1.0)
    return sparse.csr_matrix(
        (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(sets), max(1, len(vocab)))
    )


# Pairs per chunk of :func:`vector_dots` (memory: two chunks of vector rows).
VECTOR_CHUNK = 16384


def vector_dots(vectors: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``vectors[first[k]] . vectors[second[k]]`` for every k, as float32.

    Row by row with NumPy's own loop (``einsum``), never BLAS: a matrix product (``e @
    e.T``) adds in an order that depends on the number of BLAS threads and on the matrix's
    shape, so the same pair got another last bit on a machine with other cores, in a Dask
    worker (one thread) and in a giant block's candidate pairs. This sum depends on the two
    rows only, so every path and every machine of the same NumPy build computes the same
    feature, and a model trained anywhere sees the values it is used with.
    """
    out = np.empty(len(first), dtype=np.float32)
    for s in range(0, len(first), VECTOR_CHUNK):
        f, g = first[s : s + VECTOR_CHUNK], second[s : s + VECTOR_CHUNK]
        out[s : s + len(f)] = np.einsum("ij,ij->i", vectors[f], vectors[g])
    return out


def _pair(mat: np.ndarray, iu: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return np.asarray(mat[iu], dtype=np.float32)


def _coauthor_sets(mentions: list[Mention], papers: Mapping[str, Paper]) -> list[set[str]]:
    """Each mention's co-authors by name slug (the block's own name left out)."""
    slug = mentions[0].slug
    return [papers[m.paper_id].coauthor_slugs(slug) for m in mentions]


def _same_affiliation(mentions: list[Mention]) -> tuple[np.ndarray, np.ndarray]:
    """Which mentions give an affiliation, and which pairs give the identical one (n x n)."""
    has = np.array([bool(m.affiliation) for m in mentions])
    keys = np.array([_aff_key(m.affiliation) for m in mentions], dtype=object)
    return has, (keys[:, None] == keys[None, :]) & has[:, None] & has[None, :]


def _evidence_adjacency(
    mentions: list[Mention], shared: np.ndarray, same_aff: np.ndarray
) -> np.ndarray:
    pid = np.array([m.paper_id for m in mentions], dtype=object)
    adj = ((shared > 0) | same_aff) & (pid[:, None] != pid[None, :])
    np.fill_diagonal(adj, False)
    return adj


def direct_evidence(mentions: list[Mention], papers: Mapping[str, Paper]) -> np.ndarray:
    """Pairs (``np.triu_indices(n, 1)`` order) with direct evidence of being one person: a
    shared co-author or the identical affiliation, on two different papers."""
    n = len(mentions)
    if n < 2:
        return np.zeros(0, dtype=bool)
    c_bin = _incidence(_coauthor_sets(mentions, papers))
    shared = (c_bin @ c_bin.T).toarray()
    _has, same_aff = _same_affiliation(mentions)
    return _evidence_adjacency(mentions, shared, same_aff)[np.triu_indices(n, 1)]


def evidence_of(X: np.ndarray, min_sharing: float = CONFLICT_MIN_SHARING) -> np.ndarray:
    """What the features say outright about each pair (int8, rows of ``X``):

    - ``+1``: direct evidence of one person, one hop apart in the chain features (the same
      pairs as ``direct_evidence``: a shared co-author or the identical affiliation);
    - ``-1``: evidence of two people, affiliations given in the same year that do not match
      (TF-IDF cosine below ``CONFLICT_AFF_COSINE``) on a name shared by at least
      ``min_sharing`` people (``CONFLICT_MIN_SHARING``; 0: on every name), unless the pair
      has direct evidence too (one person with two affiliations);
    - ``0``: neither.
    """
    ev = (X[:, FEATURES.index("chain_hops")] == 1).astype(np.int8)
    conflict = (
        (X[:, FEATURES.index("year_gap")] == 0)
        & (X[:, FEATURES.index("aff_cosine")] < CONFLICT_AFF_COSINE)
        & (X[:, FEATURES.index("name_commonness")] >= commonness(min_sharing))
    )
    ev[conflict & (ev == 0)] = -1
    return ev


def block_features(
    mentions: list[Mention],
    papers: Mapping[str, Paper],
    stats: LibraryStats,
    vectors: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Feature matrix for all pairs of ``mentions`` (all of one name)."""
    n = len(mentions)
    iu = np.triu_indices(n, 1)
    npairs = len(iu[0])
    out = np.full((npairs, len(FEATURES)), np.nan, dtype=np.float32)
    if npairs == 0:
        return out
    col = {name: i for i, name in enumerate(FEATURES)}
    ps = [papers[m.paper_id] for m in mentions]
    slug = mentions[0].slug

    # How common the name is, per million mentions of the library (not raw counts: in a
    # small library every name would otherwise look rare, hence one person).
    out[:, col["block_size_log"]] = stats.per_million(n)
    out[:, col["first_count_log"]] = stats.per_million(
        stats.first_count.get(fold(mentions[0].first), 0)
    )
    out[:, col["last_count_log"]] = stats.per_million(
        stats.last_count.get(fold(mentions[0].last), 0)
    )
    out[:, col["name_commonness"]] = stats.name_commonness(mentions[0].first, mentions[0].last)

    # Co-authors (by name slug), their rarity, and co-authors of co-authors.
    co = _coauthor_sets(mentions, papers)
    idf = {s: stats.idf(s) for c in co for s in c}
    c_bin = _incidence(co)
    c_idf = _incidence(co, idf)
    shared = (c_bin @ c_bin.T).toarray()
    shared_idf = (c_bin @ c_idf.T).toarray()
    sizes = np.array([len(c) for c in co], dtype=np.float32)
    union = sizes[:, None] + sizes[None, :] - shared
    out[:, col["coauthors_shared"]] = _pair(shared, iu)
    out[:, col["coauthors_shared_idf"]] = _pair(shared_idf, iu)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, col["coauthors_jaccard"]] = _pair(np.where(union > 0, shared / union, np.nan), iu)
    out[:, col["coauthors_min"]] = _pair(np.minimum(sizes[:, None], sizes[None, :]), iu)
    hop = []
    for c in co:
        h: set[str] = set()
        for s in c:
            nb = stats.coauthor_graph.get(s)
            if nb and len(nb) < 400:
                h |= nb
        h.discard(slug)
        hop.append(h | c)
    h_bin = _incidence(hop)
    # Co-authors and their co-authors (a 2-hop neighbourhood) shared by the two mentions.
    two = (h_bin @ h_bin.T).toarray()
    hsz = np.array([len(h) for h in hop], dtype=np.float32)
    out[:, col["coauthors_2hop"]] = _pair(two, iu)
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = two / np.sqrt(np.maximum(hsz[:, None] * hsz[None, :], 1.0))
    out[:, col["coauthors_2hop_norm"]] = _pair(norm, iu)

    # Affiliations.
    has, same_aff = _same_affiliation(mentions)
    hasf = has.astype(np.float32)
    out[:, col["aff_present"]] = _pair(hasf[:, None] + hasf[None, :], iu)
    if has.any():
        av = stats.aff_vectorizer.transform([m.affiliation or "" for m in mentions])
        acos = (av @ av.T).toarray()
        both_mask = has[:, None] & has[None, :]
        out[:, col["aff_cosine"]] = _pair(np.where(both_mask, acos, np.nan), iu)
        out[:, col["aff_exact"]] = _pair(np.where(both_mask, same_aff, np.nan), iu)

    # Chains of direct evidence: mentions linked through a series of shared co-authors or
    # identical affiliations (transitive, which a pairwise view misses); hops along the
    # shortest chain and the share of the name its component covers.
    adj = _evidence_adjacency(mentions, shared, same_aff)
    graph = sparse.csr_matrix(adj)
    _k, comp = connected_components(graph, directed=False)
    share = np.bincount(comp)[comp] / n
    out[:, col["chain_component_share"]] = _pair(
        np.where(comp[:, None] == comp[None, :], share[:, None], 0.0), iu
    )
    if adj.any():
        hops = shortest_path(graph, directed=False, unweighted=True)
        out[:, col["chain_hops"]] = _pair(np.where(np.isinf(hops), np.nan, hops), iu)

    # Time and venue.
    years = np.array([p.year if p.year else np.nan for p in ps], dtype=np.float32)
    out[:, col["year_gap"]] = _pair(np.abs(years[:, None] - years[None, :]), iu)
    out[:, col["year_min"]] = _pair(np.fmin(years[:, None], years[None, :]), iu)
    v_bin = _incidence([set(p.venues) for p in ps])
    out[:, col["venue_shared"]] = _pair((v_bin @ v_bin.T).toarray() > 0, iu)
    src = np.array([p.source for p in ps], dtype=object)
    out[:, col["same_source"]] = _pair(src[:, None] == src[None, :], iu)

    # Topic: TF-IDF over title+abstract and sentence embeddings.
    rows = [stats.paper_row.get(p.paper_id, -1) for p in ps]
    if all(r >= 0 for r in rows):
        tm = stats.text_matrix[rows]
        out[:, col["text_cosine"]] = _pair((tm @ tm.T).toarray(), iu)
    if vectors is not None:
        e = np.stack([vectors[p.paper_id] for p in ps])
        out[:, col["embedding_cosine"]] = vector_dots(e, iu[0], iu[1])

    # Name details: the name in Han script (CCL), exact spelling, paper language.
    var = np.array([m.variant if has_han(m.variant) else "" for m in mentions], dtype=object)
    hv = var != ""
    vm = np.where(
        hv[:, None] & hv[None, :], (var[:, None] == var[None, :]).astype(np.float32), np.nan
    )
    out[:, col["variant_match"]] = _pair(vm, iu)
    raw = np.array([m.full_name for m in mentions], dtype=object)
    out[:, col["first_raw_match"]] = _pair(raw[:, None] == raw[None, :], iu)
    lang = np.array([p.language or "" for p in ps], dtype=object)
    out[:, col["language_match"]] = _pair(lang[:, None] == lang[None, :], iu)
    na = np.array([len(p.authors) for p in ps], dtype=np.float32)
    out[:, col["authors_min"]] = _pair(np.minimum(na[:, None], na[None, :]), iu)
    out[:, col["authors_max"]] = _pair(np.maximum(na[:, None], na[None, :]), iu)
    return out
