"""Benchmark of `byline audit`: does it rank conflated pages and misplaced papers first?

    export BYLINE_DB=sqlite:////path/to/store.sqlite    # ingested, embeddings cached
    .venv/bin/byline train --audit                       # calibration from TRAIN blocks
    .venv/bin/python bench/audit_bench.py eval --split dev
    .venv/bin/python bench/audit_bench.py eval --split test   # once, after tuning on dev
    .venv/bin/python bench/audit_bench.py library        # whole-library audit, timed
    .venv/bin/python bench/audit_bench.py overhead       # split vs audit scoring, 1 page in 10

Protocol (DEVELOPERS.md): pages are exact-name blocks; before scoring, the gold (``id=``,
``orcid=``) of every scored mention is hidden (``Corpus.masked``, as ``byline eval`` does
for dev and test; train blocks are hidden the same way so that the calibration sees what
the audit sees). Targets: a page is positive when its gold mentions hold 2+ gold persons;
a gold mention is positive when its gold person is not the page's majority gold person.
Baseline: name frequency alone (the number of mentions of the name). Metrics: average
precision and precision@k (scikit-learn), Brier score of the calibrated probabilities.

The raw signals of every page (``byline.training.audit.page_rows``, which the calibration is
fitted on too) are cached in bench/work/ (per split and model version).
"""

from __future__ import annotations

import argparse
import json
import pickle
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss

from byline.engine import Engine
from byline.model import Calibration, PairwiseModel, model_fingerprint
from byline.model.audit import PAGE_FEATURES, PAPER_FEATURES
from byline.store import connect
from byline.store.corpus import load_corpus
from byline.tasks.audit import audit_all, page_row, page_signals, ranking_scores
from byline.training.audit import design, page_probs, page_rows, paper_probs

WORK = Path("bench/work")
RESULTS = Path("bench/results")
PAGE_KS = (10, 25, 50, 100)
PAPER_KS = (25, 50, 100, 200)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def signals(split: str, db: str | None) -> dict[str, Any]:
    """Raw page signals and gold targets of every block with gold in ``split`` (cached)."""
    model = PairwiseModel.load()
    cache = WORK / f"audit-signals-{split}-{model_fingerprint(model)}.pkl"
    if cache.exists():
        log(f"signals of {split} from {cache}")
        with open(cache, "rb") as fh:
            return pickle.load(fh)
    t = time.perf_counter()
    store = connect(db, create=False)
    corpus = load_corpus(store)
    load_s = time.perf_counter() - t
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30 or done == total:
            last[0] = time.perf_counter()
            log(f"{split} {stage}: {done}/{total}")

    doc = page_rows(corpus, store, model, split, page_signals, progress)
    doc["seconds"]["load_and_mask"] = round(doc["seconds"]["load_and_mask"] + load_s, 1)
    WORK.mkdir(parents=True, exist_ok=True)
    with open(cache, "wb") as fh:
        pickle.dump(doc, fh)
    return doc


def evaluate(doc: dict[str, Any], cal: Calibration) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for scope, min_gold in (("all_pages_with_gold", 1), ("pages_with_2plus_gold", 2)):
        d = design(doc, min_gold)
        pp = page_probs(cal, d)
        weakest = np.array(
            [1.0 - s.top_cut for s in (doc["pages"][x]["signals"] for x in d["slugs"])]
        )
        pages = {
            "audit_calibrated": ranking_scores(d["page_y"], pp, PAGE_KS, d["slugs"]),
            "audit_weakest_link_only": ranking_scores(d["page_y"], weakest, PAGE_KS, d["slugs"]),
            "baseline_name_frequency": ranking_scores(
                d["page_y"], d["page_n"].astype(float), PAGE_KS, d["slugs"]
            ),
        }
        pages["audit_calibrated"]["brier"] = round(float(brier_score_loss(d["page_y"], pp)), 4)
        pages["audit_calibrated"]["mean_probability"] = round(float(pp.mean()), 4)
        pages["audit_calibrated"]["positive_rate"] = round(float(d["page_y"].mean()), 4)
        qp = paper_probs(cal, d, pp)
        papers = {
            "audit_calibrated": ranking_scores(d["paper_y"], qp, PAPER_KS, d["paper_ids"]),
            "audit_one_minus_mean_p_to_majority": ranking_scores(
                d["paper_y"], d["paper_raw"], PAPER_KS, d["paper_ids"]
            ),
            "baseline_name_frequency": ranking_scores(
                d["paper_y"], d["paper_n"].astype(float), PAPER_KS, d["paper_ids"]
            ),
        }
        papers["audit_calibrated"]["brier"] = round(float(brier_score_loss(d["paper_y"], qp)), 4)
        papers["audit_calibrated"]["mean_probability"] = round(float(qp.mean()), 4)
        papers["audit_calibrated"]["positive_rate"] = round(float(d["paper_y"].mean()), 4)
        # inside each conflated page: is the odd paper ranked first?
        from sklearn.metrics import average_precision_score

        aps, top1, prevalence = [], [], []
        for j in np.flatnonzero(d["page_y"] == 1):
            rows = np.flatnonzero(d["paper_page"] == j)
            y = d["paper_y"][rows]
            aps.append(average_precision_score(y, qp[rows]))
            first = rows[np.lexsort((np.array(d["paper_ids"])[rows], -qp[rows]))[0]]
            top1.append(d["paper_y"][first])
            prevalence.append(y.mean())
        inside = {
            "conflated_pages": len(aps),
            "mean_average_precision": round(float(np.mean(aps)), 4) if aps else None,
            "top1_is_odd": round(float(np.mean(top1)), 4) if aps else None,
            "baseline_random_mean_average_precision": round(float(np.mean(prevalence)), 4)
            if aps
            else None,
        }
        out[scope] = {
            "pages": pages,
            "papers_pooled": papers,
            "papers_inside_conflated_pages": inside,
        }
    return out


def markdown(res: dict[str, Any]) -> str:
    lines = [
        f"# `byline audit` benchmark, split **{res['split']}**",
        "",
        f"Model {res['model_version']}; calibration fitted on train blocks "
        f"({res['calibration']['page_rows']} pages, {res['calibration']['paper_rows']} "
        "gold mentions). Gold of every scored mention hidden before scoring. "
        f"Command: `{res['command']}`.",
        "",
    ]
    for scope, r in res["scores"].items():
        n_pages = r["pages"]["baseline_name_frequency"]
        n_papers = r["papers_pooled"]["baseline_name_frequency"]
        lines += [
            f"## {scope.replace('_', ' ')}: {n_pages['items']} pages "
            f"({n_pages['positives']} with 2+ gold persons), {n_papers['items']} gold mentions "
            f"({n_papers['positives']} not with their page's majority person)",
            "",
            "| ranking | system | AP | ROC AUC | " + " | ".join(f"P@{k}" for k in PAGE_KS) + " |",
            "|---|---|---|---|" + "---|" * len(PAGE_KS),
        ]
        for sysname, s in r["pages"].items():
            lines.append(
                f"| pages | {sysname} | {s.get('average_precision', '-')} | "
                f"{s.get('roc_auc', '-')} | "
                + " | ".join(str(s.get(f"p@{k}", "-")) for k in PAGE_KS)
                + " |"
            )
        lines += [
            "",
            "| ranking | system | AP | ROC AUC | " + " | ".join(f"P@{k}" for k in PAPER_KS) + " |",
            "|---|---|---|---|" + "---|" * len(PAPER_KS),
        ]
        for sysname, s in r["papers_pooled"].items():
            lines.append(
                f"| papers (pooled) | {sysname} | {s.get('average_precision', '-')} | "
                f"{s.get('roc_auc', '-')} | "
                + " | ".join(str(s.get(f"p@{k}", "-")) for k in PAPER_KS)
                + " |"
            )
        ins = r["papers_inside_conflated_pages"]
        pc, qc = r["pages"]["audit_calibrated"], r["papers_pooled"]["audit_calibrated"]
        lines += [
            "",
            f"Inside the {ins['conflated_pages']} conflated pages: mean AP of the paper "
            f"ranking {ins['mean_average_precision']} (random order: "
            f"{ins['baseline_random_mean_average_precision']}); the top-ranked gold mention "
            f"is a misplaced one in {ins['top1_is_odd']} of them.",
            "",
            f"Calibration: pages mean P {pc['mean_probability']} vs rate "
            f"{pc['positive_rate']} (Brier {pc['brier']}); papers mean P "
            f"{qc['mean_probability']} vs rate {qc['positive_rate']} (Brier {qc['brier']}).",
            "",
        ]
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace) -> None:
    cal = Calibration.load(args.calibration)
    doc = signals(args.split, args.db)
    if cal.model_fingerprint != doc["model_fingerprint"]:
        sys.exit(
            f"the calibration was fitted for model {cal.model_fingerprint}, the shipped model is "
            f"{doc['model_fingerprint']}: run `byline train --audit` first"
        )
    res = {
        "split": args.split,
        "model_version": doc["model_version"],
        "model_fingerprint": doc["model_fingerprint"],
        "calibration": cal.info,
        "page_features": list(PAGE_FEATURES),
        "paper_features": list(PAPER_FEATURES),
        "command": f"python bench/audit_bench.py eval --split {args.split}",
        "scores": evaluate(doc, cal),
        "seconds": doc["seconds"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"audit-{args.split}.json").write_text(json.dumps(res, indent=2) + "\n")
    (RESULTS / f"audit-{args.split}.md").write_text(markdown(res))
    print(markdown(res))


def cmd_library(args: argparse.Namespace) -> None:
    """The whole library, as `byline audit` runs it (no gold hidden), timed."""
    t = time.perf_counter()
    store = connect(args.db, create=False)
    corpus = load_corpus(store)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    engine = Engine(corpus, PairwiseModel.load(), store)
    stats_s = time.perf_counter() - t
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30 or done == total:
            last[0] = time.perf_counter()
            log(f"{stage}: {done}/{total}")

    pages, timings = audit_all(engine, Calibration.load(args.calibration), progress=progress)
    timings.update({"load_seconds": round(load_s, 1), "stats_seconds": round(stats_s, 1)})
    res = {
        "command": "python bench/audit_bench.py library",
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "timings": timings,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "pages_over_0.5": sum(p.p_conflated > 0.5 for p in pages),
        "papers_over_0.5": sum(r.p_wrong > 0.5 for p in pages for r in p.papers),
        "top": [page_row(i, p) for i, p in enumerate(pages[:25], 1)],
    }
    (RESULTS / "audit-library.json").write_text(json.dumps(res, indent=2) + "\n")
    lines = [
        "# `byline audit` over the whole library",
        "",
        f"Command: `{res['command']}`; {timings['pages']} pages, {timings['mentions']} "
        f"mentions; load {timings['load_seconds']} s, statistics {timings['stats_seconds']} s, "
        f"embeddings {timings['embed_seconds']} s, audit {timings['audit_seconds']} s; "
        f"peak RSS {res['peak_rss_mb']} MB. Pages with P(2+ people) > 0.5: "
        f"{res['pages_over_0.5']}; papers with P(wrong person) > 0.5: {res['papers_over_0.5']}.",
        "",
        "| rank | name | mentions | P(2+) | inferred persons | weakest link | top papers |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in res["top"]:
        lines.append(
            f"| {r['rank']} | {r['name']} | {r['mentions']} | {r['p_conflated']:.3f} | "
            f"{r['inferred_persons']} | {r['weakest_link']:.3f} ({r['weakest_cut']}) | "
            f"{r['top_papers']} |"
        )
    (RESULTS / "audit-library.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def cmd_overhead(args: argparse.Namespace) -> None:
    """What the audit adds to the split, on every 10th page of the library (sorted slugs)."""
    store = connect(args.db, create=False)
    engine = Engine(load_corpus(store), PairwiseModel.load(), store)
    slugs = sorted(engine.corpus.blocks)[::10]
    pages, timings = audit_all(engine, Calibration.load(args.calibration), slugs)
    share = timings["scoring_seconds"] / max(timings["split_seconds"], 1e-9)
    res = {
        "command": "python bench/audit_bench.py overhead",
        "sample": "every 10th page of the library, sorted by slug",
        "timings": timings,
        "scoring_over_split": round(share, 3),
    }
    (RESULTS / "audit-overhead.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=None, help="store URL (default: BYLINE_DB)")
    ap.add_argument("--calibration", type=Path, default=None)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("eval")
    e.add_argument("--split", choices=("dev", "test"), required=True)
    sub.add_parser("library")
    sub.add_parser("overhead")
    args = ap.parse_args()
    {"eval": cmd_eval, "library": cmd_library, "overhead": cmd_overhead}[args.cmd](args)


if __name__ == "__main__":
    main()
