"""Does the split of a name depend on the number of BLAS threads, and does the Dask path add
anything to that? Splits the given names four ways in one process: the local path and a Dask
batch's path (its own share of the library, pickled as it travels), each with the BLAS
threads this machine gives and with one (what a Dask worker has).

    .venv/bin/python bench/blas_threads.py --db sqlite:///bench/work/synth-10/byline.sqlite \
        --out bench/results/blas-threads-synth-10.json iryna-gurevych david-chiang mike-gaido

Counts, per comparison, the prediction lines (key or confidence to 4 places) and the person
keys that differ.
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_info, threadpool_limits

from byline.engine import load_engine
from byline.tasks.dask_split import SharedState, batch_share, split_batch
from byline.tasks.split import blocks_rows

Rows = dict[str, tuple[str, float]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="sqlite:///.byline/byline.sqlite")
    ap.add_argument("--out", default="bench/results/blas-threads.json")
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    engine = load_engine(a.db)
    names = a.names
    engine.prepare(names)
    order = {pid: k for k, pid in enumerate(engine.corpus.papers)}
    state = SharedState(
        persons=engine.corpus.persons,
        model=engine.model,
        decisions=engine.decisions,
        use_embeddings=engine.use_embeddings,
        db_url=a.db,
    )

    def rows(split: Callable[[], Any]) -> Rows:
        return {r[0]: (r[2], round(r[3], 4)) for _s, block in split() for r in block}

    def local() -> Any:
        return blocks_rows(engine, names)

    def dask_batch() -> Any:
        share = pickle.loads(pickle.dumps(batch_share(engine, names, order)))
        return split_batch(pickle.loads(pickle.dumps(state)), share, names)

    runs: dict[str, Rows] = {}
    for label, split in (("local", local), ("dask_batch", dask_batch)):
        runs[label] = rows(split)
        with threadpool_limits(1):
            runs[f"{label}_1_thread"] = rows(split)

    def differ(x: str, y: str) -> dict[str, int]:
        a_, b_ = runs[x], runs[y]
        return {
            "lines": sum(a_[m] != b_[m] for m in a_),
            "keys": sum(a_[m][0] != b_[m][0] for m in a_),
        }

    result = {
        "db": a.db,
        "names": names,
        "mentions": len(runs["local"]),
        "blas_threads": sorted({d["num_threads"] for d in threadpool_info()}),
        "local_vs_local_1_thread": differ("local", "local_1_thread"),
        "local_vs_dask_batch": differ("local", "dask_batch"),
        "local_1_thread_vs_dask_batch_1_thread": differ("local_1_thread", "dask_batch_1_thread"),
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
