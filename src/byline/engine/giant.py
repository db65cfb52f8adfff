"""Giant blocks: a name with more than ``GIANT_BLOCK`` mentions is split on candidate pairs.

All pairs of a block cost n² features and model calls ("Yang Liu", 309 mentions, is 47,000
pairs; a name with 5,000 mentions would be 12.5 million). Above the limit, as S2AND does
with its sub-blocks, only candidate pairs are scored:

- every pair with direct evidence: a shared co-author or the same affiliation (a group of
  more than ``GROUP_ALL`` mentions sharing one gives a chain through them, in mention
  order, and each member's ``GROUP_NEIGHBOURS`` nearest by title within the group);
- each mention's ``NEIGHBOURS`` nearest by title embedding and ``TEXT_NEIGHBOURS`` nearest
  by title+abstract TF-IDF (co-author communities and topics: the sub-blocks);

then clustered on that sparse graph plus the identity evidence
(:func:`byline.cluster.sparse.cluster_sparse`). A mention's confidence is its mean P(same)
with up to ``CONFIDENCE_SAMPLE`` others of its person (all of them in a smaller person;
a seeded sample otherwise), or one minus its best candidate's P when it is alone. Time and
memory grow with n times these constants: pairs are scored a chunk of at least
``_PAIR_CHUNK_PER_MENTION`` a mention at a time, and chains through a connected evidence
component too large to search from every mention are bounded through landmarks
(``byline.features.batch._hops_bounded``). Only the nearest-neighbour search, chunked, is
n² dot products of 384 numbers.

Every real name of the Anthology (2025-11) is below the limit: their splits are the exact
ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from threadpoolctl import threadpool_limits

from byline.cluster import Constraints
from byline.cluster.sparse import cluster_sparse
from byline.engine.constraints import (
    OPENREVIEW_CAP,
    _decision_constraints,
    identity_evidence,
    same_paper_pairs,
)
from byline.features.batch import pair_features
from byline.features.pairwise import _aff_key, evidence_of
from byline.features.stats import LibraryStats
from byline.model import PairwiseModel
from byline.sources.records import Mention, Paper
from byline.store.corpus import Corpus
from byline.store.decisions import DecidedState

GIANT_BLOCK = 500  # mentions; a larger block is split on candidate pairs
NEIGHBOURS = 20  # nearest mentions by title embedding
TEXT_NEIGHBOURS = 10  # nearest mentions by title+abstract TF-IDF
GROUP_ALL = 64  # a co-author or affiliation shared by at most this many: all its pairs
GROUP_NEIGHBOURS = 10  # in a larger group, each member's nearest within it
COMPONENT_ALL = 128  # a connected component of direct evidence up to this size: all its pairs
CONFIDENCE_SAMPLE = 50  # others of its person a mention's confidence is averaged over
_CHUNK = 1024  # rows per chunk of the nearest-neighbour search
_PAIR_CHUNK = 20_000  # pairs whose features are computed at once, at least ...
_PAIR_CHUNK_PER_MENTION = 16  # ... this many per mention: each chunk redoes the mentions' part


def _pair_chunk(n: int) -> int:
    """Pairs per feature computation in a block of ``n`` mentions: a fixed number of
    chunks (about 33 candidate and 50 confidence pairs a mention), so that the per-mention
    work each one repeats stays linear in the block."""
    return max(_PAIR_CHUNK, _PAIR_CHUNK_PER_MENTION * n)


def _nearest(sim_rows: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar columns of each row (itself left out) as pairs."""
    sim_rows[np.arange(len(rows)), rows] = -np.inf
    k = min(k, sim_rows.shape[1] - 1)
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    best = np.argpartition(-sim_rows, k - 1, axis=1)[:, :k]
    return np.repeat(rows, k), best.ravel().astype(np.int64)


def _knn(matrix: np.ndarray | sparse.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest rows by dot product, ``_CHUNK`` rows at a time."""
    n = matrix.shape[0]
    firsts, seconds = [], []
    with threadpool_limits(limits=1, user_api="blas"):  # the same neighbours everywhere
        for s in range(0, n, _CHUNK):
            rows = np.arange(s, min(n, s + _CHUNK))
            sim = matrix[rows] @ matrix.T
            sim = sim.toarray() if sparse.issparse(sim) else np.array(sim)
            a, b = _nearest(sim.astype(np.float32), rows, k)
            firsts.append(a)
            seconds.append(b)
    return np.concatenate(firsts), np.concatenate(seconds)


@dataclass
class Candidates:
    """The pairs a giant block is scored on (``first < second``, sorted, no duplicate).

    Attributes:
        first, second: the candidate pairs: direct evidence and nearest neighbours.
        evidence: the pairs among them with direct evidence (two papers sharing a co-author
            or an affiliation): every such pair of the block, or in a large group a chain
            and nearest neighbours, which connect the same mentions.
    """

    first: np.ndarray
    second: np.ndarray
    evidence: tuple[np.ndarray, np.ndarray]


def _pairs(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(a, b)`` as ``first < second``, sorted, without duplicates or self-pairs."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys = np.unique(lo[lo != hi] * n + hi[lo != hi])
    return keys // n, keys % n


def candidate_pairs(
    mentions: list[Mention],
    papers: Mapping[str, Paper],
    stats: LibraryStats,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> Candidates:
    """The candidate pairs of a giant block: direct evidence and nearest neighbours
    (module docstring)."""
    n = len(mentions)
    slug = mentions[0].slug
    emb = (
        np.stack([vectors[m.paper_id] for m in mentions]).astype(np.float32)
        if vectors is not None
        else None
    )
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    groups: dict[tuple[str, str], list[int]] = {}
    for i, m in enumerate(mentions):
        for s in papers[m.paper_id].coauthor_slugs(slug):
            groups.setdefault(("co", s), []).append(i)
        if m.affiliation:
            groups.setdefault(("aff", _aff_key(m.affiliation)), []).append(i)
    for members in groups.values():
        g = np.asarray(members, dtype=np.int64)
        if len(g) < 2:
            continue
        if len(g) <= GROUP_ALL:
            a, b = np.triu_indices(len(g), 1)
            firsts.append(g[a])
            seconds.append(g[b])
            continue
        firsts.append(g[:-1])  # a chain keeps the group connected
        seconds.append(g[1:])
        if emb is not None:
            a, b = _knn(emb[g], GROUP_NEIGHBOURS)
            firsts.append(g[a])
            seconds.append(g[b])
    paper = np.array([m.paper_id for m in mentions], dtype=object)
    if firsts:
        ea, eb = _pairs(np.concatenate(firsts), np.concatenate(seconds), n)
        keep = paper[ea] != paper[eb]
        evidence = (ea[keep], eb[keep])
    else:
        evidence = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    # the pairs of a small connected component of direct evidence: the model's chain
    # features make them likely one person, with or without evidence of their own
    _k, comp = connected_components(
        sparse.csr_matrix((np.ones(len(evidence[0])), evidence), shape=(n, n)), directed=False
    )
    by_component = np.argsort(comp, kind="stable")  # each component's mentions, ascending
    for g in np.split(by_component, np.cumsum(np.bincount(comp))[:-1]):
        if 1 < len(g) <= COMPONENT_ALL:
            a, b = np.triu_indices(len(g), 1)
            firsts.append(g[a])
            seconds.append(g[b])
    if emb is not None:
        a, b = _knn(emb, NEIGHBOURS)
        firsts.append(a)
        seconds.append(b)
    rows = [stats.paper_row.get(m.paper_id, -1) for m in mentions]
    if all(r >= 0 for r in rows):
        a, b = _knn(sparse.csr_matrix(stats.text_matrix[rows]), TEXT_NEIGHBOURS)
        firsts.append(a)
        seconds.append(b)
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, evidence)
    first, second = _pairs(np.concatenate(firsts), np.concatenate(seconds), n)
    return Candidates(first, second, evidence)


def giant_constraints(
    mentions: list[Mention],
    corpus: Corpus,
    decisions: DecidedState | None = None,
    previous: Mapping[str, str] | None = None,
) -> tuple[Constraints, list[list[str | None]], list[str | None]]:
    """The constraints of ``evidence_constraints`` in a form linear in the mentions:
    must-links and pairwise cannot-links (one paper, decisions), the ids and ORCID iDs as
    labels whose different values keep groups apart, and the OpenReview ids (two different
    ones cap a candidate pair's P)."""
    ident = identity_evidence(mentions, corpus, decisions)
    c = Constraints(must=ident.must, cannot=same_paper_pairs(mentions))
    if decisions and not decisions.empty:
        _decision_constraints(mentions, decisions, previous or {}, c)
    return c, [ident.ids, ident.orcids], ident.openreviews


def giant_confidence(
    n: int,
    labels: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    probs: np.ndarray,
    score: PairScorer,
    seed: int = 0,
) -> np.ndarray:
    """Per mention, its mean P(same) with up to ``CONFIDENCE_SAMPLE`` others of its person
    (seeded sample; pairs not yet scored are scored by ``score``), or one minus its best
    candidate's P when it is alone (float32)."""
    rng = np.random.default_rng(seed)
    conf = np.ones(n, dtype=np.float32)
    known = dict(zip((first * n + second).tolist(), probs.tolist(), strict=True))
    want: list[tuple[int, int]] = []
    members = [np.flatnonzero(labels == lab) for lab in range(int(labels.max()) + 1)]
    partners: dict[int, np.ndarray] = {}
    for idx in members:
        if len(idx) == 1:
            continue
        for i in idx.tolist():
            others = idx[idx != i]
            if len(others) > CONFIDENCE_SAMPLE:
                others = np.sort(rng.choice(others, CONFIDENCE_SAMPLE, replace=False))
            partners[i] = others
            want.extend((min(i, j), max(i, j)) for j in others.tolist())
    missing = sorted({a * n + b for a, b in want} - known.keys())
    if missing:
        keys = np.asarray(missing, dtype=np.int64)
        known.update(zip(missing, score(keys // n, keys % n).tolist(), strict=True))
    for i, others in partners.items():
        ps = [known[min(i, j) * n + max(i, j)] for j in others.tolist()]
        conf[i] = np.float32(np.mean(np.asarray(ps, dtype=np.float32)))
    best = np.zeros(n, dtype=np.float32)
    np.maximum.at(best, first, probs.astype(np.float32))
    np.maximum.at(best, second, probs.astype(np.float32))
    alone = [idx[0] for idx in members if len(idx) == 1]
    conf[alone] = 1.0 - best[alone]
    return conf


class PairScorer:
    """P(same) of chosen pairs of one giant block.

    Attributes:
        mentions: the block's mentions.
        evidence: the block's pairs with direct evidence (``Candidates.evidence``).
    """

    def __init__(
        self,
        mentions: list[Mention],
        papers: Mapping[str, Paper],
        stats: LibraryStats,
        vectors: Mapping[str, np.ndarray] | None,
        model: PairwiseModel,
        evidence: tuple[np.ndarray, np.ndarray],
    ) -> None:
        self.mentions = mentions
        self.papers = papers
        self.stats = stats
        self.vectors = vectors
        self.model = model
        self.evidence = evidence

    def features(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Feature rows of the pairs, chains through the block's evidence graph."""
        return pair_features(
            self.mentions, first, second, self.papers, self.stats, self.vectors, self.evidence
        )

    def __call__(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """P(same) of the pairs, float32."""
        out = np.zeros(len(first), dtype=np.float32)
        step = _pair_chunk(len(self.mentions))
        for s in range(0, len(first), step):
            X = self.features(first[s : s + step], second[s : s + step])
            out[s : s + len(X)] = self.model.predict_proba(X)
        return out


def split_giant(
    mentions: list[Mention],
    corpus: Corpus,
    stats: LibraryStats,
    vectors: Mapping[str, np.ndarray] | None,
    model: PairwiseModel,
    decisions: DecidedState | None = None,
    previous: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Labels, confidences, candidate pairs and their P(same) of a giant block (P as the
    model gives it; two different OpenReview ids cap it for the clustering only, as
    :meth:`byline.engine.Engine.cluster` does)."""
    n = len(mentions)
    cand = candidate_pairs(mentions, corpus.papers, stats, vectors)
    first, second = cand.first, cand.second
    scorer = PairScorer(mentions, corpus.papers, stats, vectors, model, cand.evidence)
    probs = np.zeros(len(first), dtype=np.float32)
    evidence = np.zeros(len(first), dtype=np.int8)
    step = _pair_chunk(n)
    for s in range(0, len(first), step):
        X = scorer.features(first[s : s + step], second[s : s + step])
        probs[s : s + len(X)] = model.predict_proba(X)
        evidence[s : s + len(X)] = evidence_of(X)
    constraints, labels_apart, openreviews = giant_constraints(
        mentions, corpus, decisions, previous
    )
    orv = np.array([o or "" for o in openreviews], dtype=object)
    soft = (orv[first] != "") & (orv[second] != "") & (orv[first] != orv[second])
    capped = np.where(soft, np.minimum(probs, OPENREVIEW_CAP), probs).astype(np.float32)
    labels = cluster_sparse(
        n,
        first,
        second,
        capped,
        model.threshold,
        constraints,
        link_threshold=model.link_threshold,
        evidence=evidence,
        evidence_threshold=model.evidence_threshold,
        conflict_threshold=model.conflict_threshold,
        apart_labels=labels_apart,
    )
    conf = giant_confidence(n, labels, first, second, probs, scorer)
    return labels, conf, (first, second), probs
