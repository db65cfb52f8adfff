"""Average linkage (UPGMA) of a block's chained groups, under hard and soft constraints.

The second stage of both clusterings (:func:`byline.cluster.cluster_block` on every pair,
:func:`byline.cluster.sparse.cluster_sparse` on candidate pairs): each chained group is one
item, the similarity of two clusters the mean over their item pairs (a pair without a
similarity counts as 0), and the most similar two clusters merge while that mean is at
least ``threshold``.

Two kinds of constraint:

- ``apart``: pairs of items that are never in one cluster (two authors of one paper, two
  different ids): the clusters holding them never merge.
- ``conflicts``: pairs with evidence of two people short of proof (affiliations of one year
  that differ). Two clusters holding such a pair merge only at a mean of at least
  ``conflict_threshold``: a group of one person's papers whose affiliation record is noisy
  in one year is still joined when the model is sure of it overall. ``None`` makes them
  ``apart``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import numpy as np


def average_linkage(
    k: int,
    a: np.ndarray,
    b: np.ndarray,
    sim: np.ndarray,
    threshold: float,
    apart: Iterable[tuple[int, int]] = (),
    conflicts: Iterable[tuple[int, int]] = (),
    conflict_threshold: float | None = None,
) -> np.ndarray:
    """Cluster labels of ``k`` items (0..; numbered in the order of each cluster's first
    item) from the similarities ``sim`` of the item pairs ``(a[e], b[e])``, ``a[e] != b[e]``,
    each pair at most once."""
    weight: list[dict[int, float]] = [{} for _ in range(k)]
    heap = []
    for x, y, s in zip(a.tolist(), b.tolist(), sim.tolist(), strict=True):
        weight[x][y] = s
        weight[y][x] = s
        if s >= threshold:
            heap.append((-s, min(x, y), max(x, y)))
    heapq.heapify(heap)
    blocked: list[set[int]] = [set() for _ in range(k)]
    soft: list[set[int]] = [set() for _ in range(k)]
    for x, y in apart:
        if x != y:
            blocked[x].add(y)
            blocked[y].add(x)
    for x, y in conflicts:
        if x != y:
            side = blocked if conflict_threshold is None else soft
            side[x].add(y)
            side[y].add(x)
    bar = threshold if conflict_threshold is None else max(threshold, conflict_threshold)
    size = [1] * k
    alive = [True] * k
    parent = list(range(k))
    while heap:
        neg, x, y = heapq.heappop(heap)
        if not (alive[x] and alive[y]) or y in blocked[x]:
            continue
        current = weight[x].get(y, 0.0) / (size[x] * size[y])
        if current != -neg:  # a stale entry: the clusters changed since
            continue
        if current < threshold:
            break
        if y in soft[x] and current < bar:
            continue  # waits for a merge that raises the mean (pushed anew then)
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
        for side in (blocked, soft):
            for z in side[y]:
                side[z].discard(y)
                side[z].add(x)
            side[x] |= side[y]
            side[x].discard(x)
            side[y] = set()
        for z, w in weight[x].items():
            mean = w / (size[x] * size[z])
            if alive[z] and z not in blocked[x] and mean >= threshold:
                heapq.heappush(heap, (-mean, min(x, z), max(x, z)))
    root = np.arange(k)
    for i in range(k):
        r = i
        while parent[r] != r:
            r = parent[r]
        root[i] = r
    number: dict[int, int] = {}
    return np.array([number.setdefault(int(r), len(number)) for r in root])
