"""Constrained two-stage agglomerative clustering of one block.

1. Chaining, like single linkage, so that a person's papers connect through chains of
   shared co-authors even when two of them share nothing directly. Pairs with direct
   evidence (a shared co-author or the same affiliation, ``evidence``) and
   P >= ``evidence_threshold`` are joined first, most certain first; then the other pairs
   the model is nearly sure of (P >= ``link_threshold``). Direct evidence so outranks a
   confident guess built on priors alone: where the two would put a mention with
   different people, the evidence decides and the guess meets a cannot-link.
2. Average linkage (:mod:`byline.cluster.linkage`) then merges those groups while the mean
   P(same) between them stays at or above ``threshold``.

Hard constraints hold throughout: must-links (shared ORCID, shared explicit id, a
maintainer's decision) are joined first; cannot-links (two authors of one paper, two
different ids, and pairs whose ``evidence`` says two people: affiliations of one year that
differ) are never crossed, unless a must-link contradicts them (identity evidence wins).
The last kind is evidence short of proof: with ``conflict_threshold`` set, average linkage
may cross it where the two groups' mean P(same) reaches that threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import DTypeLike
from scipy import sparse
from scipy.cluster.hierarchy import DisjointSet
from scipy.sparse.csgraph import connected_components

from byline.cluster.linkage import average_linkage


@lru_cache(maxsize=1024)
def triu_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.triu_indices(n, 1)``, computed once per ``n`` (read-only arrays)."""
    iu = np.triu_indices(n, 1)
    for a in iu:
        a.flags.writeable = False
    return iu


@dataclass
class Constraints:
    """Constraints of one block's clustering, as index pairs.

    Attributes:
        must: pairs that are one person (joined first, whatever P says).
        cannot: pairs that are never one person (unless a must-link joins them).
        apart_soft: pairs with evidence against, but no proof (two different OpenReview
            ids): the engine caps their P(same) before clustering; ``cluster_block``
            itself does not read them.
    """

    must: list[tuple[int, int]] = field(default_factory=list)
    cannot: list[tuple[int, int]] = field(default_factory=list)
    apart_soft: list[tuple[int, int]] = field(default_factory=list)


class _Groups:
    """Groups of ``n`` items (a DisjointSet) that refuse unions across a cannot-link.

    Attributes:
        n: how many items.
        sets: the groups.
        apart: per group root, the roots of the groups it must stay apart from.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.sets = DisjointSet(range(n))
        self.apart: dict[int, set[int]] = {i: set() for i in range(n)}

    def union(self, a: int, b: int, force: bool = False) -> bool:
        ra, rb = self.sets[a], self.sets[b]
        if ra == rb:
            return True
        if not force and rb in self.apart[ra]:
            return False
        self.sets.merge(ra, rb)
        root = self.sets[ra]
        gone = rb if root == ra else ra
        gone_apart = self.apart.pop(gone)
        for other in gone_apart - {root}:
            s = self.apart[other]
            s.discard(gone)
            s.add(root)
        kept = self.apart[root]
        kept |= gone_apart
        kept.discard(root)
        kept.discard(gone)
        return True

    def separate(self, a: int, b: int) -> None:
        ra, rb = self.sets[a], self.sets[b]
        if ra != rb:
            self.apart[ra].add(rb)
            self.apart[rb].add(ra)

    def labels(self) -> np.ndarray:
        """Group labels 0..k-1, numbered in the order of each group's first item."""
        number: dict[int, int] = {}
        return np.array([number.setdefault(self.sets[i], len(number)) for i in range(self.n)])


_FEW_LINKS = 32  # chained pairs up to which union by union is faster than a graph


def _components(
    n: int,
    must: list[tuple[int, int]],
    iu: tuple[np.ndarray, np.ndarray],
    stages: list[np.ndarray],
) -> np.ndarray:
    """Connected components of the must-links and the chosen pairs, labelled 0..k-1 in the
    order of each component's first item (as :meth:`_Groups.labels` numbers groups)."""
    chosen = np.flatnonzero(np.logical_or.reduce(stages))
    a = np.r_[iu[0][chosen], np.array([x for x, _ in must], dtype=np.int64)]
    b = np.r_[iu[1][chosen], np.array([y for _, y in must], dtype=np.int64)]
    graph = sparse.csr_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _k, comp = connected_components(graph, directed=False)
    _u, first = np.unique(comp, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[comp]


def pair_matrix(
    n: int, probs: np.ndarray, diagonal: float = 1.0, dtype: DTypeLike = np.float32
) -> np.ndarray:
    """The symmetric ``n x n`` matrix of pairwise values given in ``np.triu_indices(n, 1)``
    order (``dtype``, float32 by default), ``diagonal`` on the diagonal."""
    P = np.zeros((n, n), dtype=dtype)
    if n > 1:
        iu = triu_pairs(n)
        P[iu] = probs
        P.T[iu] = probs
    np.fill_diagonal(P, diagonal)
    return P


def cluster_block(
    n: int,
    probs: np.ndarray,
    threshold: float,
    constraints: Constraints | None = None,
    link_threshold: float | None = None,
    evidence: np.ndarray | None = None,
    evidence_threshold: float | None = None,
    conflict_threshold: float | None = None,
) -> np.ndarray:
    """Cluster labels (0..k-1) for ``n`` mentions.

    ``probs`` holds P(same person) for the pairs in ``np.triu_indices(n, 1)`` order, and
    ``evidence`` (same order) what the features say outright: positive for direct evidence
    of one person (chained first), negative for evidence of two people (a cannot-link), zero
    for neither; a bool array marks direct evidence only.
    ``link_threshold=None`` skips the chaining stage (plain average linkage);
    ``evidence=None`` or ``evidence_threshold=None`` chains by ``link_threshold`` alone.
    Evidence of two people stops every chain; in average linkage two groups it separates
    merge at a mean P(same) of ``conflict_threshold`` or more (``None``: never).
    """
    if n <= 1:
        return np.zeros(n, dtype=int)
    c = constraints or Constraints()
    iu = triu_pairs(n)
    signed = None if evidence is None else np.asarray(evidence).astype(np.int8)
    conflicts: list[tuple[int, int]] = []
    if signed is not None:
        bad = np.flatnonzero(signed < 0)
        conflicts = list(zip(iu[0][bad].tolist(), iu[1][bad].tolist(), strict=True))
    cannot = list(c.cannot) + conflicts
    probs = np.asarray(probs, dtype=np.float64)
    stages = []
    if link_threshold is not None:
        stages = [probs >= link_threshold]
        if signed is not None and evidence_threshold is not None:
            ev = signed > 0
            stages = [ev & (probs >= evidence_threshold), ~ev & stages[0]]
    if not cannot and sum(int(s.sum()) for s in stages) > _FEW_LINKS:
        # nothing can refuse a union: the groups are the connected components of the
        # must-links and the chained pairs, whatever the order
        node = _components(n, c.must, iu, stages)
    else:
        g = _Groups(n)
        for a, b in c.must:
            g.union(a, b, force=True)
        for a, b in cannot:
            g.separate(a, b)
        for chosen in stages:
            strong = np.flatnonzero(chosen)
            for e in strong[np.argsort(-probs[strong], kind="stable")]:
                g.union(int(iu[0][e]), int(iu[1][e]))
        node = g.labels()
    k = int(node.max()) + 1
    if k == 1:
        return node
    ga, gb, mean = group_pair_means(node, k, iu[0], iu[1], probs)
    labels = average_linkage(
        k,
        ga,
        gb,
        mean,
        threshold,
        apart=_node_pairs(node, c.cannot),
        conflicts=_node_pairs(node, conflicts),
        conflict_threshold=conflict_threshold,
    )
    return labels[node]


def group_pair_means(
    node: np.ndarray, k: int, first: np.ndarray, second: np.ndarray, probs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of the ``k`` groups ``node`` puts the items in that some item pair
    (``first``, ``second``) joins, as (group a, group b, mean P(same) over the group pair's
    item pairs, the missing ones counted 0), ``a < b``, in ascending (a, b) order; with all
    item pairs given, every group pair in ``np.triu_indices(k, 1)`` order.

    Summed pair by pair in the pairs' order (``np.bincount``), not by a matrix product,
    whose order of addition depends on the number of BLAS threads: the same block gives the
    same means, to the bit, on every machine and in a Dask worker.
    """
    sizes = np.bincount(node, minlength=k).astype(np.float64)
    na, nb = node[first], node[second]
    cross = na != nb
    key = np.minimum(na, nb)[cross] * k + np.maximum(na, nb)[cross]
    uniq, inv = np.unique(key, return_inverse=True)
    total = np.bincount(
        inv, weights=np.asarray(probs, dtype=np.float64)[cross], minlength=len(uniq)
    )
    a, b = uniq // k, uniq % k
    return a, b, total / (sizes[a] * sizes[b])


def _node_pairs(node: np.ndarray, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The pairs of groups that ``pairs`` of items connect (within one group: left out)."""
    return [(int(node[a]), int(node[b])) for a, b in pairs if node[a] != node[b]]
