"""Benchmark of `byline merge`: recover the name variants of held-out registry persons.

Protocol (see the README section "Merging name variants"):

- Persons of ``name_variants.yaml`` (not catch-all) whose names fall in 2+ name slugs of the
  library are split by ``split_of(canonical slug)``. A link is a pair of their name slugs.
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

Usage: ``BYLINE_DB=sqlite:////tmp/x.sqlite python bench/merge_bench.py --split dev`` (trains,
tunes, writes the shipped model ``src/byline/models/merge.{txt,json}`` and
``bench/results/merge-dev.{json,md}``), then ``--split test`` once (same training, the
stored dev threshold, ``merge-test.{json,md}``).
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

from byline.evaluation.protocol import gold_labels, heldout_corpus, split_of
from byline.features.embeddings import cached_embeddings, embed_text
from byline.features.name_match import forms
from byline.features.stats import compute_stats
from byline.model import PairwiseModel
from byline.sources.records import Person
from byline.store import connect
from byline.store.corpus import Corpus, load_corpus
from byline.tasks.merge import (
    MERGE_FEATURES,
    MergeModel,
    build_units,
    default_merge_model_path,
    generate_candidates,
    registry_view,
    score_pairs,
)

SEED = 13
THRESHOLDS = tuple(round(float(x), 3) for x in np.arange(0.05, 0.96, 0.05))
RESULTS = Path("bench/results")
WORK = Path("bench/work/merge")


def slug_pairs(slugs: list[str]) -> set[tuple[str, str]]:
    s = sorted(set(slugs))
    return {(s[i], s[j]) for i in range(len(s)) for j in range(i + 1, len(s))}


def system_view(corpus: Corpus) -> tuple[Corpus, dict[str, Any]]:
    """The library and registry the system may see, and the gold it must not."""
    gold = gold_labels(corpus)
    persons = [p for p in corpus.persons.values() if not p.catch_all]
    heldout = {
        p.person_id
        for p in persons
        if split_of(p.canonical.slug) != "train"
        and len({n.slug for n in p.names if n.slug in corpus.blocks}) > 1
    }
    orcids = {corpus.persons[p].orcid for p in heldout} - {None}
    masked = heldout_corpus(corpus, gold)
    hide = {
        m.mention_id
        for m in masked.mentions
        if (m.person_id in heldout) or (m.orcid and m.orcid in orcids)
    }
    masked = masked.masked(hide)
    view: dict[str, Person] = {}
    for pid, p in corpus.persons.items():
        if pid in heldout:
            p = Person(
                person_id=p.person_id,
                names=p.names[:1],
                comment=p.comment,
                explicit=p.explicit,
            )
        view[pid] = p
    return Corpus(papers=masked.papers, persons=view), {"heldout": heldout, "hidden": len(hide)}


def truth(corpus: Corpus) -> dict[str, Any]:
    """Gold links, home split of each name slug, known-different pairs, catch-all names."""
    persons = [p for p in corpus.persons.values() if not p.catch_all]
    owners: dict[str, set[str]] = defaultdict(set)
    home: dict[str, str] = {}
    links: dict[str, set[tuple[str, str]]] = {s: set() for s in ("train", "dev", "test")}
    for p in persons:
        sp = split_of(p.canonical.slug)
        slugs = sorted({n.slug for n in p.names if n.slug in corpus.blocks})
        for s in slugs:
            owners[s].add(p.person_id)
            home.setdefault(s, sp)
        if len(slugs) > 1:
            links[sp] |= slug_pairs(slugs)
    # names of two different registry persons that look alike
    by_key: dict[str, set[str]] = defaultdict(set)
    for s in owners:
        m = corpus.blocks[s][0]
        for f in forms(m.first, m.last):
            if f.family and f.given:
                by_key[f"{''.join(f.family)}|{f.given[0][0]}"].add(s)
    different: set[tuple[str, str]] = set()
    for group in by_key.values():
        for a, b in slug_pairs(sorted(group)):
            if not owners[a] & owners[b]:
                different.add((a, b))
    for p in persons:
        for q in p.similar:
            if q in corpus.persons and not corpus.persons[q].catch_all:
                for n in p.names:
                    for k in corpus.persons[q].names:
                        a, b = sorted((n.slug, k.slug))
                        if a != b and a in owners and b in owners and not owners[a] & owners[b]:
                            different.add((a, b))
    catch_all = {
        n.slug
        for p in corpus.persons.values()
        if p.catch_all
        for n in p.names
        if n.slug in corpus.blocks
    }
    return {
        "owners": owners,
        "home": home,
        "links": links,
        "different": different,
        "catch_all": catch_all,
    }


def home_of(slug: str, t: dict[str, Any]) -> str:
    return t["home"].get(slug) or split_of(slug)


def scope(slugs: set[str], t: dict[str, Any]) -> str:
    homes = {home_of(s, t) for s in slugs}
    return "test" if "test" in homes else "dev" if "dev" in homes else "train"


def features(store_url: str, progress: bool = True) -> dict[str, Any]:
    """Candidates of the system view with their feature rows (cached under bench/work)."""
    WORK.mkdir(parents=True, exist_ok=True)
    cache = WORK / "features.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    store = connect(store_url, create=False)
    corpus = load_corpus(store)
    view, hidden = system_view(corpus)
    timings["load"] = time.perf_counter() - t0
    t = time.perf_counter()
    units = build_units(view)
    gen = generate_candidates(view, units, registry_view(view.persons.values()), include_known=True)
    timings["candidates"] = time.perf_counter() - t
    t = time.perf_counter()
    stats = compute_stats(view)
    model = PairwiseModel.load()
    wanted = {m.paper_id for p in gen.pairs for u in (p.a, p.b) for m in units[u].mentions}
    vectors = cached_embeddings(
        store, {p: embed_text(view.papers[p].title, view.papers[p].abstract) for p in wanted}
    )
    timings["stats_embeddings"] = time.perf_counter() - t
    t = time.perf_counter()
    last = [0.0]

    def cb(stage: str, done: int, total: int) -> None:
        if progress and time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(f"  {stage} {done}/{total}", flush=True)

    X, _ = score_pairs(view, units, gen, stats, model, vectors, cb)
    timings["features"] = time.perf_counter() - t
    tr = truth(corpus)
    rows = []
    for p in gen.pairs:
        sa, sb = set(units[p.a].slugs), set(units[p.b].slugs)
        pairs = {tuple(sorted((a, b))) for a in sa for b in sb}
        same = any(tr["owners"].get(a, set()) & tr["owners"].get(b, set()) for a, b in pairs)
        rows.append(
            {
                "slug_pairs": sorted(pairs),
                "scope": scope(sa | sb, tr),
                "label": int(same),
                "known": p.known,
                "kinds": list(p.match.kinds),
                "names": [units[p.a].display, units[p.b].display],
            }
        )
    data = {
        "X": X,
        "rows": rows,
        "truth": tr,
        "units": len(units),
        "comparisons": gen.comparisons,
        "candidates": len(gen.pairs),
        "hidden_mentions": hidden["hidden"],
        "heldout_persons": len(hidden["heldout"]),
        "pairwise_threshold": model.threshold,
        "timings": timings,
    }
    cache.write_bytes(pickle.dumps(data))
    return data


def evaluate(predicted: np.ndarray, data: dict[str, Any], split: str) -> dict[str, Any]:
    """Link precision/recall and false-merge rates of a boolean prediction per candidate."""
    tr = data["truth"]
    rows = data["rows"]
    linked: set[tuple[str, str]] = set()
    for r, yes in zip(rows, predicted, strict=True):
        if yes and not r["known"] and r["scope"] == split:
            linked |= {tuple(p) for p in r["slug_pairs"]}
    gold = tr["links"][split]
    tp = len(linked & gold)
    correct = {p for p in linked if tr["owners"].get(p[0], set()) & tr["owners"].get(p[1], set())}
    labelled = {p for p in linked if p[0] in tr["owners"] and p[1] in tr["owners"]}
    diff = {p for p in tr["different"] if scope(set(p), tr) == split}
    ca = {s for s in tr["catch_all"] if home_of(s, tr) == split}
    ca_linked = {s for p in linked for s in p if s in ca}
    prec = len(correct) / len(linked) if linked else 1.0
    rec = tp / len(gold) if gold else 0.0
    return {
        "links_predicted": len(linked),
        "links_gold": len(gold),
        "links_recovered": tp,
        "precision": round(prec, 4),
        "recall": round(rec, 4),
        "f1": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0,
        "precision_registry_names": round(len(correct & labelled) / len(labelled), 4)
        if labelled
        else None,
        "registry_name_links": len(labelled),
        "different_pairs": len(diff),
        "different_merged": len(linked & diff),
        "false_merge_rate": round(len(linked & diff) / len(diff), 4) if diff else None,
        "catch_all_names": len(ca),
        "catch_all_linked": len(ca_linked),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--db", default=None, help="store URL (default: BYLINE_DB)")
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
    t = time.perf_counter()
    model = MergeModel(seed=SEED, version=f"merge-{SEED}")
    model.fit(X[train], y[train])
    train_seconds = time.perf_counter() - t
    scores = model.predict(X)
    path = default_merge_model_path()
    if args.split == "dev":
        grid = {th: evaluate(scores >= th, data, "dev") for th in THRESHOLDS}
        best = max(THRESHOLDS, key=lambda th: (grid[th]["f1"], th))
        model.threshold = best
        model.info = {
            "train_pairs": int(train.sum()),
            "train_positives": int(y[train].sum()),
            "dev_threshold_grid": {str(k): v["f1"] for k, v in grid.items()},
        }
        model.save(path)
    else:
        shipped = MergeModel.load(path)
        model.threshold = shipped.threshold
        grid = {}
    split = args.split
    kinds = [set(r["kinds"]) for r in rows]
    systems = {
        "name_rule": np.array([k <= {"spelling", "transliteration", "swapped"} for k in kinds]),
        "pairwise_only": X[:, MERGE_FEATURES.index("p_mean")] >= data["pairwise_threshold"],
        "all_candidates": np.ones(len(rows), dtype=bool),
        "byline_merge": scores >= model.threshold,
    }
    results = {name: evaluate(pred, data, split) for name, pred in systems.items()}
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
        "seed": SEED,
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
            "train": round(train_seconds, 1),
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
