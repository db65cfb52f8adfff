"""Giant blocks: time, memory and quality of the candidate-pair split (byline.engine.giant).

    .venv/bin/python bench/giant_blocks.py [--db URL] [--sizes 1000,2000,5000]
        [--exact-up-to 1000] [--dev-min 100] [--out bench/results/giant-blocks.json]

Reads the store (default: the project's; nothing is written to it, the embeddings being
cached) and:

1. Real large names: every dev name with at least ``--dev-min`` mentions, gold of the
   scored mentions hidden as ``byline eval`` hides it, split the exact way (all pairs, as
   ``split --all`` does for every real name: all are below the limit) and on candidate
   pairs (the giant path, forced): B³ F1 against gold of each, and how far the giant path
   is from the exact one (B³ F1 of one against the other, all mentions).
2. Synthetic giant blocks: the largest names of the library merged under "Yang Liu" (the
   other names' mentions renamed), ``--sizes`` mentions, gold hidden: time, peak traced
   memory (tracemalloc, in a second run), candidate and confidence pairs, B³ F1 against
   gold; up to ``--exact-up-to`` mentions also the exact split, for comparison.

Figures to ``bench/results/giant-blocks.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from byline.engine import Engine, load_engine
from byline.engine.giant import split_giant
from byline.evaluation.metrics import score
from byline.evaluation.protocol import gold_labels, heldout_corpus, partition_of
from byline.sources.records import Paper
from byline.store.corpus import Corpus

TARGET = "yang-liu"


def _labels(slug: str, mentions: list, labels: np.ndarray) -> dict[str, str]:
    return {m.mention_id: f"{slug}/{lab}" for m, lab in zip(mentions, labels, strict=True)}


def _b3(gold: dict[str, str], pred: dict[str, str]) -> float:
    return round(score({"b": gold}, pred).b3_f1, 4) if gold else float("nan")


def _giant(engine: Engine, slug: str) -> tuple[np.ndarray, np.ndarray, int, float]:
    mentions = engine.corpus.blocks[slug]
    t = time.perf_counter()
    labels, conf, pairs, _p = split_giant(
        mentions,
        engine.corpus,
        engine.stats,
        engine.vectors if engine.use_embeddings else None,
        engine.fitted_model(),
        engine.decisions,
        engine.previous,
    )
    return labels, conf, len(pairs[0]), time.perf_counter() - t


def _exact(engine: Engine, slug: str) -> tuple[np.ndarray, float]:
    t = time.perf_counter()
    res = engine.split_blocks([slug])[0]  # all pairs: the limit is above this block
    return res.labels, time.perf_counter() - t


def real_names(engine: Engine, gold: dict[str, str], dev_min: int) -> dict[str, Any]:
    rows = []
    slugs = sorted(
        (s for s, ms in engine.corpus.blocks.items() if len(ms) >= dev_min),
        key=lambda s: -len(engine.corpus.blocks[s]),
    )
    slugs = [s for s in slugs if partition_of(s) == "dev"]
    engine.prepare(slugs)
    for slug in slugs:
        ms = engine.corpus.blocks[slug]
        g = {m.mention_id: gold[m.mention_id] for m in ms if m.mention_id in gold}
        exact, t_exact = _exact(engine, slug)
        giant, _conf, pairs, t_giant = _giant(engine, slug)
        e, gi = _labels(slug, ms, exact), _labels(slug, ms, giant)
        rows.append(
            {
                "name": slug,
                "mentions": len(ms),
                "scored": len(g),
                "all_pairs": len(ms) * (len(ms) - 1) // 2,
                "candidate_pairs": pairs,
                "b3_f1_exact": _b3(g, e),
                "b3_f1_giant": _b3(g, gi),
                "giant_vs_exact_b3_f1": _b3(e, gi),
                "seconds_exact": round(t_exact, 2),
                "seconds_giant": round(t_giant, 2),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return {"dev_min": dev_min, "names": rows}


def synthetic(engine: Engine, size: int) -> tuple[Engine, str, list[str]]:
    """An engine whose "Yang Liu" holds the largest names' mentions, ``size`` in all."""
    corpus = engine.corpus
    order = sorted(corpus.blocks, key=lambda s: (-len(corpus.blocks[s]), s))
    order.remove(TARGET)
    names, total = [TARGET], len(corpus.blocks[TARGET])
    for s in order:
        if total >= size:
            break
        names.append(s)
        total += len(corpus.blocks[s])
    target = corpus.blocks[TARGET][0]
    renamed = set(names[1:])
    papers: dict[str, Paper] = {}
    for pid, p in corpus.papers.items():
        if any(m.slug in renamed for m in p.authors):
            p = dataclasses.replace(
                p,
                authors=[
                    dataclasses.replace(m, first=target.first, last=target.last)
                    if m.slug in renamed
                    else m
                    for m in p.authors
                ],
            )
        papers[pid] = p
    merged = Engine(
        Corpus(papers=papers, persons=corpus.persons),
        engine.model,
        engine.store,
        stats=engine.stats,
        decisions=engine.decisions,
    )
    merged.vectors = engine.vectors
    merged.giant_block = 10**9
    return merged, TARGET, names


def synthetic_blocks(
    engine: Engine, gold: dict[str, str], sizes: list[int], exact_up_to: int
) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        merged, slug, names = synthetic(engine, size)
        ms = merged.corpus.blocks[slug]
        merged.prepare([slug])
        g = {m.mention_id: gold[m.mention_id] for m in ms if m.mention_id in gold}
        giant, conf, pairs, t_giant = _giant(merged, slug)
        tracemalloc.start()
        _giant(merged, slug)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        row: dict[str, Any] = {
            "mentions": len(ms),
            "names_merged": names,
            "scored": len(g),
            "persons_gold": len(set(g.values())),
            "all_pairs": len(ms) * (len(ms) - 1) // 2,
            "candidate_pairs": pairs,
            "candidate_pairs_per_mention": round(pairs / len(ms), 1),
            "seconds_giant": round(t_giant, 2),
            "ms_per_mention_giant": round(1000 * t_giant / len(ms), 2),
            "peak_traced_mb_giant": round(peak / 2**20, 1),
            "b3_f1_giant": _b3(g, _labels(slug, ms, giant)),
            "persons_giant": int(giant.max()) + 1,
            "mean_confidence_giant": round(float(conf.mean()), 4),
        }
        if len(ms) <= exact_up_to:
            exact, t_exact = _exact(merged, slug)
            e = _labels(slug, ms, exact)
            row.update(
                seconds_exact=round(t_exact, 2),
                b3_f1_exact=_b3(g, e),
                persons_exact=int(exact.max()) + 1,
                giant_vs_exact_b3_f1=_b3(e, _labels(slug, ms, giant)),
            )
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "names_merged"}), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None)
    ap.add_argument("--sizes", default="1000,2000,5000")
    ap.add_argument("--exact-up-to", type=int, default=1000)
    ap.add_argument("--dev-min", type=int, default=100)
    ap.add_argument("--skip-real", action="store_true", help="only the synthetic blocks")
    ap.add_argument("--out", default="bench/results/giant-blocks.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    engine = load_engine(args.db)
    engine.fitted_model().compile()  # as split --all predicts
    gold = gold_labels(engine.corpus)
    held = Engine(
        heldout_corpus(engine.corpus, gold),
        engine.model,
        engine.store,
        stats=engine.stats,
        decisions=engine.decisions,
    )
    held.vectors = engine.vectors
    load = time.perf_counter() - t0
    out: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_seconds": round(load, 1),
        "limit": engine.giant_block,
    }
    if not args.skip_real:
        out["real_dev_names"] = real_names(held, gold, args.dev_min)
    # synthetic blocks: every gold mention hidden (the merged names' ids would decide alone)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    out["synthetic"] = synthetic_blocks(held_all(engine, gold), gold, sizes, args.exact_up_to)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


def held_all(engine: Engine, gold: dict[str, str]) -> Engine:
    """The engine with every gold-carrying mention's id and ORCID iD hidden."""
    held = Engine(
        engine.corpus.masked(set(gold)),
        engine.model,
        engine.store,
        stats=engine.stats,
        decisions=engine.decisions,
    )
    held.vectors = engine.vectors
    return held


if __name__ == "__main__":
    main()
