"""Library statistics updated in place against rebuilt (issue 13), on the real library.

    .venv/bin/python bench/stats_update.py [--db URL] [--source xml/2020.semeval.xml]
        [--out bench/results/stats-update.json]

Takes the papers of one collection file out of the ingested library, builds the statistics
of the rest, then brings them up to date with the full library (as after an ingest that
adds that file) and compares them, count for count and TF-IDF row for row to the bit, with
the statistics rebuilt from scratch. Times both, and the cached statistics' pickle.
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from pathlib import Path

from byline.features.stats import compute_stats
from byline.store import connect
from byline.store.corpus import Corpus, load_corpus


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite:///.byline/byline.sqlite")
    ap.add_argument("--source", default="xml/2020.semeval.xml")
    ap.add_argument("--out", default="bench/results/stats-update.json")
    a = ap.parse_args()
    corpus = load_corpus(connect(a.db, create=False))
    out_papers = {p for p, paper in corpus.papers.items() if paper.source.endswith(a.source)}
    if not out_papers:
        raise SystemExit(f"no paper comes from {a.source}")
    before = Corpus(
        papers={p: x for p, x in corpus.papers.items() if p not in out_papers},
        persons=corpus.persons,
    )
    stats = compute_stats(before)
    t = time.perf_counter()
    rebuilt = compute_stats(corpus)
    rebuild_s = time.perf_counter() - t
    t = time.perf_counter()
    changed = stats.update(corpus)
    update_s = time.perf_counter() - t
    diff = stats.differences(rebuilt)
    t = time.perf_counter()
    blob = pickle.dumps(stats, protocol=pickle.HIGHEST_PROTOCOL)
    dump_s = time.perf_counter() - t
    t = time.perf_counter()
    pickle.loads(blob)
    load_s = time.perf_counter() - t
    result = {
        "source": a.source,
        "papers": len(corpus.papers),
        "papers_changed": changed,
        "mentions_changed": sum(len(corpus.papers[p].authors) for p in out_papers),
        "seconds": {
            "rebuild": round(rebuild_s, 2),
            "update": round(update_s, 2),
            "pickle_dump": round(dump_s, 2),
            "pickle_load": round(load_s, 2),
        },
        "pickle_mb": round(len(blob) / 1e6, 1),
        "differences_from_rebuild": diff,
    }
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
