"""The title embedders: which one a model was trained on, and the static one itself."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from byline.engine import Engine
from byline.errors import BylineError
from byline.features import embeddings as emb
from byline.features.stats import compute_stats
from byline.model import PairwiseModel
from byline.sources.records import Mention, Paper
from byline.store import connect
from byline.store import schema as t
from byline.store.corpus import Corpus

# Two titles of one topic, one of another, one in Chinese (tokens, not characters, set its
# batch) and an empty one.
TITLES = [
    "Neural machine translation with attention",
    "Attention-based neural machine translation for low-resource languages",
    "A treebank of Old Irish glosses",
    "中文命名实体识别的跨领域迁移方法研究",
    "",
]


def test_unknown_embedder_is_refused_with_the_known_ones() -> None:
    with pytest.raises(BylineError, match="unknown title embedder 'bert'.*minilm, static"):
        emb.get_embedder("bert")


def test_a_model_records_its_embedder_and_old_models_read_as_minilm(tmp_path: Path) -> None:
    shipped = PairwiseModel.load()
    path = tmp_path / "pairwise.txt"
    for key in ("static", "minilm"):
        shipped.embedder = key
        shipped.save(path)
        assert json.loads(path.with_suffix(".json").read_text())["embedder"] == key
        assert PairwiseModel.load(path).embedder == key
    meta = json.loads(path.with_suffix(".json").read_text())
    del meta["embedder"]  # a model file from before there was a choice
    path.with_suffix(".json").write_text(json.dumps(meta))
    assert PairwiseModel.load(path).embedder == emb.LEGACY_EMBEDDER == "minilm"


def small_library() -> Corpus:
    words = "parsing translation speech summarization dialogue retrieval tagging".split()
    papers = [
        Paper(
            paper_id=f"p{i}",
            title=f"{words[i % 7]} and {words[(i * 3) % 7]} {i}",
            year=2000,
            authors=[Mention(f"p{i}", 0, "Ada", "Quill")],
        )
        for i in range(30)
    ]
    return Corpus(papers={p.paper_id: p for p in papers}, persons={})


def test_the_engine_embeds_with_its_models_embedder_unless_told(tmp_path: Path) -> None:
    corpus = small_library()
    stats = compute_stats(corpus)
    model = PairwiseModel.load()
    for key in ("static", "minilm"):
        model.embedder = key
        assert Engine(corpus, model, stats=stats).embedder is emb.EMBEDDERS[key]
    assert Engine(corpus, model, stats=stats, embedder="static").embedder.key == "static"
    assert Engine(corpus, None, stats=stats).embedder.key == emb.DEFAULT_EMBEDDER

    store = connect(f"sqlite:///{tmp_path / 's.sqlite'}")
    model.embedder = "static"
    engine = Engine(corpus, model, store, stats=stats)
    engine.prepare(["ada-quill"])
    assert len(engine.vectors) == 30
    assert {v.shape for v in engine.vectors.values()} == {(emb.STATIC_PCA_DIMS,)}
    with store.connect() as conn:
        cached = set(conn.execute(select(t.embeddings.c.model)).scalars())
    assert cached == {emb.EMBEDDERS["static"].cache_name}


def test_static_embedder_gives_unit_vectors_that_keep_topics_apart() -> None:
    static = emb.get_embedder("static")
    v = static.encode(TITLES)
    assert v.shape == (len(TITLES), emb.STATIC_PCA_DIMS) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[:-1], axis=1), 1.0, atol=1e-5)
    assert np.isfinite(v).all()  # an empty title is no NaN
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert np.array_equal(static.encode(TITLES[:2]), v[:2])  # batch-independent
    assert (emb.static_model_dir() / "model.safetensors").exists()  # distilled once, kept


def test_token_length_batches_cover_every_text_once_shortest_first() -> None:
    lengths = [5, 2, 9, 2, 7, 5, 3]
    batches = emb.token_length_batches(lengths, 3)
    assert [len(b) for b in batches] == [3, 3, 1]
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(7))
    assert [lengths[i] for i in flat] == sorted(lengths)
    assert flat[:2].tolist() == [1, 3]  # ties in input order


def test_minilm_vectors_come_back_in_input_order_whatever_the_batching() -> None:
    minilm = emb.get_embedder("minilm")
    together = minilm.encode(TITLES)
    assert together.shape == (len(TITLES), minilm.dim)
    one_by_one = np.vstack([minilm.encode([x]) for x in TITLES])
    assert np.allclose(together, one_by_one, atol=1e-5)  # padding moves the last bits only
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert together[0] @ together[1] > together[0] @ together[2] + 0.2
