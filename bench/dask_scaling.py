"""`split --all` locally and on a Dask LocalCluster, with 1 and 2 workers, on the real store.

    .venv/bin/python bench/dask_scaling.py [--db URL] [--out bench/results/dask-scaling.json]
        [--runs local-1,local-2,dask-1,dask-2] [--work bench/work/dask-scaling] [--append]

On a synthetic library of F times the Anthology (``bench/synthetic_library.py``):

    .venv/bin/python bench/synthetic_library.py --factor 2
    .venv/bin/python bench/dask_scaling.py --db sqlite:///bench/work/synth-2/byline.sqlite \
        --work bench/work/synth-2/runs --out bench/results/dask-scaling-synth-2.json

Each run in a fresh process (``speed.stage``: wall seconds, the driver's peak memory and the
largest child process's; a LocalCluster's workers are child processes of the driver), warm
embedding cache, on the given store (default: the project's; the runs replace its stored
predictions with equal ones). Checks that every run writes the same prediction file.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
from pathlib import Path

from speed import stage


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None)
    ap.add_argument("--out", default="bench/results/dask-scaling.json")
    ap.add_argument("--work", default="bench/work/dask-scaling")
    ap.add_argument(
        "--runs", default="local-1,local-2,dask-1,dask-2", help="which runs, HOW-WORKERS"
    )
    ap.add_argument(
        "--append",
        action="store_true",
        help="add these runs to the runs already in --out (one long run per invocation)",
    )
    a = ap.parse_args()
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if a.db:
        env["BYLINE_DB"] = a.db
    runs = json.loads(Path(a.out).read_text())["runs"] if a.append and Path(a.out).exists() else []
    chosen = [(r.split("-")[0], int(r.split("-")[1])) for r in a.runs.split(",") if r]
    for how, workers in chosen:
        out = work / f"{how}-{workers}.jsonl"
        args = ["split", "--all", "--out", str(out), "--workers", str(workers), "--json"]
        if how == "dask":
            args += ["--dask", "local"]
        row = stage(f"{how}_{workers}", args, env)
        row.update(how=how, workers=workers, file=str(out))
        runs.append(row)
    first = Path(runs[0]["file"])
    for r in runs:
        r["same_file_as_first"] = filecmp.cmp(first, r["file"], shallow=False)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "db": a.db,
        "runs": runs,
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {a.out}")


if __name__ == "__main__":
    main()
