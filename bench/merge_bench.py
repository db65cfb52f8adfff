"""Benchmark of `byline merge`: recover the name variants of held-out registry persons.

Protocol (see the README section "Merging name variants"):

- Persons of ``name_variants.yaml`` (not catch-all) whose names fall in 2+ name slugs of the
  library are split by ``partition_of(canonical slug)``. A link is a pair of their name slugs.
- What the system sees: the library with the gold of every dev and test block hidden
  (``heldout_corpus``), and in addition the ``id=``/``orcid=`` of every mention of a dev or
  test person; a registry view in which dev and test persons keep only their canonical
  name (their variant lists are dropped). No predictions and no decisions: units are the
  exact-name blocks and the explicit-id persons that remain visible.
- The merge model is trained on candidate pairs whose names all belong to train persons or
  train blocks (label: the full registry lists both names for one person), seed 13; the
  threshold is tuned on dev (best F1 of links); test is run once with that threshold.
- Scores, per split: precision and recall of links (a predicted link between two names not
  listed for one registry person counts as wrong, even where the registry may just be
  missing a variant), the same precision over pairs whose both names are in the registry,
  and the false-merge rate on names known to be different people: pairs of names of two
  different non-catch-all registry persons with similar names (same family name and first
  initial in some transliteration, or listed as ``similar``), and catch-all names.
- Peers: ``name_rule`` links candidates whose names are identical after folding,
  transliteration, hyphen/space removal or swapping; ``pairwise_only`` links candidates whose
  mean mention-pair probability from the shipped pairwise model reaches its own merge
  threshold; ``all_candidates`` links every candidate (the recall ceiling of blocking).

The data and the fit are ``byline.training.merge`` (``byline train --merge`` writes the
shipped model ``src/byline/models/merge.{txt,json}``); this script evaluates a fitted model.

Usage: ``BYLINE_DB=sqlite:////tmp/x.sqlite python bench/merge_bench.py --split dev`` (the
shipped model, or ``--model``, on dev: ``bench/results/merge-dev.{json,md}``, with the dev
threshold grid), then ``--split test`` once (``merge-test.{json,md}``).
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from byline.model import MergeModel, PairwiseModel
from byline.model.merge import MERGE_FEATURES
from byline.store import connect
from byline.store.corpus import load_corpus
from byline.tasks.merge import training_candidates
from byline.training.merge import link_scores, threshold_grid, training_data

RESULTS = Path("bench/results")
WORK = Path("bench/work/merge")


def features(store_url: str, progress: bool = True) -> dict[str, Any]:
    """Candidates of the system view with their feature rows (cached under bench/work)."""
    WORK.mkdir(parents=True, exist_ok=True)
    cache = WORK / "features.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    t0 = time.perf_counter()
    store = connect(store_url, create=False)
    corpus = load_corpus(store)
    load = time.perf_counter() - t0
    last = [0.0]

    def cb(stage: str, done: int, total: int) -> None:
        if progress and time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(f"  {stage} {done}/{total}", flush=True)

    data = training_data(corpus, store, training_candidates, PairwiseModel.load(), cb)
    data["timings"]["load"] += load
    cache.write_bytes(pickle.dumps(data))
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--db", default=None, help="store URL (default: BYLINE_DB)")
    ap.add_argument("--model", type=Path, default=None, help="merge model (default: shipped)")
    args = ap.parse_args()
    import os

    url = args.db or os.environ.get("BYLINE_DB")
    t0 = time.perf_counter()
    data = features(url)
    X = data["X"]
    rows = data["rows"]
    scopes = np.array([r["scope"] for r in rows])
    y = np.array([r["label"] for r in rows], dtype=np.int8)
    train = scopes == "train"
    model = MergeModel.load(args.model)
    scores = model.predict_proba(X)
    grid = threshold_grid(scores, data) if args.split == "dev" else {}
    split = args.split
    kinds = [set(r["kinds"]) for r in rows]
    systems = {
        "name_rule": np.array([k <= {"spelling", "transliteration", "swapped"} for k in kinds]),
        "pairwise_only": X[:, MERGE_FEATURES.index("p_mean")] >= data["pairwise_threshold"],
        "all_candidates": np.ones(len(rows), dtype=bool),
        "byline_merge": scores >= model.threshold,
    }
    results = {name: link_scores(pred, data, split) for name, pred in systems.items()}
    # per kind of variation: recall of byline's links among gold links whose best name
    # evidence is that kind
    per_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"gold": 0, "found": 0})
    for r, s in zip(rows, scores, strict=True):
        if r["scope"] == split and r["label"] and not r["known"]:
            k = "+".join(r["kinds"])
            per_kind[k]["gold"] += 1
            per_kind[k]["found"] += int(s >= model.threshold)
    examples = {"false": [], "missed": []}
    order = np.argsort(-scores)
    for i in order:
        r = rows[i]
        if r["scope"] != split or r["known"]:
            continue
        if scores[i] >= model.threshold and not r["label"] and len(examples["false"]) < 15:
            examples["false"].append((r["names"], round(float(scores[i]), 3), r["kinds"]))
    for i in order[::-1]:
        r = rows[i]
        if r["scope"] == split and r["label"] and scores[i] < model.threshold:
            if len(examples["missed"]) < 15:
                examples["missed"].append((r["names"], round(float(scores[i]), 3), r["kinds"]))
    out = {
        "split": split,
        "threshold": model.threshold,
        "model_version": model.version,
        "seed": model.seed,
        "units": data["units"],
        "comparisons": data["comparisons"],
        "candidates": data["candidates"],
        "candidates_in_split": int((scopes == split).sum()),
        "train_pairs": int(train.sum()),
        "train_positives": int(y[train].sum()),
        "heldout_persons": data["heldout_persons"],
        "hidden_mentions": data["hidden_mentions"],
        "systems": results,
        "byline_recall_by_kind": dict(sorted(per_kind.items())),
        "dev_threshold_grid": {str(k): v for k, v in grid.items()},
        "examples": examples,
        "seconds": {
            **{k: round(v, 1) for k, v in data["timings"].items()},
            "total_this_run": round(time.perf_counter() - t0, 1),
        },
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"merge-{split}.json").write_text(json.dumps(out, indent=2) + "\n")
    (RESULTS / f"merge-{split}.md").write_text(markdown(out))
    print(markdown(out))


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"Merge benchmark, split **{r['split']}** (`python bench/merge_bench.py --split "
        f"{r['split']}`): {r['units']} units, {r['comparisons']} name comparisons, "
        f"{r['candidates']} candidates ({r['candidates_in_split']} in this split); "
        f"threshold {r['threshold']} (tuned on dev).",
        "",
        "| system | link precision | link recall | F1 | links predicted / gold | precision "
        "(both names in registry) | false merges of different people | catch-all names "
        "linked |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in r["systems"].items():
        pr = s["precision_registry_names"]
        fm = s["false_merge_rate"]
        lines.append(
            f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | "
            f"{s['links_predicted']} / {s['links_gold']} | "
            f"{'-' if pr is None else f'{pr:.3f}'} ({s['registry_name_links']}) | "
            f"{'-' if fm is None else f'{fm:.3f}'} ({s['different_merged']}/"
            f"{s['different_pairs']}) | {s['catch_all_linked']}/{s['catch_all_names']} |"
        )
    lines += ["", "Recall of byline_merge by kind of variation (gold links among candidates):", ""]
    lines += ["| kind | found / gold |", "|---|---|"]
    for k, v in r["byline_recall_by_kind"].items():
        lines.append(f"| {k} | {v['found']} / {v['gold']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
