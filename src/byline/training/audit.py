"""Fitting the audit calibration on train pages (the protocol of ``bench/audit_bench.py``).

Pages are exact-name blocks. Before scoring, the gold (``id=``, ``orcid=``) of every scored
mention of every split is hidden (``Corpus.masked``), so that the calibration sees what the
audit sees; each page is split by the engine with the given pairwise model and its raw
signals are computed by ``byline.tasks.audit.page_signals`` (a task, above this stage: the
caller passes it in). Targets: a page is positive when its gold mentions hold 2+ gold
persons; a gold mention is positive when its gold person is not the page's majority gold
person. The calibration is fitted on train pages with 2+ gold mentions, seeded.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from byline.engine import BlockResult, Engine
from byline.evaluation.protocol import gold_labels, scored_mentions
from byline.model.audit import Calibration, fit_calibration, model_fingerprint
from byline.model.pairwise import PairwiseModel
from byline.store import Store
from byline.store.corpus import Corpus

Progress = Callable[[str, int, int], None]
SEED = 13


class Signals(Protocol):
    """The raw signals of one page (``byline.tasks.audit.PageSignals``)."""

    n: int
    features: np.ndarray
    paper_features: np.ndarray
    to_majority: np.ndarray


PageSignalsFn = Callable[[BlockResult], Signals]


def majority_label(labels: Iterable[str]) -> str:
    """The most frequent gold person of a page (ties: the smallest label, deterministic)."""
    counts = Counter(labels)
    return min(counts, key=lambda k: (-counts[k], k))


def gold_targets(mention_ids: list[str], gold: dict[str, str]) -> tuple[bool, dict[str, bool]]:
    """For one page: does its gold hold 2+ persons, and for each gold mention, is its gold
    person not the page's majority gold person."""
    labels = {m: gold[m] for m in mention_ids if m in gold}
    if not labels:
        return False, {}
    major = majority_label(labels.values())
    return len(set(labels.values())) > 1, {m: g != major for m, g in labels.items()}


def page_rows(
    corpus: Corpus,
    store: Store | None,
    model: PairwiseModel,
    split: str,
    signals: PageSignalsFn,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Raw signals and gold targets of every page with gold in ``split``.

    Keys: ``split``, ``model_version``, ``model_fingerprint``, ``pages`` (slug -> signals,
    mention_ids, conflated, odd: gold mention id -> not with the majority) and ``seconds``.
    """
    t = time.perf_counter()
    gold = gold_labels(corpus)
    hidden = {
        m
        for s in ("train", "dev", "test")
        for ms in scored_mentions(corpus, gold, s).values()
        for m in ms
    }
    masked = corpus.masked(hidden)  # the engine below sees no gold of any scored mention
    blocks = scored_mentions(masked, gold, split)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    engine = Engine(masked, model, store)
    slugs = sorted(blocks)
    engine.prepare(slugs, progress=lambda d, n: progress and progress("embed", d, n))
    stats_embed_s = time.perf_counter() - t
    t = time.perf_counter()
    rows = {}
    for i, slug in enumerate(slugs):
        res = engine.split_block(slug)
        ids = [m.mention_id for m in res.mentions]
        conflated, odd = gold_targets(ids, gold)
        rows[slug] = {
            "signals": signals(res),
            "mention_ids": ids,
            "conflated": conflated,
            "odd": odd,  # gold mention id -> not with the page's majority gold person
        }
        if progress:
            progress("signals", i + 1, len(slugs))
    return {
        "split": split,
        "model_version": model.version,
        "model_fingerprint": model_fingerprint(model),
        "pages": rows,
        "seconds": {
            "load_and_mask": round(load_s, 1),
            "stats_and_embeddings": round(stats_embed_s, 1),
            "split_and_signals": round(time.perf_counter() - t, 1),
        },
    }


def design(doc: dict[str, Any], min_gold: int = 1) -> dict[str, Any]:
    """Matrices of one split (:func:`page_rows`): page rows (pages with >= ``min_gold``
    gold mentions) and paper rows (their gold mentions)."""
    slugs, page_X, page_y, sizes = [], [], [], []
    paper_ids, paper_X, paper_y, paper_page, paper_size, paper_raw = [], [], [], [], [], []
    for slug, row in sorted(doc["pages"].items()):
        if len(row["odd"]) < min_gold:
            continue
        sig = row["signals"]
        slugs.append(slug)
        page_X.append(sig.features)
        page_y.append(row["conflated"])
        sizes.append(sig.n)
        for i, mid in enumerate(row["mention_ids"]):
            if mid in row["odd"]:
                paper_ids.append(mid)
                paper_X.append(sig.paper_features[i])
                paper_y.append(row["odd"][mid])
                paper_page.append(len(slugs) - 1)
                paper_size.append(sig.n)
                paper_raw.append(1.0 - sig.to_majority[i])
    return {
        "slugs": slugs,
        "page_X": np.array(page_X),
        "page_y": np.array(page_y, dtype=int),
        "page_n": np.array(sizes),
        "paper_ids": paper_ids,
        "paper_X": np.array(paper_X),
        "paper_y": np.array(paper_y, dtype=int),
        "paper_page": np.array(paper_page, dtype=int),
        "paper_n": np.array(paper_size),
        "paper_raw": np.array(paper_raw),
    }


def page_probs(cal: Calibration, d: dict[str, Any]) -> np.ndarray:
    """Calibrated P(2+ people) of the pages of a :func:`design` (0 for one mention)."""
    p = cal.page_proba(d["page_X"])
    return np.where(d["page_n"] > 1, p, 0.0)


def paper_probs(cal: Calibration, d: dict[str, Any], page_p: np.ndarray) -> np.ndarray:
    """Calibrated P(wrong person) of the papers of a :func:`design`."""
    out = np.zeros(len(d["paper_y"]))
    for j in np.unique(d["paper_page"]):
        rows = np.flatnonzero(d["paper_page"] == j)
        if d["page_n"][j] > 1:
            out[rows] = cal.paper_proba(d["paper_X"][rows], float(page_p[j]))
    return out


def fit_on_pages(doc: dict[str, Any], seed: int = SEED) -> Calibration:
    """The calibration fitted on the pages of ``doc`` with 2+ gold mentions (a page with
    one says nothing about conflation): the page part first, as the paper part reads the
    calibrated page probability."""
    d = design(doc, min_gold=2)
    page_fit = fit_calibration(
        d["page_X"],
        d["page_y"],
        d["paper_X"],
        np.full(len(d["paper_y"]), 0.5),
        d["paper_y"],
        model_version=doc["model_version"],
        fingerprint=doc["model_fingerprint"],
        seed=seed,
    )
    page_p = page_probs(page_fit, d)
    cal = fit_calibration(
        d["page_X"],
        d["page_y"],
        d["paper_X"],
        page_p[d["paper_page"]],
        d["paper_y"],
        model_version=doc["model_version"],
        fingerprint=doc["model_fingerprint"],
        seed=seed,
    )
    cal.info["fitted_on"] = "train blocks with 2+ gold mentions"
    return cal


def train(
    corpus: Corpus,
    store: Store | None,
    model: PairwiseModel,
    signals: PageSignalsFn,
    out: Path,
    seed: int = SEED,
    progress: Progress | None = None,
) -> tuple[Calibration, dict[str, Any]]:
    """Fit the calibration on the train pages of ``corpus`` for ``model`` and save it to
    ``out``; returns it and what the fit saw (rows, seconds)."""
    doc = page_rows(corpus, store, model, "train", signals, progress)
    cal = fit_on_pages(doc, seed)
    cal.save(out)
    cal.path = out
    return cal, {**cal.info, "pages": len(doc["pages"]), "seconds": doc["seconds"]}
