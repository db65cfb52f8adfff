"""Speed and memory of the whole-library pipeline on this machine.

    .venv/bin/python bench/speed.py [--data PATH] [--out bench/results/speed.json]
                                    [--model PATH]

Runs, each in a fresh process against a fresh store in bench/work/speed/:
ingest (empty store), `split --all` with a cold embedding cache (and no compiled forest nor
distilled static embedder: their preparation is counted), `split --all` again (warm cache),
and a re-ingest of unchanged data. Records wall seconds and peak RSS of every stage, plus
the per-stage timings the commands report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

STAGE = r"""
import resource, sys, json
from typer.testing import CliRunner
from byline.cli import app
r = CliRunner().invoke(app, sys.argv[1:], catch_exceptions=False)
sys.stdout.write(r.stdout)
print(json.dumps({"__peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "__worker_peak_rss_mb":
                      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
                  "__exit": r.exit_code}))
"""


def stage(name: str, args: list[str], env: dict[str, str]) -> dict:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", STAGE, *args], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"{name} failed:\n{proc.stdout}\n{proc.stderr}")
    lines = [x for x in proc.stdout.strip().splitlines() if x.strip()]
    tail = json.loads(lines[-1])
    if tail["__exit"] != 0:
        sys.exit(f"{name} exited {tail['__exit']}:\n{proc.stdout}\n{proc.stderr}")
    try:
        report = json.loads("\n".join(lines[:-1]))
    except json.JSONDecodeError:
        report = {}
    row = {
        "stage": name,
        "wall_seconds": round(wall, 1),
        "peak_rss_mb": tail["__peak_rss_mb"],
        # split --all forks worker processes: the largest one's peak (pages it shares
        # with the parent are counted in both)
        "worker_peak_rss_mb": tail.get("__worker_peak_rss_mb", 0),
        "report": report,
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/anthology/acl-anthology-data-2025-11.tar.gz")
    ap.add_argument("--out", default="bench/results/speed.json")
    ap.add_argument("--work", default="bench/work/speed")
    ap.add_argument(
        "--model",
        default=None,
        help="pairwise model file to split with (default: the shipped one), e.g. one trained "
        "with `byline train --embedder static`",
    )
    a = ap.parse_args()
    model = ["--model", str(Path(a.model).resolve())] if a.model else []
    work = Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = f"sqlite:///{work}/byline.sqlite"
    # a fresh machine-level cache too: the cold run compiles the pairwise forest (lleaves)
    env = dict(os.environ, BYLINE_DB=db, BYLINE_CACHE_DIR=str(work / "cache"))
    rows = [
        stage("ingest", ["ingest", a.data, "--json"], env),
        stage(
            "split_all_cold",
            ["split", "--all", "--out", str(work / "preds.jsonl"), "--json", *model],
            env,
        ),
        stage(
            "split_all_warm",
            ["split", "--all", "--out", str(work / "preds.jsonl"), "--json", *model],
            env,
        ),
        stage("reingest_unchanged", ["ingest", a.data, "--json"], env),
    ]
    result = {
        "model": a.model or "shipped",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "stages": rows,
        # issue 13's target: warm split --all in at most twice the ingest of the same data
        "warm_split_over_ingest": round(rows[2]["wall_seconds"] / rows[0]["wall_seconds"], 2),
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {a.out}")


if __name__ == "__main__":
    main()
