"""How fast the shipped title embedder runs on this machine's cores, laid out three ways.

A cold `split --all` spends most of its time embedding titles with the packaged MiniLM
(``features.embeddings``: torch, one process, a thread per core, batches of 64). This bench
embeds the same titles (the first ``-n`` of the store by paper id, after a warm-up batch)

* in one process with torch's threads set to each of 1 .. cores, at batch size 64;
* in one process with a thread per core at batch sizes 16, 32, 64 and 128;
* in ``cores`` processes of one thread each, every process a share of the titles (what a
  process pool would give), timed from the first start to the last end;

and writes titles per second for each to ``--out``. The vectors are not compared: every
layout runs the same model (the batch size changes them in the last bit, through padding).

    .venv/bin/python bench/embed_layout.py [-n 3000] [--out bench/results/embed-layout.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sqlite3
import time
from pathlib import Path

WARMUP = 200


def _titles(db: Path, n: int) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT title FROM papers ORDER BY paper_id LIMIT ?", (n + WARMUP,)
        ).fetchall()
    return [r[0] for r in rows]


def _model(threads: int):  # type: ignore[no-untyped-def]
    import torch

    from byline.features.embeddings import _transformer

    model = _transformer()
    torch.set_num_threads(threads)  # after the load, which sets a thread per core
    return model


def _rate(titles: list[str], threads: int, batch: int) -> float:
    model = _model(threads)
    model.encode(titles[:WARMUP], batch_size=batch)
    t = time.perf_counter()
    model.encode(titles[WARMUP:], batch_size=batch)
    return (len(titles) - WARMUP) / (time.perf_counter() - t)


def _worker(args: tuple[list[str], int, mp.Barrier]) -> tuple[float, float]:  # type: ignore[type-arg]
    titles, batch, barrier = args
    model = _model(1)
    model.encode(titles[:WARMUP], batch_size=batch)
    barrier.wait()
    t0 = time.time()
    model.encode(titles[WARMUP:], batch_size=batch)
    return t0, time.time()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path(".byline/byline.sqlite"))
    ap.add_argument("-n", type=int, default=3000, help="titles timed per layout")
    ap.add_argument("--out", type=Path, default=Path("bench/results/embed-layout.json"))
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    titles = _titles(a.db, a.n)
    out: dict[str, float] = {}
    for threads in range(1, cores + 1):
        out[f"1 process, {threads} thread(s), batch 64"] = _rate(titles, threads, 64)
    for batch in (16, 32, 64, 128):
        out[f"1 process, {cores} threads, batch {batch}"] = _rate(titles, cores, batch)
    # processes: each embeds its share (after its own warm-up) once all are loaded
    share = -(-(len(titles) - WARMUP) // cores)
    body = titles[WARMUP:]
    ctx = mp.get_context("spawn")  # a fresh torch per process
    with ctx.Manager() as manager:
        barrier = manager.Barrier(cores)
        jobs = [
            (titles[:WARMUP] + body[i * share : (i + 1) * share], 64, barrier) for i in range(cores)
        ]
        with ctx.Pool(cores) as pool:
            spans = pool.map(_worker, jobs)
    wall = max(e for _, e in spans) - min(s for s, _ in spans)
    out[f"{cores} processes, 1 thread each, batch 64"] = len(body) / wall
    result = {
        "command": "bench/embed_layout.py",
        "titles": len(body),
        "cores": cores,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "titles_per_second": {k: round(v, 1) for k, v in out.items()},
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
