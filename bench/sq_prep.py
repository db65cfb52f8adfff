"""Split-quality experiments, step 1 (issue 11): a cache of features, out-of-fold mention
probabilities and gold for train and dev names.

    .venv/bin/python bench/sq_prep.py train dev      # writes bench/work/sq-cache.pkl (~6 min)

Every scored mention of train, dev and test is masked; train names get probabilities from a
model fitted on the other half of the train names (as bench/cluster_oof.py), dev names from
a model fitted on all train names. bench/sq_exp.py reads the cache.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import time

import numpy as np

from byline.engine import Engine
from byline.evaluation.protocol import gold_labels, scored_mentions
from byline.model import PairwiseModel
from byline.store import connect
from byline.store.corpus import load_corpus
from byline.training.pairwise import block_training_pairs


def fold(slug: str) -> int:
    return int(hashlib.sha1(f"fold:{slug}".encode()).hexdigest(), 16) % 2


def main() -> None:
    parts = sys.argv[1:] or ["train", "dev"]
    t0 = time.time()
    store = connect("sqlite:////work/main/.byline/byline.sqlite")
    corpus = load_corpus(store)
    gold = gold_labels(corpus)
    scored = {s: scored_mentions(corpus, gold, s) for s in ("train", "dev", "test")}
    hidden = {m for blocks in scored.values() for ms in blocks.values() for m in ms}
    masked = corpus.masked(hidden)
    del corpus
    engine = Engine(masked, None, store)
    blocks = {s: {b: ms for b, ms in scored[s].items() if len(ms) >= 2} for s in parts}
    X, rows = {}, {}
    for part in parts:
        for slug, mids in blocks[part].items():
            X[slug] = engine.features(masked.blocks[slug])
            rows[slug] = mids
    print("features", time.time() - t0, flush=True)

    def fit(slugs: list[str]) -> PairwiseModel:
        rng = np.random.default_rng(13)
        ps = [
            block_training_pairs(X[s], masked.blocks[s], rows[s], gold, rng) for s in sorted(slugs)
        ]
        Xs, ys, ws = zip(*ps, strict=True)
        Xa, ya, wa = np.concatenate(Xs), np.concatenate(ys), np.concatenate(ws)
        return PairwiseModel(seed=13).fit(Xa, ya, wa)

    probs: dict[str, np.ndarray] = {}
    train = sorted(blocks["train"])
    for k in (0, 1):
        m = fit([s for s in train if fold(s) != k])
        probs.update({s: m.predict_proba(X[s]) for s in train if fold(s) == k})
    full = fit(train)
    for part in parts:
        if part != "train":
            probs.update({s: full.predict_proba(X[s]) for s in blocks[part]})
    print("probs", time.time() - t0, flush=True)
    with open("bench/work/sq-cache.pkl", "wb") as fh:
        pickle.dump({"X": X, "probs": probs, "blocks": blocks, "gold": gold}, fh)
    print("done", time.time() - t0)


if __name__ == "__main__":
    main()
