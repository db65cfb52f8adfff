"""The fast path of `split --all` against the per-block reference, on a sample of real names.

    .venv/bin/python bench/split_identity.py [--db URL] [--names 3000] [--seed 0]
        [--out bench/results/split-identity.json]

Loads the library (read-only: nothing is written to the store, its embeddings being
cached), draws ``--names`` names at random (seeded), and splits them twice in this one
process: the reference, one name at a time (``Engine.split_block``: all pairs,
``block_features``, one model call per name), and the fast path ``split --all`` runs
(``Engine.split_blocks``, 400 names at a time, P(same) by the compiled forest as
``split --all`` predicts when lleaves is installed). ``--names 0`` takes every name.
Checks that the prediction lines (person keys, confidences to 4 decimals), the stored rows
(confidences unrounded), the labels and every pair's P(same) are identical, and reports
the time per name of each (one process, no worker: ``split --all`` splits the names in one
worker per core). The previous
predictions the keys are kept from are the store's, the same for both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path

import numpy as np

from byline.engine import load_engine
from byline.features.batch import warm_features
from byline.tasks.split import CHUNK, prediction_line, result_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None)
    ap.add_argument("--names", type=int, default=3000, help="0: every name")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="bench/results/split-identity.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    engine = load_engine(args.db)
    slugs = sorted(engine.corpus.blocks)
    n = len(slugs) if args.names <= 0 else min(args.names, len(slugs))
    sample = sorted(random.Random(args.seed).sample(slugs, n))
    engine.prepare(sample)
    warm_features(engine.stats)
    load = time.perf_counter() - t0

    t = time.perf_counter()
    reference = [engine.split_block(s) for s in sample]
    t_ref = time.perf_counter() - t
    # the fast path predicts as split --all does: by the compiled forest where lleaves is
    # installed (the reference by LightGBM)
    compiled = engine.fitted_model().compile()
    t = time.perf_counter()
    fast = []
    for i in range(0, len(sample), CHUNK):
        fast += engine.split_blocks(sample[i : i + CHUNK])
    t_fast = time.perf_counter() - t

    def lines(results: list) -> list[str]:
        return [prediction_line(r) for res in results for r in result_rows(res)]

    rows_ref = [r for res in reference for r in result_rows(res)]
    rows_fast = [r for res in fast for r in result_rows(res)]
    differing = [
        a.slug
        for a, b in zip(reference, fast, strict=True)
        if a.keys != b.keys
        or not np.array_equal(a.labels, b.labels)
        or not np.array_equal(a.confidence, b.confidence)
        or not np.array_equal(a.probs, b.probs)
    ]
    sizes = np.array([len(engine.corpus.blocks[s]) for s in sample])
    out = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "names": len(sample),
        "seed": args.seed,
        "mentions": int(sizes.sum()),
        "pairs": int((sizes * (sizes - 1) // 2).sum()),
        "names_of_one_mention": int((sizes == 1).sum()),
        "largest": int(sizes.max()),
        "load_seconds": round(load, 1),
        "reference_seconds": round(t_ref, 2),
        "fast_seconds": round(t_fast, 2),
        "reference_ms_per_name": round(1000 * t_ref / len(sample), 3),
        "fast_ms_per_name": round(1000 * t_fast / len(sample), 3),
        "speedup": round(t_ref / t_fast, 2),
        "fast_path_compiled_forest": compiled,
        "prediction_lines_identical": lines(reference) == lines(fast),
        "stored_rows_identical": rows_ref == rows_fast,
        "names_differing": differing[:20],
        "names_differing_count": len(differing),
    }
    print(json.dumps(out, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
