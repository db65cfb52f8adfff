"""The fast path of `split --all` (blocks split together: one feature pass, one model call)
gives the reference path's output byte for byte, and the giant-block path (candidate pairs,
sparse clustering) behaves.

The reference is :meth:`Engine.split_block` (all pairs of one block, ``block_features``),
as every task used it before the fast path.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from scipy.cluster.hierarchy import DisjointSet
from threadpoolctl import threadpool_limits
from typer.testing import CliRunner

from byline.cli import app
from byline.cluster import Constraints, cluster_block
from byline.cluster.sparse import cluster_sparse
from byline.engine import Engine, load_engine, remember
from byline.engine.giant import candidate_pairs
from byline.features.batch import batch_features, pair_features
from byline.features.pairwise import FEATURES, block_features, vector_dots
from byline.tasks.split import prediction_line, result_rows, split_all

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fast") / "s.sqlite"
    res = runner.invoke(app, ["ingest", str(FIXTURE), "--db", f"sqlite:///{path}"])
    assert res.exit_code == 0, res.output
    return path


def _engine(path: Path) -> Engine:
    return load_engine(f"sqlite:///{path}")


def _bits(X: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(X, dtype=np.float32).view(np.uint32)


def _rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM predictions ORDER BY mention_id").fetchall()


def _copy(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def test_batch_features_are_block_features_bit_for_bit(store: Path) -> None:
    engine = _engine(store)
    slugs = sorted(engine.corpus.blocks)
    engine.prepare(slugs)
    blocks = [engine.corpus.blocks[s] for s in slugs]
    assert any(len(b) > 2 for b in blocks) and any(len(b) == 1 for b in blocks)
    got = batch_features(blocks, engine.corpus.papers, engine.stats, engine.vectors)
    for block, X in zip(blocks, got, strict=True):
        ref = block_features(block, engine.corpus.papers, engine.stats, engine.vectors)
        assert X.shape == ref.shape == (len(block) * (len(block) - 1) // 2, len(FEATURES))
        np.testing.assert_array_equal(_bits(X), _bits(ref))
    # without embeddings, and a block alone
    alone = batch_features(blocks[:1], engine.corpus.papers, engine.stats)
    np.testing.assert_array_equal(
        _bits(alone[0]), _bits(block_features(blocks[0], engine.corpus.papers, engine.stats))
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_split_all_is_the_reference_byte_for_byte(
    store: Path, tmp_path: Path, workers: int
) -> None:
    path = tmp_path / "copy.sqlite"
    _copy(store, path)
    for run in range(2):  # a fresh store, then with the first run's predictions stored
        ref_store = tmp_path / f"ref{run}.sqlite"
        _copy(path, ref_store)
        ref_engine = _engine(ref_store)
        results = [ref_engine.split_block(s) for s in sorted(ref_engine.corpus.blocks)]
        reference = "".join(prediction_line(r) for res in results for r in result_rows(res))
        remember(ref_engine, results)
        out = tmp_path / f"fast{run}.jsonl"
        split_all(_engine(path), out, workers=workers)
        assert out.read_bytes() == reference.encode("utf-8")
        assert [r[:4] for r in _rows(path)] == [r[:4] for r in _rows(ref_store)]


def test_split_blocks_equals_split_block_on_every_block(store: Path) -> None:
    engine = _engine(store)
    slugs = sorted(engine.corpus.blocks)
    for fast, slug in zip(engine.split_blocks(slugs), slugs, strict=True):
        ref = engine.split_block(slug)
        assert fast.slug == slug and fast.pairs is None
        assert fast.keys == ref.keys
        np.testing.assert_array_equal(fast.labels, ref.labels)
        np.testing.assert_array_equal(fast.confidence, ref.confidence)
        np.testing.assert_array_equal(fast.probs, ref.probs)


# --- giant blocks ------------------------------------------------------------------------


def test_pair_features_of_all_pairs_are_block_features(store: Path) -> None:
    engine = _engine(store)
    mentions = engine.corpus.blocks["jiarui-fenwick"]
    engine.prepare(["jiarui-fenwick"])
    first, second = np.triu_indices(len(mentions), 1)
    X = pair_features(mentions, first, second, engine.corpus.papers, engine.stats, engine.vectors)
    ref = block_features(mentions, engine.corpus.papers, engine.stats, engine.vectors)
    np.testing.assert_allclose(X, ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.isnan(X), np.isnan(ref))
    emb = FEATURES.index("embedding_cosine")  # title embeddings: the same bits on both paths
    np.testing.assert_array_equal(_bits(X[:, emb]), _bits(ref[:, emb]))


def test_vector_dots_do_not_depend_on_order_memory_or_blas_threads() -> None:
    rng = np.random.default_rng(3)
    e = rng.standard_normal((300, 384)).astype(np.float32)
    first, second = np.triu_indices(300, 1)
    ref = vector_dots(e, first, second)
    perm = rng.permutation(len(first))
    shuffled = np.empty_like(ref)
    shuffled[perm] = vector_dots(e, first[perm], second[perm])
    buf = np.empty(e.size + 1, dtype=np.float32)[1:].reshape(e.shape)  # another alignment
    buf[:] = e
    with threadpool_limits(limits=1, user_api="blas"):
        one_thread = vector_dots(e, first, second)
    for got in (shuffled, vector_dots(buf, first, second), one_thread):
        np.testing.assert_array_equal(_bits(got), _bits(ref))
    np.testing.assert_allclose(ref, (e @ e.T)[first, second], rtol=1e-5, atol=1e-4)


def test_giant_path_on_a_small_block_is_the_exact_split(store: Path) -> None:
    # Below NEIGHBOURS mentions every pair is a candidate: the sparse clustering then sees
    # what cluster_block sees and must give the same persons and keys.
    engine = _engine(store)
    slugs = sorted(engine.corpus.blocks)
    exact = {r.slug: r for r in engine.split_blocks(slugs)}
    engine.giant_block = 1
    for res in engine.split_blocks(slugs):
        ref = exact[res.slug]
        n = len(res.mentions)
        if n < 2:
            continue
        assert res.pairs is not None and len(res.pairs[0]) == n * (n - 1) // 2
        assert res.keys == ref.keys, res.slug
        assert ((res.confidence >= 0) & (res.confidence <= 1)).all()
    fenwick = engine.split_blocks(["jiarui-fenwick"])[0]
    cand = candidate_pairs(fenwick.mentions, engine.corpus.papers, engine.stats, engine.vectors)
    assert len(cand.evidence[0]) > 0  # shared co-authors among them


def test_candidates_hold_every_pair_of_a_small_evidence_component(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without neighbours the candidates are the direct evidence and every pair of its
    # connected components (up to COMPONENT_ALL mentions): the chain features make such a
    # pair likely one person even when it shares nothing itself (lei-li on the real data).
    import byline.engine.giant as giant

    monkeypatch.setattr(giant, "NEIGHBOURS", 0)
    monkeypatch.setattr(giant, "TEXT_NEIGHBOURS", 0)
    engine = _engine(store)
    mentions = engine.corpus.blocks["jiarui-fenwick"]
    engine.prepare(["jiarui-fenwick"])
    cand = candidate_pairs(mentions, engine.corpus.papers, engine.stats, engine.vectors)
    n = len(mentions)
    ds = DisjointSet(range(n))
    for a, b in zip(*cand.evidence, strict=True):
        ds.merge(int(a), int(b))
    want = {(i, j) for i in range(n) for j in range(i + 1, n) if ds.connected(i, j)}
    got = set(zip(cand.first.tolist(), cand.second.tolist(), strict=True))
    assert want and want <= got
    monkeypatch.setattr(giant, "COMPONENT_ALL", 1)
    few = candidate_pairs(mentions, engine.corpus.papers, engine.stats, engine.vectors)
    assert len(few.first) < len(cand.first) or want == {
        tuple(sorted(e)) for e in zip(*cand.evidence, strict=True)
    }


def _partition(labels: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, lab in enumerate(labels.tolist()):
        groups.setdefault(lab, set()).add(i)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("conflict", [None, 0.5])
@pytest.mark.parametrize("seed", range(8))
def test_sparse_clustering_on_all_pairs_is_cluster_block(seed: int, conflict: float | None) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    first, second = np.triu_indices(n, 1)
    truth = rng.integers(0, 6, n)
    m = len(first)
    same = truth[first] == truth[second]
    probs = np.where(same, rng.uniform(0.4, 1.0, m), rng.uniform(0.0, 0.7, m))
    probs = probs.astype(np.float32)
    evidence = np.where(rng.random(len(probs)) < 0.05, 1, 0).astype(np.int8)
    evidence[rng.random(len(probs)) < 0.03] = -1
    c = Constraints(must=[(0, 1), (5, 9)], cannot=[(2, 3), (0, 7)])
    kw = dict(
        link_threshold=0.98, evidence=evidence, evidence_threshold=0.5, conflict_threshold=conflict
    )
    ref = cluster_block(n, probs, 0.65, c, **kw)  # type: ignore[arg-type]
    got = cluster_sparse(n, first, second, probs, 0.65, c, **kw)  # type: ignore[arg-type]
    assert _partition(got) == _partition(ref)


def test_sparse_clustering_keeps_different_ids_apart() -> None:
    n = 6
    first, second = np.triu_indices(n, 1)
    probs = np.full(len(first), 0.99, dtype=np.float32)
    ids = ["a", None, "b", None, "a", None]
    labels = cluster_sparse(n, first, second, probs, 0.65, Constraints(), apart_labels=[ids])
    assert labels[0] == labels[4] != labels[2]
    # a pair that is no candidate counts as P = 0 in the average linkage
    few = cluster_sparse(n, first[:1], second[:1], probs[:1], 0.65, Constraints())
    assert few[0] == few[1] and len(set(few.tolist())) == n - 1


def test_hops_in_a_giant_evidence_component_are_bounded_in_linear_time() -> None:
    from scipy import sparse
    from scipy.sparse.csgraph import shortest_path

    from byline.features.batch import _hops_bounded

    rng = np.random.default_rng(0)
    n = 400
    a, b = rng.integers(0, n, 900), rng.integers(0, n, 900)
    chain = np.arange(n - 1)  # a path through everyone: one connected component
    g = sparse.csr_matrix(
        (np.ones(len(a) + n - 1), (np.r_[a, chain], np.r_[b, chain + 1])), shape=(n, n)
    )
    g = (g + g.T).tocsr()
    exact = shortest_path(g, directed=False, unweighted=True)
    x, y = rng.integers(0, n, 3000), rng.integers(0, n, 3000)
    keep = x != y
    x, y = x[keep], y[keep]
    got = _hops_bounded(g, x, y)
    true = exact[x, y]
    near = true <= 2
    assert np.array_equal(got[near], true[near])  # adjacency and a shared neighbour: exact
    assert (got[~near] >= true[~near]).all() and (got[~near] >= 3).all()  # an upper bound
    assert (got[~near] <= true[~near] + 2).mean() > 0.9  # and a close one here
