"""Fitting the pairwise model on train blocks and tuning its clustering thresholds on dev."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from byline.engine import Engine
from byline.evaluation.metrics import ambiguous_blocks, score
from byline.evaluation.protocol import gold_labels, heldout_corpus, scored_mentions
from byline.model.pairwise import PairwiseModel
from byline.sources.ids import paper_of
from byline.sources.records import Mention
from byline.store import Store
from byline.store.corpus import Corpus

Progress = Callable[[str, int, int], None]
THRESHOLDS = tuple(round(float(x), 3) for x in np.arange(0.3, 1.001, 0.05))
LINK_THRESHOLDS = (0.9, 0.95, 0.97, 0.98, 0.99, 0.995)
MAX_PAIRS_PER_BLOCK = 3000
# Pairs from names that gold shows to be shared by several people weigh more: they are
# where a split decision is made, and few of them exist next to one-person names.
AMBIGUOUS_WEIGHT = 20.0


def training_pairs(
    engine: Engine,
    gold: dict[str, str],
    rng: np.random.Generator,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Feature rows, labels and weights for pairs of gold mentions inside train blocks."""
    blocks = scored_mentions(engine.corpus, gold, "train")
    blocks = {b: ms for b, ms in blocks.items() if len(ms) >= 2}
    wanted = {paper_of(mid) for ms in blocks.values() for mid in ms}
    engine.prepare_papers(wanted, progress=lambda d, n: progress and progress("embed", d, n))
    Xs, ys, ws = [], [], []
    for i, (slug, mids) in enumerate(sorted(blocks.items())):
        # Features are computed over the whole block (chain features depend on every
        # mention of the name, as at prediction time), then the gold pairs are taken.
        block = engine.corpus.blocks[slug]
        X, y, w = block_training_pairs(engine.features(block), block, mids, gold, rng)
        Xs.append(X)
        ys.append(y)
        ws.append(w)
        if progress:
            progress("pairs", i + 1, len(blocks))
    return np.concatenate(Xs), np.concatenate(ys), np.concatenate(ws), len(blocks)


def block_training_pairs(
    X: np.ndarray,
    block: list[Mention],
    mids: list[str],
    gold: dict[str, str],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows, labels and weights of one block's gold pairs (``mids``), given the
    features ``X`` of the whole block: pairs on one paper left out, at most
    ``MAX_PAIRS_PER_BLOCK`` drawn, names with several gold persons weighted up."""
    ids = set(mids)
    at = np.array([i for i, m in enumerate(block) if m.mention_id in ids])
    mentions = [block[i] for i in at]
    iu = np.triu_indices(len(mentions), 1)
    X = X[_pair_rows(len(block), at[iu[0]], at[iu[1]])]
    labels = np.array([gold[m.mention_id] for m in mentions], dtype=object)
    y = (labels[iu[0]] == labels[iu[1]]).astype(np.int8)
    same_paper = np.array(
        [mentions[a].paper_id == mentions[b].paper_id for a, b in zip(*iu, strict=True)]
    )
    keep = np.flatnonzero(~same_paper)
    if len(keep) > MAX_PAIRS_PER_BLOCK:
        keep = np.sort(rng.choice(keep, MAX_PAIRS_PER_BLOCK, replace=False))
    weight = AMBIGUOUS_WEIGHT if len(set(labels)) > 1 else 1.0
    return X[keep], y[keep], np.full(len(keep), weight, dtype=np.float32)


def _pair_rows(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row of pair (a, b), a < b, in ``np.triu_indices(n, 1)`` order."""
    return a * n - a * (a + 1) // 2 + (b - a - 1)


def tune_threshold(
    engine: Engine,
    gold: dict[str, str],
    partition: str = "dev",
    progress: Progress | None = None,
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Threshold maximising B³ F1 on ambiguous blocks plus B³ F1 on all blocks of a
    benchmark partition."""
    blocks = scored_mentions(engine.corpus, gold, partition)
    gold_by_block = {b: {m: gold[m] for m in ms} for b, ms in blocks.items()}
    amb = ambiguous_blocks(gold_by_block)
    probs = engine.block_probabilities(sorted(blocks), progress)
    curve = []
    for link in LINK_THRESHOLDS:
        for t in THRESHOLDS:
            pred = engine.cluster_blocks(probs, t, link)
            a, s = score(amb, pred), score(gold_by_block, pred)
            curve.append(
                {
                    "link_threshold": link,
                    "threshold": t,
                    "ambiguous_b3_f1": a.b3_f1,
                    "all_b3_f1": s.b3_f1,
                }
            )
    best = max(curve, key=lambda r: r["ambiguous_b3_f1"] + r["all_b3_f1"])
    return best, curve


def train(
    corpus: Corpus,
    store: Store,
    out: Path,
    metrics_out: Path,
    seed: int = 13,
    progress: Progress | None = None,
) -> tuple[PairwiseModel, dict[str, Any]]:
    t0 = time.perf_counter()
    gold = gold_labels(corpus)
    masked = heldout_corpus(corpus, gold)
    engine = Engine(masked, None, store)
    rng = np.random.default_rng(seed)
    X, y, w, nblocks = training_pairs(engine, gold, rng, progress)
    t_pairs = time.perf_counter()
    model = PairwiseModel(seed=seed).fit(X, y, w)
    t_fit = time.perf_counter()
    engine.model = model
    best, curve = tune_threshold(engine, gold, "dev", progress)
    model.threshold = float(best["threshold"])
    model.link_threshold = float(best["link_threshold"])
    model.version = f"lgbm-{time.strftime('%Y%m%d')}-s{seed}"
    metrics = {
        "version": model.version,
        "seed": seed,
        "train_blocks": nblocks,
        "train_pairs": int(len(y)),
        "train_positive_rate": float(y.mean()),
        "threshold": model.threshold,
        "link_threshold": model.link_threshold,
        "dev_curve": curve,
        "dev_at_threshold": best,
        "feature_gain": model.feature_importance(),
        "seconds": {
            "pairs": round(t_pairs - t0, 1),
            "fit": round(t_fit - t_pairs, 1),
            "tune": round(time.perf_counter() - t_fit, 1),
        },
    }
    model.info = {k: metrics[k] for k in ("train_blocks", "train_pairs", "dev_at_threshold")}
    model.save(out)
    metrics_out.parent.mkdir(parents=True, exist_ok=True)
    metrics_out.write_text(json.dumps(metrics, indent=2) + "\n")
    return model, metrics
