"""Constrained clustering of a giant block on a sparse graph of candidate pairs.

:func:`byline.cluster.cluster_block` reads P(same) of every pair of a block: n² pairs. Above
a size limit the engine scores only candidate pairs (:mod:`byline.engine.giant`), and this
clustering works on them, with the same two stages:

1. Chaining: must-links first, then candidate pairs with direct evidence and
   P >= ``evidence_threshold``, then the other candidates with P >= ``link_threshold``,
   most certain first, never across a cannot-link.
2. Average linkage over the chained groups (:mod:`byline.cluster.linkage`, as
   ``cluster_block``: each group one item, the
   distance of two groups the mean over their mention pairs), a pair of mentions that is no
   candidate counting as P(same) = 0: candidates are every pair with direct evidence and
   each mention's nearest neighbours, so the pairs left out are those the model would put
   near 0. Merging stops below ``threshold``.

Cannot-links are pairs (two authors of one paper, a decision, evidence of two people) and
identity labels: two groups whose mentions carry two different ids, or two different
ORCID iDs, stay apart (``cluster_block`` gets these as pairs, n² of them in a giant block).
Evidence of two people may be crossed in average linkage at ``conflict_threshold``, as in
``cluster_block``.
Time and memory grow with the candidate pairs, not with n².
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from byline.cluster.constrained import Constraints, _Groups, _node_pairs, group_pair_means
from byline.cluster.linkage import average_linkage


def _label_apart(group: Sequence[int], labels: Sequence[str | None]) -> list[tuple[int, int]]:
    """The pairs of groups (``group[i]``: mention i's) whose mentions carry two different
    values of ``labels``: they stay apart."""
    by_group: dict[int, set[str]] = {}
    for i, lab in enumerate(labels):
        if lab:
            by_group.setdefault(int(group[i]), set()).add(lab)
    keys = sorted(by_group)
    out = []
    for a_i, a in enumerate(keys):
        for b in keys[a_i + 1 :]:
            la, lb = by_group[a], by_group[b]
            if len(la) > 1 or len(lb) > 1 or la != lb:
                out.append((a, b))
    return out


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
    conflict_threshold: float | None = None,
) -> np.ndarray:
    """Cluster labels (0..k-1, numbered in the order of each cluster's first mention) for
    ``n`` mentions from P(same) of the candidate pairs ``(first[e], second[e])``.

    ``evidence`` (per candidate) is what the features say outright, as for
    ``cluster_block``: positive chained first, negative a cannot-link. ``apart_labels``: per
    kind (ids, ORCID iDs), one value or None per mention; groups holding two different
    values of one kind are kept apart. ``conflict_threshold``: as for ``cluster_block``.
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
    # hard cannot-links: the given pairs, and the groups after must-links (named by their
    # root mention) whose labels differ; chaining only joins groups, so the same pairs keep
    # the chained groups apart in average linkage as well
    roots = [g.sets[i] for i in range(n)]
    hard = list(c.cannot)
    for labels in apart_labels:
        hard += _label_apart(roots, labels)
    conflicts: list[tuple[int, int]] = []
    if signed is not None:
        bad = np.flatnonzero(signed < 0)
        conflicts = list(zip(first[bad].tolist(), second[bad].tolist(), strict=True))
    for a, b in hard + conflicts:
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
    # node-level mean P of the node pairs with candidates (the others: 0)
    na, nb, mean = group_pair_means(node, k, first, second, probs)
    labels_of_node = average_linkage(
        k,
        na,
        nb,
        mean,
        threshold,
        apart=_node_pairs(node, hard),
        conflicts=_node_pairs(node, conflicts),
        conflict_threshold=conflict_threshold,
    )
    return labels_of_node[node]
