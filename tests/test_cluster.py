"""Constrained two-stage clustering (`cluster_block`): constraints, chaining, edge cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from byline.cluster import Constraints, cluster_block, pair_matrix
from byline.cluster.constrained import group_pair_means


def probs_of(n: int, pairs: dict[tuple[int, int], float], default: float = 0.0) -> np.ndarray:
    """P(same) in ``np.triu_indices(n, 1)`` order from a sparse ``{(i, j): p}`` (i < j)."""
    iu = np.triu_indices(n, 1)
    out = np.full(len(iu[0]), default, dtype=np.float64)
    for e, (i, j) in enumerate(zip(iu[0], iu[1], strict=True)):
        key = (int(i), int(j))
        if key in pairs:
            out[e] = pairs[key]
    return out


def partition(labels: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, lab in enumerate(labels):
        groups.setdefault(int(lab), set()).add(i)
    return {frozenset(g) for g in groups.values()}


def assert_labels_dense(labels: np.ndarray, n: int) -> None:
    assert labels.shape == (n,)
    assert np.issubdtype(labels.dtype, np.integer)
    k = len(set(labels.tolist()))
    assert sorted(set(labels.tolist())) == list(range(k))


# --- edge cases ----------------------------------------------------------------------------


@pytest.mark.parametrize("link", [None, 0.98])
def test_no_mentions(link: float | None) -> None:
    labels = cluster_block(0, np.zeros(0), 0.5, link_threshold=link)
    assert labels.shape == (0,)


@pytest.mark.parametrize("link", [None, 0.98])
def test_one_mention(link: float | None) -> None:
    labels = cluster_block(1, np.zeros(0), 0.5, Constraints(), link_threshold=link)
    assert labels.tolist() == [0]


def test_two_mentions_threshold_is_inclusive() -> None:
    # mean P(same) "at or above" the threshold merges; just below does not
    assert cluster_block(2, np.array([0.75]), 0.75, link_threshold=None).tolist() == [0, 0]
    labels = cluster_block(2, np.array([0.7499]), 0.75, link_threshold=None)
    assert partition(labels) == {frozenset({0}), frozenset({1})}


@pytest.mark.parametrize("link", [None, 0.98])
def test_labels_are_dense_zero_based(link: float | None) -> None:
    rng = np.random.default_rng(7)
    n = 12
    for _ in range(20):
        probs = rng.random(n * (n - 1) // 2)
        cannot = [(0, 1), (2, 3)]
        labels = cluster_block(n, probs, 0.5, Constraints(cannot=cannot), link_threshold=link)
        assert_labels_dense(labels, n)
        assert labels[0] != labels[1] and labels[2] != labels[3]


def test_all_certain_is_one_cluster_all_zero_is_singletons() -> None:
    n = 5
    ones = cluster_block(n, np.ones(n * (n - 1) // 2), 0.5, link_threshold=0.98)
    assert ones.tolist() == [0] * n
    zeros = cluster_block(n, np.zeros(n * (n - 1) // 2), 0.5, link_threshold=0.98)
    assert sorted(zeros.tolist()) == list(range(n))


# --- must-links ----------------------------------------------------------------------------


@pytest.mark.parametrize("link", [None, 0.98])
def test_must_link_holds_against_low_probabilities(link: float | None) -> None:
    # P(same) is 0 everywhere, yet 0-3 and (transitively) 1-2-4 are one person each
    n = 5
    c = Constraints(must=[(0, 3), (1, 2), (2, 4)])
    labels = cluster_block(n, np.zeros(n * (n - 1) // 2), 0.9, c, link_threshold=link)
    assert partition(labels) == {frozenset({0, 3}), frozenset({1, 2, 4})}
    assert_labels_dense(labels, n)


@pytest.mark.parametrize("link", [None, 0.98])
def test_must_link_beats_cannot_link(link: float | None) -> None:
    # identity evidence wins over a contradicting cannot-link, whatever the order given
    n = 3
    probs = probs_of(n, {})
    c = Constraints(must=[(0, 1)], cannot=[(0, 1), (1, 2)])
    labels = cluster_block(n, probs, 0.5, c, link_threshold=link)
    assert partition(labels) == {frozenset({0, 1}), frozenset({2})}


# --- cannot-links --------------------------------------------------------------------------


@pytest.mark.parametrize("link", [None, 0.5, 0.98])
@pytest.mark.parametrize("p01", [0.99, 1.0])
def test_cannot_link_never_crossed_through_a_third_mention(link: float | None, p01: float) -> None:
    # 0 and 1 are two authors of one paper; both look certainly like 2
    n = 3
    probs = probs_of(n, {(0, 1): p01, (0, 2): 0.99, (1, 2): 0.99})
    labels = cluster_block(n, probs, 0.5, Constraints(cannot=[(0, 1)]), link_threshold=link)
    assert labels[0] != labels[1]
    assert len(set(labels.tolist())) == 2  # 2 joins one of them
    assert_labels_dense(labels, n)


@pytest.mark.parametrize("link", [None, 0.98])
def test_cannot_link_inherited_through_must_link(link: float | None) -> None:
    # 0 = 2 by evidence, 1 and 2 are co-authors: 1 may not join 0 either, even at P = 1
    n = 3
    probs = probs_of(n, {(0, 1): 1.0, (0, 2): 0.0, (1, 2): 0.0})
    c = Constraints(must=[(0, 2)], cannot=[(1, 2)])
    labels = cluster_block(n, probs, 0.1, c, link_threshold=link)
    assert partition(labels) == {frozenset({0, 2}), frozenset({1})}


@pytest.mark.parametrize("link", [None, 0.98])
def test_cannot_links_hold_in_a_larger_block_of_certain_pairs(link: float | None) -> None:
    # everything certain, but 0..3 are the four authors of one paper: four persons,
    # every other mention joins one of them
    n = 10
    cannot = list(itertools.combinations(range(4), 2))
    labels = cluster_block(n, np.ones(n * (n - 1) // 2), 0.5, Constraints(cannot=cannot), link)
    assert len({int(labels[i]) for i in range(4)}) == 4
    assert len(set(labels.tolist())) == 4
    assert_labels_dense(labels, n)


# --- chaining ------------------------------------------------------------------------------


def test_chaining_joins_a_chain_average_linkage_alone_does_not() -> None:
    # A-B and B-C near certain (shared co-authors), A-C share nothing
    n = 3
    probs = probs_of(n, {(0, 1): 0.99, (1, 2): 0.99, (0, 2): 0.0})
    chained = cluster_block(n, probs, 0.9, link_threshold=0.98)
    assert chained.tolist() == [0, 0, 0]
    # average linkage: A+B at distance 0.01, then C is at mean distance (0.01 + 1) / 2 > 0.1
    plain = cluster_block(n, probs, 0.9, link_threshold=None)
    assert partition(plain) in (
        {frozenset({0, 1}), frozenset({2})},
        {frozenset({0}), frozenset({1, 2})},
    )


def test_chaining_only_uses_pairs_at_or_above_link_threshold() -> None:
    n = 3
    probs = probs_of(n, {(0, 1): 0.97, (1, 2): 0.97, (0, 2): 0.0})
    labels = cluster_block(n, probs, 0.9, link_threshold=0.98)
    assert len(set(labels.tolist())) == 2


def test_chaining_respects_cannot_link_most_certain_first() -> None:
    # 0-1 cannot-link; 2 is nearer to 1 (0.999) than to 0 (0.99): chaining puts it with 1
    n = 3
    probs = probs_of(n, {(0, 1): 0.0, (0, 2): 0.99, (1, 2): 0.999})
    labels = cluster_block(n, probs, 0.5, Constraints(cannot=[(0, 1)]), link_threshold=0.98)
    assert partition(labels) == {frozenset({0}), frozenset({1, 2})}


def test_average_linkage_merges_groups_by_mean_probability() -> None:
    # two tight pairs {0,1} and {2,3}; cross pairs at 0.6 mean: merged at threshold 0.55,
    # kept apart at 0.65
    n = 4
    pairs = {(0, 1): 0.95, (2, 3): 0.95, (0, 2): 0.6, (0, 3): 0.6, (1, 2): 0.6, (1, 3): 0.6}
    probs = probs_of(n, pairs)
    assert cluster_block(n, probs, 0.55, link_threshold=None).tolist() == [0, 0, 0, 0]
    apart = cluster_block(n, probs, 0.65, link_threshold=None)
    assert partition(apart) == {frozenset({0, 1}), frozenset({2, 3})}


def test_direct_evidence_is_chained_before_a_more_confident_guess() -> None:
    # 0 and 1 are two people (cannot-link). Mention 2 shares a co-author with 1 (evidence,
    # P 0.8) but the model is surer of 0 (P 0.99, no evidence). Evidence goes first, so 2
    # joins 1, and the guess then meets the cannot-link.
    n = 3
    probs = probs_of(n, {(0, 1): 0.0, (0, 2): 0.99, (1, 2): 0.8})
    evidence = np.array([False, False, True])  # pairs (0,1), (0,2), (1,2)
    cannot = Constraints(cannot=[(0, 1)])
    first = cluster_block(
        n, probs, 0.5, cannot, link_threshold=0.9, evidence=evidence, evidence_threshold=0.5
    )
    assert partition(first) == {frozenset({0}), frozenset({1, 2})}
    # without the evidence the confident guess wins, as before
    guess = cluster_block(n, probs, 0.5, cannot, link_threshold=0.9)
    assert partition(guess) == {frozenset({0, 2}), frozenset({1})}


def test_evidence_below_its_threshold_is_not_chained() -> None:
    n = 3
    probs = probs_of(n, {(0, 1): 0.4, (1, 2): 0.4, (0, 2): 0.0})
    evidence = np.array([True, False, True])
    labels = cluster_block(
        n, probs, 0.9, link_threshold=0.9, evidence=evidence, evidence_threshold=0.5
    )
    assert len(set(labels.tolist())) == 3
    joined = cluster_block(
        n, probs, 0.9, link_threshold=0.9, evidence=evidence, evidence_threshold=0.3
    )
    assert joined.tolist() == [0, 0, 0]


def test_pair_matrix_is_symmetric_with_its_diagonal_and_dtype() -> None:
    probs = np.array([0.1, 0.2, 0.3])  # (0, 1), (0, 2), (1, 2)
    P = pair_matrix(3, probs)
    assert P.dtype == np.float32
    assert np.allclose(P, [[1.0, 0.1, 0.2], [0.1, 1.0, 0.3], [0.2, 0.3, 1.0]])
    wide = pair_matrix(3, probs, diagonal=0.0, dtype=np.float64)
    assert wide.dtype == np.float64 and wide[0, 1] == 0.1 and wide[2, 2] == 0.0
    links = pair_matrix(3, np.array([True, False, True]), diagonal=False, dtype=bool)
    assert links.tolist() == [[False, True, False], [True, False, True], [False, True, False]]
    assert pair_matrix(1, np.zeros(0)).tolist() == [[1.0]]


def test_chaining_by_components_equals_union_by_union(monkeypatch) -> None:
    """Without cannot-links the chained groups are connected components (the fast path of
    a block with many chained pairs): the same labels as joining pair by pair."""
    import byline.cluster.constrained as cc

    rng = np.random.default_rng(7)
    for trial in range(40):
        n = int(rng.integers(2, 60))
        m = n * (n - 1) // 2
        probs = rng.beta(0.4, 0.4, size=m).astype(np.float32)
        evidence = (rng.random(m) < 0.2).astype(np.int8)
        must = [(0, n - 1)] if trial % 3 == 0 else []
        args = dict(link_threshold=0.7, evidence=evidence, evidence_threshold=0.5)
        monkeypatch.setattr(cc, "_FEW_LINKS", 0)
        fast = cc.cluster_block(n, probs, 0.5, cc.Constraints(must=must), **args)
        monkeypatch.setattr(cc, "_FEW_LINKS", 10**9)
        slow = cc.cluster_block(n, probs, 0.5, cc.Constraints(must=must), **args)
        assert np.array_equal(fast, slow), trial


# --- average linkage and evidence of two people short of proof ------------------------------


def test_average_linkage_equals_scipy_upgma_without_constraints() -> None:
    """The linkage stage (one item per chained group) cuts where scipy's UPGMA tree cut at
    distance 1 - threshold does, on random similarities (no ties)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    from byline.cluster.linkage import average_linkage

    rng = np.random.default_rng(3)
    for trial in range(30):
        k = int(rng.integers(2, 40))
        a, b = np.triu_indices(k, 1)
        sim = rng.random(len(a))
        t = float(rng.uniform(0.3, 0.7))
        ours = average_linkage(k, a, b, sim, t)
        ref = fcluster(linkage(1.0 - sim, method="average"), t=1.0 - t, criterion="distance")
        assert partition(ours) == partition(ref), trial
        assert_labels_dense(ours, k)


def _two_groups_with_a_conflict(cross: float) -> tuple[np.ndarray, np.ndarray]:
    """{0,1} and {2,3} chained by evidence (P 0.99), every cross pair at ``cross``, and
    mentions 1 and 2 with affiliations of one year that differ (evidence -1)."""
    n = 4
    probs = probs_of(n, {(0, 1): 0.99, (2, 3): 0.99}, default=cross)
    evidence = np.zeros(len(probs), dtype=np.int8)
    iu = np.triu_indices(n, 1)
    for e, (i, j) in enumerate(zip(iu[0], iu[1], strict=True)):
        if (int(i), int(j)) in ((0, 1), (2, 3)):
            evidence[e] = 1
        if (int(i), int(j)) == (1, 2):
            evidence[e] = -1
    return probs, evidence


@pytest.mark.parametrize(
    ("cross", "conflict", "merged"),
    [
        (0.6, None, False),  # a conflict is a cannot-link when no threshold is given
        (0.6, 0.5, True),  # the model is surer than the conflict threshold: one person
        (0.45, 0.5, False),  # above the merge threshold, below the conflict threshold
        (0.45, None, False),
        (0.6, 0.7, False),
    ],
)
def test_conflicting_groups_merge_only_at_the_conflict_threshold(
    cross: float, conflict: float | None, merged: bool
) -> None:
    probs, evidence = _two_groups_with_a_conflict(cross)
    labels = cluster_block(
        4,
        probs,
        0.35,
        link_threshold=0.95,
        evidence=evidence,
        evidence_threshold=0.5,
        conflict_threshold=conflict,
    )
    want = {frozenset(range(4))} if merged else {frozenset({0, 1}), frozenset({2, 3})}
    assert partition(labels) == want
    # without the conflict the groups merge from the merge threshold on
    plain = cluster_block(
        4,
        probs,
        0.35,
        link_threshold=0.95,
        evidence=np.maximum(evidence, 0),
        evidence_threshold=0.5,
    )
    assert partition(plain) == {frozenset(range(4))}


def test_a_conflict_stops_chaining_even_when_linkage_may_cross_it() -> None:
    # 0-1-2 a chain of sure pairs, 0 and 2 in conflict: chaining stops at the conflict, and
    # the linkage stage then decides on the mean (here low: 0 and 2 stay apart)
    n = 3
    probs = probs_of(n, {(0, 1): 0.99, (1, 2): 0.99, (0, 2): 0.0})
    evidence = np.array([1, -1, 1], dtype=np.int8)  # (0,1), (0,2), (1,2)
    kw = dict(link_threshold=0.95, evidence=evidence, evidence_threshold=0.5)
    labels = cluster_block(n, probs, 0.35, conflict_threshold=0.5, **kw)  # type: ignore[arg-type]
    assert labels[0] != labels[2]


def test_hard_cannot_links_hold_whatever_the_conflict_threshold() -> None:
    probs, evidence = _two_groups_with_a_conflict(0.9)
    hard = Constraints(cannot=[(0, 3)])
    labels = cluster_block(
        4,
        probs,
        0.35,
        hard,
        link_threshold=0.95,
        evidence=evidence,
        evidence_threshold=0.5,
        conflict_threshold=0.0,
    )
    assert labels[0] != labels[3]


def test_group_means_are_the_mean_probability_between_groups() -> None:
    rng = np.random.default_rng(5)
    n, k = 40, 6
    node = rng.integers(0, k, n)
    node[:k] = np.arange(k)  # every group holds an item
    iu = np.triu_indices(n, 1)
    probs = rng.random(len(iu[0]))
    ga, gb, got = group_pair_means(node, k, iu[0], iu[1], probs)
    assert [ga.tolist(), gb.tolist()] == [x.tolist() for x in np.triu_indices(k, 1)]
    P = np.zeros((n, n))
    P[iu] = probs
    P = P + P.T
    for a, b, mean in zip(ga, gb, got, strict=True):
        want = P[np.ix_(node == a, node == b)].mean()
        assert mean == pytest.approx(want, abs=1e-12)
