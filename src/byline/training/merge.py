"""Fitting the merge model on candidate pairs of train names, its threshold tuned on dev.

Data (the protocol of ``bench/merge_bench.py``, README "Merging name variants"):

- Persons of the registry (not catch-all) whose names fall in 2+ name slugs of the library
  are split by ``partition_of(canonical slug)``. A link is a pair of their name slugs.
- What the system sees (``system_view``): the library with the gold of every dev and test
  block hidden (``heldout_corpus``), and in addition the ``id=``/``orcid=`` of every mention
  of a dev or test person with several names; a registry in which those persons keep only
  their canonical name. No predictions and no decisions: units are the exact-name blocks
  and the explicit-id persons that remain visible.
- Every candidate pair of units there (registry-known pairs included) is labelled by the
  full registry (both names listed for one person) and scoped by the home split of its
  names (``scope``: test if any name is test, else dev if any is dev, else train).
- The model is fitted on train-scope pairs only, seeded; its threshold is the one with the
  best F1 of links on dev (``link_scores``).

The candidates and their feature rows come from ``byline.tasks.merge.training_candidates``
(the features are computed from the task's units, a stage above this one): the caller
passes that function in (``Featurize``).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from byline.errors import BylineError
from byline.evaluation.protocol import gold_labels, heldout_corpus, partition_of
from byline.features.name_match import forms
from byline.model.merge import MergeModel
from byline.model.pairwise import PairwiseModel
from byline.sources.records import Person
from byline.store import Store
from byline.store.corpus import Corpus

Progress = Callable[[str, int, int], None]
SEED = 13
THRESHOLDS = tuple(round(float(x), 3) for x in np.arange(0.05, 0.96, 0.05))


@dataclass
class Candidates:
    """Candidate pairs of units with the merge model's feature rows.

    Attributes:
        X: one row per pair, columns ``MERGE_FEATURES``.
        slugs: the name slugs of the two units of each pair.
        known: per pair, whether the registry (as the system sees it) links both names.
        kinds: per pair, the kinds of name variation of its best name match.
        names: per pair, the display names of the two units.
        units: units in the library.
        comparisons: unit pairs looked at while blocking.
        timings: seconds per step.
    """

    X: np.ndarray
    slugs: list[tuple[list[str], list[str]]]
    known: list[bool]
    kinds: list[list[str]]
    names: list[tuple[str, str]]
    units: int
    comparisons: int
    timings: dict[str, float] = field(default_factory=dict)


# (library, store for the embedding cache or None, pairwise model, progress) -> candidates
Featurize = Callable[[Corpus, Store | None, PairwiseModel, Progress | None], Candidates]


def slug_pairs(slugs: list[str]) -> set[tuple[str, str]]:
    """Every pair (sorted) of distinct slugs."""
    s = sorted(set(slugs))
    return {(s[i], s[j]) for i in range(len(s)) for j in range(i + 1, len(s))}


def system_view(corpus: Corpus) -> tuple[Corpus, dict[str, Any]]:
    """The library and registry the system may see, and what was hidden from it."""
    gold = gold_labels(corpus)
    persons = [p for p in corpus.persons.values() if not p.catch_all]
    heldout = {
        p.person_id
        for p in persons
        if partition_of(p.canonical.slug) != "train"
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
        sp = partition_of(p.canonical.slug)
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
    """The split of a name slug: its registry person's, else its own."""
    return t["home"].get(slug) or partition_of(slug)


def scope(slugs: set[str], t: dict[str, Any]) -> str:
    """The split a pair of units belongs to: test if any name is test, else dev, else train."""
    homes = {home_of(s, t) for s in slugs}
    return "test" if "test" in homes else "dev" if "dev" in homes else "train"


def training_data(
    corpus: Corpus,
    store: Store | None,
    featurize: Featurize,
    pair_model: PairwiseModel,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Candidates of the system view with their feature rows, labels and scopes.

    Keys: ``X``, ``rows`` (per pair: slug_pairs, scope, label, known, kinds, names),
    ``truth``, counts (units, comparisons, candidates, hidden_mentions, heldout_persons),
    ``pairwise_threshold`` and ``timings``.
    """
    t = time.perf_counter()
    view, hidden = system_view(corpus)
    load = time.perf_counter() - t
    cands = featurize(view, store, pair_model, progress)
    tr = truth(corpus)
    rows = []
    for (a, b), known, kinds, names in zip(
        cands.slugs, cands.known, cands.kinds, cands.names, strict=True
    ):
        sa, sb = set(a), set(b)
        pairs = {tuple(sorted((x, y))) for x in sa for y in sb}
        same = any(tr["owners"].get(x, set()) & tr["owners"].get(y, set()) for x, y in pairs)
        rows.append(
            {
                "slug_pairs": sorted(pairs),
                "scope": scope(sa | sb, tr),
                "label": int(same),
                "known": known,
                "kinds": list(kinds),
                "names": list(names),
            }
        )
    return {
        "X": cands.X,
        "rows": rows,
        "truth": tr,
        "units": cands.units,
        "comparisons": cands.comparisons,
        "candidates": len(rows),
        "hidden_mentions": hidden["hidden"],
        "heldout_persons": len(hidden["heldout"]),
        "pairwise_threshold": pair_model.threshold,
        "timings": {"load": load, **cands.timings},
    }


def link_scores(predicted: np.ndarray, data: dict[str, Any], split: str) -> dict[str, Any]:
    """Link precision/recall and false-merge rates of a boolean prediction per candidate,
    over the candidates of one split (registry-known pairs left out)."""
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


def threshold_grid(scores: np.ndarray, data: dict[str, Any]) -> dict[float, dict[str, Any]]:
    """:func:`link_scores` on dev at every threshold of ``THRESHOLDS``."""
    return {th: link_scores(scores >= th, data, "dev") for th in THRESHOLDS}


def fit_merge_model(data: dict[str, Any], seed: int = SEED) -> MergeModel:
    """The merge model fitted on the train-scope candidates of ``data`` (seeded), its
    threshold the best F1 of links on dev (ties: the higher threshold)."""
    X = data["X"]
    rows = data["rows"]
    scopes = np.array([r["scope"] for r in rows])
    y = np.array([r["label"] for r in rows], dtype=np.int8)
    train = scopes == "train"
    if len(np.unique(y[train])) < 2:
        raise BylineError(
            f"merge training: {int(y[train].sum())} of the {int(train.sum())} candidate pairs "
            "of train names are one person; fitting needs both kinds (registry persons with "
            "several names in train blocks, and other pairs)"
        )
    model = MergeModel(seed=seed, version=f"merge-{seed}")
    model.fit(X[train], y[train])
    grid = threshold_grid(model.predict_proba(X), data)
    model.threshold = max(THRESHOLDS, key=lambda th: (grid[th]["f1"], th))
    model.info = {
        "train_pairs": int(train.sum()),
        "train_positives": int(y[train].sum()),
        "dev_threshold_grid": {str(k): v["f1"] for k, v in grid.items()},
    }
    return model


def train(
    corpus: Corpus,
    store: Store | None,
    featurize: Featurize,
    pair_model: PairwiseModel,
    out: Path,
    seed: int = SEED,
    metrics_out: Path | None = None,
    progress: Progress | None = None,
) -> tuple[MergeModel, dict[str, Any]]:
    """Fit the merge model on ``corpus`` (see the module docstring) and save it to ``out``;
    returns it and its metrics (also written to ``metrics_out`` if given)."""
    data = training_data(corpus, store, featurize, pair_model, progress)
    t = time.perf_counter()
    model = fit_merge_model(data, seed)
    dev = link_scores(model.predict_proba(data["X"]) >= model.threshold, data, "dev")
    metrics = {
        "version": model.version,
        "seed": seed,
        "threshold": model.threshold,
        "pairwise_model": pair_model.version,
        "units": data["units"],
        "candidates": data["candidates"],
        **{k: model.info[k] for k in ("train_pairs", "train_positives")},
        "dev_at_threshold": dev,
        "seconds": {
            **{k: round(v, 1) for k, v in data["timings"].items()},
            "fit": round(time.perf_counter() - t, 1),
        },
    }
    model.save(out)
    if metrics_out is not None:
        metrics_out.parent.mkdir(parents=True, exist_ok=True)
        metrics_out.write_text(json.dumps(metrics, indent=2) + "\n")
    return model, metrics
