"""Where the driver of `split --all --dask` spends its time, batch by batch.

    .venv/bin/python bench/dask_driver.py [--db URL] [--workers 2] [--batch 400]
        [--out bench/results/dask-driver.json]

Runs ``split --all`` on a LocalCluster against a copy of the store (SQLite; the source is
only read) and times, in the driver, what it does for every batch: cutting the batch's
share of the library (``batch_share``, of which the statistics' restriction), sending it
to a worker (``Client.scatter``), submitting the task, waiting for and fetching a finished batch's
rows (``Future.result``), and storing them (``save_predictions``). The rest of the wall
time is the driver's own loop, the embedding pass (cached) and the cluster's start.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from results_io import write_result


def _timed(totals: dict[str, float], counts: dict[str, int], name: str, f: Callable) -> Callable:
    @functools.wraps(f)
    def g(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - t
            counts[name] = counts.get(name, 0) + 1

    return g


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=".byline/byline.sqlite", help="SQLite store file to copy")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=400)
    ap.add_argument("--out", default="bench/results/dask-driver.json")
    a = ap.parse_args()

    import distributed

    import byline.features.stats as stats_mod
    import byline.tasks.dask_split as ds
    from byline.engine.block import load_engine

    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    ds.batch_share = _timed(totals, counts, "batch_share", ds.batch_share)
    stats_mod.LibraryStats.restricted = _timed(
        totals, counts, "of which stats_restricted", stats_mod.LibraryStats.restricted
    )
    ds.save_predictions = _timed(totals, counts, "save_predictions", ds.save_predictions)
    distributed.Client.submit = _timed(totals, counts, "client_submit", distributed.Client.submit)
    distributed.Client.scatter = _timed(
        totals, counts, "client_scatter", distributed.Client.scatter
    )
    distributed.Future.result = _timed(totals, counts, "future_result", distributed.Future.result)

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "byline.sqlite"
        with sqlite3.connect(f"file:{a.db}?mode=ro", uri=True) as src, sqlite3.connect(db) as dst:
            src.backup(dst)
        t = time.perf_counter()
        engine = load_engine(f"sqlite:///{db}")
        load = time.perf_counter() - t
        opts = ds.DaskOptions(address="local", workers=a.workers, batch=a.batch)
        t = time.perf_counter()
        report = ds.split_on_dask(engine, Path(tmp) / "out.jsonl", opts)
        wall = time.perf_counter() - t
        shutil.rmtree(Path(tmp) / "dask-worker-space", ignore_errors=True)
    batches = report["batches"]
    result = {
        "workers": a.workers,
        "batch": a.batch,
        "batches": batches,
        "load_seconds": round(load, 1),
        "split_on_dask_seconds": round(wall, 1),
        "report": report,
        "driver_seconds": {k: round(v, 1) for k, v in totals.items()},
        "driver_ms_per_batch": {k: round(1000 * v / batches, 1) for k, v in totals.items()},
        "calls": counts,
    }
    write_result(a.out, result)


if __name__ == "__main__":
    main()
