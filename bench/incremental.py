"""`byline split --changed` on the real library: one new volume of about 1,000 mentions.

    .venv/bin/python bench/incremental.py [--db URL] [--data PATH] [--volume xml/NAME.xml]
        [--target 1000] [--check] [--out bench/results/incremental.json]

Never writes to the store it is given: works on a copy in a temporary folder (SQLite stores
only; the source is opened read-only), with a copy of the data there too.

1. picks the collection file whose author count is closest to ``--target`` (or
   ``--volume``) and takes it out of the data copy;
2. ingests that into the store copy (the volume's papers leave) and runs ``split --all``;
3. puts the file back, ingests again (the volume is new: its names are recorded as changed)
   and times ``split --changed``, each command in a fresh process (load, embedding of the new
   titles, clustering, peak memory);
4. checks that no name outside the volume's got a different stored prediction; with
   ``--check``, also runs ``split --all`` on a copy of the store taken just before
   ``split --changed`` and compares the volume's names (they must be equal), and counts the
   other mentions a whole re-split would have moved (the library statistics move with every
   ingest; ``--changed`` keeps their stored keys).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from speed import stage  # one fresh process per command, its peak memory

from byline.store import connect, resolve_db_url
from byline.store.changed import changed_names
from byline.store.predictions import load_prediction_rows

Rows = dict[str, tuple[str, float]]


def copy_store(url: str, dst: Path) -> None:
    """A consistent copy of a SQLite store, read through a read-only connection."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        sys.exit(f"{url}: the bench copies a SQLite store file; pass --db sqlite:///PATH")
    src = Path(url.removeprefix("sqlite:///")).resolve()
    if not src.is_file():
        sys.exit(f"no store at {src}; run `byline ingest` first")
    with sqlite3.connect(f"file:{src}?mode=ro", uri=True) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def copy_data(data: Path, work: Path) -> Path:
    """The data copied (or unpacked) under ``work``; the folder that holds ``xml/``."""
    lib = work / "lib"
    if data.is_dir():
        shutil.copytree(data, lib / data.name)
    else:
        with tarfile.open(data) as tar:
            tar.extractall(lib, filter="data")
    found = sorted(p.parent for p in lib.rglob("xml") if p.is_dir())
    if not found:
        sys.exit(f"{data}: no xml/ folder inside; pass the Anthology's data/ or its .tar.gz")
    return found[0]


def pick_volume(root: Path, target: int) -> tuple[str, int]:
    """The collection file (path under data/) whose <author> count is closest to target."""
    counts = {
        f"xml/{p.name}": p.read_bytes().count(b"<author") for p in sorted(root.glob("xml/*.xml"))
    }
    name = min(counts, key=lambda k: (abs(counts[k] - target), k))
    return name, counts[name]


def stored(url: str) -> Rows:
    store = connect(url, create=False)
    try:
        return load_prediction_rows(store)
    finally:
        store.dispose()


def slugs_of(url: str) -> dict[str, str]:
    store = connect(url, create=False)
    try:
        with store.connect() as conn:
            return dict(conn.exec_driver_sql("SELECT mention_id, slug FROM predictions").all())
    finally:
        store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=None, help="the store to copy (default: BYLINE_DB or ours)")
    ap.add_argument("--data", default="../shared/anthology/acl-anthology-data-2025-11.tar.gz")
    ap.add_argument("--volume", default=None, help="collection file, e.g. xml/2023.findings.xml")
    ap.add_argument("--target", type=int, default=1000, help="mentions of the volume to pick")
    ap.add_argument("--check", action="store_true", help="compare with a whole split --all")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--work", default=None, help="folder for the copies (default: a temp one)")
    ap.add_argument("--keep", action="store_true", help="keep the copies")
    ap.add_argument("--out", default="bench/results/incremental.json")
    a = ap.parse_args()

    work = Path(a.work or tempfile.mkdtemp(prefix="byline-incremental-"))
    work.mkdir(parents=True, exist_ok=True)
    store_path = work / "byline.sqlite"
    db = f"sqlite:///{store_path}"
    env = dict(os.environ, BYLINE_DB=db)
    workers = ["--workers", str(a.workers)] if a.workers else []
    try:
        t = time.perf_counter()
        copy_store(resolve_db_url(a.db), store_path)
        root = copy_data(Path(a.data), work)
        copy_seconds = round(time.perf_counter() - t, 1)
        if a.volume:
            volume = a.volume
            authors = (root / volume).read_bytes().count(b"<author")
        else:
            volume, authors = pick_volume(root, a.target)
        held = work / "held" / Path(volume).name
        held.parent.mkdir()
        shutil.move(root / volume, held)
        print(f"volume {volume}: {authors} <author> elements", flush=True)

        rows = [
            stage("ingest_without_volume", ["ingest", str(root), "--json"], env),
            stage(
                "split_all",
                ["split", "--all", "--out", str(work / "preds.jsonl"), "--json", *workers],
                env,
            ),
        ]
        shutil.move(held, root / volume)
        rows.append(stage("ingest_with_volume", ["ingest", str(root), "--json"], env))
        store = connect(db, create=False)
        touched = set(changed_names(store).slugs)
        store.dispose()
        before = stored(db)
        if a.check:
            copy_store(db, work / "check.sqlite")
        rows.append(stage("split_changed", ["split", "--changed", "--json", *workers], env))
        after = stored(db)
        slug = slugs_of(db)
        untouched_moved = sum(
            1 for m, row in before.items() if slug.get(m) not in touched and after.get(m) != row
        )
        result: dict = {
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "volume": volume,
            "author_elements": authors,
            "names_changed": len(touched),
            "copy_seconds": copy_seconds,
            "stages": rows,
            # stored predictions of names the volume does not touch that split --changed moved
            "untouched_predictions_moved": untouched_moved,
        }
        if a.check:
            check = f"sqlite:///{work / 'check.sqlite'}"
            full = stage(
                "split_all_check",
                ["split", "--all", "--out", str(work / "check.jsonl"), "--json", "--db", check,
                 *workers],
                env,
            )  # fmt: skip
            whole = stored(check)
            differ = [
                m
                for m in after
                if slug.get(m) in touched
                and (after[m][0], round(after[m][1], 4))
                != (whole.get(m, ("", 0.0))[0], round(whole.get(m, ("", 0.0))[1], 4))
            ]
            others = [m for m in before if slug.get(m) not in touched]
            keys_moved = sum(1 for m in others if whole.get(m, ("",))[0] != before[m][0])
            conf_moved = sum(
                1 for m in others if m in whole and abs(whole[m][1] - before[m][1]) >= 5e-5
            )
            result["check"] = {
                "split_all": full,
                "touched_mentions": sum(1 for m in after if slug.get(m) in touched),
                # --changed against a whole split --all, on the volume's names: 0 expected
                "touched_mentions_differing": len(differ),
                "differing_examples": differ[:10],
                # what a whole re-split would have changed outside them (the statistics move
                # with every ingest): person keys, and confidences by 0.0001 or more
                "untouched_mentions": len(others),
                "untouched_keys_a_full_split_moves": keys_moved,
                "untouched_confidences_a_full_split_moves": conf_moved,
            }
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {a.out}")


if __name__ == "__main__":
    main()
