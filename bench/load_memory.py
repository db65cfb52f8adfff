"""What the main process of `split --all` holds, part by part (issue 13: the driver's memory
at 10x): each step of `load_engine` and the title vectors of every name of 2+ mentions, with
the process's resident memory (VmRSS, after a garbage collection) before and after, in one
process on the ingested store (warm caches: nothing is embedded or rebuilt).

    .venv/bin/python bench/load_memory.py [--db URL] [--out bench/results/load-memory.json]
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from results_io import write_result

from byline.engine import Engine
from byline.features.stats import library_stats
from byline.model import PairwiseModel
from byline.store import connect
from byline.store.corpus import load_corpus
from byline.store.decisions import decided_state
from byline.store.predictions import load_predictions


def rss_mb() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="sqlite:///.byline/byline.sqlite")
    ap.add_argument("--out", default="bench/results/load-memory.json")
    a = ap.parse_args()
    steps: dict[str, dict[str, float]] = {}
    held: dict[str, object] = {}
    base = rss_mb()
    store = connect(a.db, create=False)

    def step(name: str, make) -> object:  # type: ignore[no-untyped-def]
        before, t = rss_mb(), time.perf_counter()
        held[name] = make()
        seconds = time.perf_counter() - t
        steps[name] = {"mb": round(rss_mb() - before, 1), "seconds": round(seconds, 2)}
        return held[name]

    model = step("model", PairwiseModel.load)
    corpus = step("corpus", lambda: load_corpus(store, abstracts=False))  # as load_engine
    stats = step("statistics", lambda: library_stats(corpus, store))
    decisions = step("decisions", lambda: decided_state(store))
    previous = step("last_predictions", lambda: load_predictions(store))
    engine = Engine(corpus, model, store, stats=stats, decisions=decisions, previous=previous)
    slugs = sorted(corpus.blocks)
    step("title_vectors", lambda: engine.prepare(slugs))
    result = {
        "db": a.db,
        "papers": len(corpus.papers),
        "mentions": sum(len(b) for b in corpus.blocks.values()),
        "vectors": len(engine.vectors),
        "interpreter_and_imports_mb": round(base, 1),
        "steps": steps,
        "total_mb": round(rss_mb(), 1),
    }
    write_result(a.out, result)


if __name__ == "__main__":
    main()
