"""Constrained clustering of a giant block on a sparse graph of candidate pairs.

:func:`byline.cluster.cluster_block` reads P(same) of every pair of a block: n² pairs. Above
a size limit the engine scores only candidate pairs (:mod:`byline.engine.giant`), and this
clustering works on them, with the same two stages:

1. Chaining: must-links first, then candidate pairs with direct evidence and
   P >= ``evidence_threshold``, then the other candidates with P >= ``link_threshold``,
   most certain first, never across a cannot-link.
2. Average linkage over the chained groups (as ``cluster_block``: each group one item, the
   distance of two groups the mean over their mention pairs), a pair of mentions that is no
   candidate counting as P(same) = 0: candidates are every pair with direct evidence and
   each mention's nearest neighbours, so the pairs left out are those the model would put
   near 0. Merging stops below ``threshold``.

Cannot-links are pairs (two authors of one paper, a decision, evidence of two people) and
identity labels: two groups whose mentions carry two different ids, or two different
ORCID iDs, stay apart (``cluster_block`` gets these as pairs, n² of them in a giant block).
Time and memory grow with the candidate pairs, not with n².
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np

from byline.cluster.constrained import Constraints, _Groups


def _separate_labels(g: _Groups, labels: Sequence[str | None]) -> None:
    """Keep apart the groups whose mentions carry two different values of ``labels``."""
    by_root: dict[int, set[str]] = {}
    for i, lab in enumerate(labels):
        if lab:
            by_root.setdefault(g.sets[i], set()).add(lab)
    roots = sorted(by_root)
    for a_i, a in enumerate(roots):
        for b in roots[a_i + 1 :]:
            la, lb = by_root[a], by_root[b]
            if len(la) > 1 or len(lb) > 1 or la != lb:
                g.separate(a, b)


def cluster_sparse(
    n: int,
    first: np.ndarray,
    second: np.ndarray,
    probs: np.ndarray,
    threshold: float,
    constraints: Constraints | None = None,
    link_threshold: float | None = None,
    evidence: np.ndarray | None = None,
    evidence_threshold: float | None = None,
    apart_labels: Sequence[Sequence[str | None]] = (),
) -> np.ndarray:
    """Cluster labels (0..k-1, numbered in the order of each cluster's first mention) for
    ``n`` mentions from P(same) of the candidate pairs ``(first[e], second[e])``.

    ``evidence`` (per candidate) is what the features say outright, as for
    ``cluster_block``: positive chained first, negative a cannot-link. ``apart_labels``: per
    kind (ids, ORCID iDs), one value or None per mention; groups holding two different
    values of one kind are kept apart.
    """
    if n <= 1:
        return np.zeros(n, dtype=int)
    c = constraints or Constraints()
    first = np.asarray(first, dtype=np.int64)
    second = np.asarray(second, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    signed = None if evidence is None else np.asarray(evidence).astype(np.int8)
    g = _Groups(n)
    for a, b in c.must:
        g.union(a, b, force=True)
    for labels in apart_labels:
        _separate_labels(g, labels)
    cannot = list(c.cannot)
    if signed is not None:
        bad = np.flatnonzero(signed < 0)
        cannot += zip(first[bad].tolist(), second[bad].tolist(), strict=True)
    for a, b in cannot:
        g.separate(a, b)
    if link_threshold is not None:
        stages = [probs >= link_threshold]
        if signed is not None and evidence_threshold is not None:
            ev = signed > 0
            stages = [ev & (probs >= evidence_threshold), ~ev & stages[0]]
        for chosen in stages:
            strong = np.flatnonzero(chosen)
            for e in strong[np.argsort(-probs[strong], kind="stable")]:
                g.union(int(first[e]), int(second[e]))
    node = g.labels()
    k = int(node.max()) + 1
    if k == 1:
        return node
    sizes = np.bincount(node, minlength=k).astype(np.float64)
    # node-level mean P of the node pairs with candidates (the others: 0)
    na, nb = node[first], node[second]
    cross = na != nb
    lo, hi = np.minimum(na, nb)[cross], np.maximum(na, nb)[cross]
    key = lo * k + hi
    uniq, inv = np.unique(key, return_inverse=True)
    total = np.bincount(inv, weights=probs[cross], minlength=len(uniq))
    mean = total / (sizes[uniq // k] * sizes[uniq % k])
    apart: dict[int, set[int]] = {}
    for root, others in g.apart.items():
        for other in others:
            x, y = int(node[root]), int(node[other])
            apart.setdefault(x, set()).add(y)
            apart.setdefault(y, set()).add(x)
    return _average_linkage(k, uniq // k, uniq % k, mean, threshold, apart)[node]


def _average_linkage(
    k: int,
    a: np.ndarray,
    b: np.ndarray,
    sim: np.ndarray,
    threshold: float,
    apart: dict[int, set[int]],
) -> np.ndarray:
    """Average linkage (UPGMA) of ``k`` items from the similarities of some pairs (the
    others 0), merging while the best mean similarity is at least ``threshold`` and never
    two clusters that are ``apart``; labels numbered by each cluster's first item."""
    weight: list[dict[int, float]] = [{} for _ in range(k)]
    for x, y, s in zip(a.tolist(), b.tolist(), sim.tolist(), strict=True):
        weight[x][y] = s
        weight[y][x] = s
    size = [1] * k
    alive = [True] * k
    blocked: list[set[int]] = [set(apart.get(i, ())) for i in range(k)]
    parent = list(range(k))
    heap = [(-s, x, y) for x, y, s in zip(a.tolist(), b.tolist(), sim.tolist(), strict=True)]
    heapq.heapify(heap)
    while heap:
        neg, x, y = heapq.heappop(heap)
        if not (alive[x] and alive[y]) or y in blocked[x]:
            continue
        current = weight[x].get(y, 0.0) / (size[x] * size[y])
        if current != -neg:  # a stale entry: the clusters changed since
            continue
        if 1.0 - current > 1.0 - threshold:
            break
        if len(weight[x]) < len(weight[y]):
            x, y = y, x
        alive[y] = False
        parent[y] = x
        for z, w in weight[y].items():
            if z == x:
                continue
            weight[z].pop(y, None)
            weight[x][z] = weight[x].get(z, 0.0) + w
            weight[z][x] = weight[x][z]
        weight[x].pop(y, None)
        weight[y] = {}
        size[x] += size[y]
        for z in blocked[y]:
            blocked[z].discard(y)
            blocked[z].add(x)
        blocked[x] |= blocked[y]
        blocked[x].discard(x)
        for z, w in weight[x].items():
            if alive[z] and z not in blocked[x]:
                heapq.heappush(heap, (-w / (size[x] * size[z]), min(x, z), max(x, z)))
    root = np.arange(k)
    for i in range(k):
        r = i
        while parent[r] != r:
            r = parent[r]
        root[i] = r
    number: dict[int, int] = {}
    return np.array([number.setdefault(int(r), len(number)) for r in root])
