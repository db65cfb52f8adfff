"""`byline export` on the real Nov 2025 snapshot with a few hand-made decisions, verified with
the official acl-anthology 0.5.4 (who every author/editor resolves to, before and after).

    .venv/bin/python bench/export_real.py [--store /tmp/st.sqlite]

Copies the store (never writes to the given one), records three decisions, exports them
(patch and changed copy), checks the patch with `git apply --check`, and compares owners.
Writes bench/results/export-real.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared/anthology/acl-anthology-data-2025-11.tar.gz"

# (slug, kind, mentions, person key) -- the new keys are as byline's review page makes them.
DECISIONS = [
    # "Peisong Wang" (no registry entry): one of the two papers is someone else
    ("peisong-wang", "assign", ["2025.findings-acl.551#2"], "peisong-wang/5e150a11"),
    # "Antonio Bonafonte" (one registry person, 10 mentions without id): two are someone else
    (
        "antonio-bonafonte",
        "assign",
        ["2021.naacl-industry.10#1", "L02-1174#3"],
        "antonio-bonafonte/b0afe7e1",
    ),
    # a mention carrying zheyuan-zhang-jhu is not that person
    ("zheyuan-zhang", "not_person", ["2023.emnlp-main.456#0"], "zheyuan-zhang-jhu"),
]


def owners(datadir: Path, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-S", str(ROOT / "tests/export_verify.py"), str(datadir), str(out)],
        env={"PYTHONPATH": str(ROOT / ".venv-acl/0.5"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default="/tmp/st.sqlite", help="an ingested store (copied)")
    args = ap.parse_args()
    from sqlalchemy import select

    from byline.export import unified_patch, write_copy
    from byline.export.run import export_decisions
    from byline.store import connect
    from byline.store import schema as t
    from byline.store.decisions import record

    work = Path(tempfile.mkdtemp(prefix="byline-export-"))
    db = work / "store.sqlite"
    shutil.copy(args.store, db)
    engine = connect(f"sqlite:///{db}")
    with engine.connect() as conn:
        ids = {r[0] for r in conn.execute(select(t.mentions.c.mention_id))}
    for slug, kind, mids, person in DECISIONS:
        missing = [m for m in mids if m not in ids]
        if missing:
            raise SystemExit(f"{missing} not in the store")
        record(engine, slug=slug, kind=kind, mention_ids=mids, person=person, actor="bench")
    figures: dict = {"decisions": DECISIONS}

    t0 = time.perf_counter()
    result = export_decisions(engine, DATA, DATA)
    figures["plan_seconds"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    patch = unified_patch(result)
    (work / "decisions.patch").write_text(patch, encoding="utf-8")
    figures["patch_seconds"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    dest = write_copy(result, work / "out")
    figures["copy_seconds"] = round(time.perf_counter() - t0, 2)
    figures["summary"] = result.summary()
    figures["patch_lines"] = patch.count("\n")

    original = work / "orig"
    with tarfile.open(DATA) as tar:
        tar.extractall(original, filter="data")
    proc = subprocess.run(
        ["git", "apply", "--check", str(work / "decisions.patch")],
        cwd=original,
        capture_output=True,
        text=True,
    )
    figures["git_apply_check"] = proc.returncode == 0 or proc.stderr

    t0 = time.perf_counter()
    before = owners(original / "data", work / "before.json")
    after = owners(dest, work / "after.json")
    figures["verify_seconds_both"] = round(time.perf_counter() - t0, 1)
    expected = {
        m: result.person_ids.get(p, p) for _, k, ms, p in DECISIONS if k == "assign" for m in ms
    }
    excluded = {m: p for _, k, ms, p in DECISIONS if k == "not_person" for m in ms}
    moved_ok, others_changed = [], []
    for label, owner in before["owners"].items():
        new = after["owners"].get(label)
        if label in expected:
            moved_ok.append(new == expected[label])
        elif label in excluded:
            moved_ok.append(new != excluded[label] and not new.startswith("!"))
        elif new != owner:
            others_changed.append((label, owner, new))
    figures["library"] = before["version"]
    figures["name_specs_checked"] = len(before["owners"])
    figures["errors_before"] = sum(v.startswith("!") for v in before["owners"].values())
    figures["errors_after"] = sum(v.startswith("!") for v in after["owners"].values())
    figures["decided_resolved_as_decided"] = f"{sum(moved_ok)}/{len(moved_ok)}"
    figures["other_owner_changes"] = others_changed
    out = ROOT / "bench/results/export-real.json"
    out.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in figures.items() if k != "summary"}, indent=1))
    print(patch[:6000])
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
