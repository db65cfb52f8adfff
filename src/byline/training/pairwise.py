"""Fitting the pairwise model on train blocks and tuning its clustering thresholds on dev.

Training pairs are of two kinds:

- **gold pairs**: two gold-carrying mentions of one train name, labelled by gold. Gold comes
  from ORCID iDs and explicit ids, mostly several papers of one registered person, so these
  pairs teach that two mentions of a name are nearly always one person, even a common name
  with nothing in common.
- **pseudo-ambiguous pairs**: name A's mentions (a train name with gold) beside those of
  another train name B with A's family name and another given name (B's mentions renamed to
  A, features computed over the joined block), every A x B pair labelled two people. They
  cover what gold misses: the mentions without gold, and two people who share a common name.
  They are weighted by how common A's name is (``LibraryStats.name_sharing``), so that a
  rare name ("Thenmozhi Durairaj") learns almost nothing from them and a common one ("Haoyu
  Wang") a lot: names are shared in proportion to their commonness.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from byline.engine import Engine
from byline.evaluation.metrics import ambiguous_blocks, score
from byline.evaluation.protocol import blocks_in, gold_labels, heldout_corpus, scored_mentions
from byline.features.embeddings import DEFAULT_EMBEDDER
from byline.model.pairwise import PairwiseModel
from byline.names import fold
from byline.sources.records import Mention, Paper
from byline.store import Store
from byline.store.corpus import Corpus

Progress = Callable[[str, int, int], None]
THRESHOLDS = tuple(round(float(x), 3) for x in np.arange(0.3, 1.001, 0.05))
LINK_THRESHOLDS = (0.9, 0.95, 0.97, 0.98, 0.99, 0.995)
MAX_PAIRS_PER_BLOCK = 3000
# Tuning keeps the all-names B³ F1 within this of its best on dev (see tune_threshold).
ALL_SLACK = 0.001
# Pairs from names that gold shows to be shared by several people weigh more: they are
# where a split decision is made, and few of them exist next to one-person names.
AMBIGUOUS_WEIGHT = 20.0
# Pseudo-ambiguous names: pairs drawn per name, the weight of one pair at full commonness,
# and the name sharing at which half of it applies (weight x sharing / (sharing + scale)).
# Chosen out of fold on train names and on dev (bench/cluster_oof.py).
PSEUDO_PAIRS_PER_NAME = 100
PSEUDO_WEIGHT = 0.3
PSEUDO_SHARING_SCALE = 0.1
# A partner name has between half and twice as many mentions as the name itself.
PSEUDO_SIZE_RATIO = 2.0

Rows = tuple[np.ndarray, np.ndarray, np.ndarray]


def training_pairs(
    engine: Engine,
    gold: dict[str, str],
    rng: np.random.Generator,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Feature rows, labels and weights of every train name's gold pairs, then of the
    pseudo-ambiguous pairs of those names (partners from all train names)."""
    blocks = scored_mentions(engine.corpus, gold, "train")
    blocks = {b: ms for b, ms in blocks.items() if len(ms) >= 2}
    train_names = blocks_in(engine.corpus, "train")
    wanted = {m.paper_id for slug in train_names for m in engine.corpus.blocks[slug]}
    engine.prepare_papers(wanted, progress=lambda d, n: progress and progress("embed", d, n))
    parts = name_rows(
        engine, gold, blocks, PartnerNames(engine.corpus, train_names), rng, progress=progress
    )
    Xs, ys, ws = zip(*parts, strict=True)
    return np.concatenate(Xs), np.concatenate(ys), np.concatenate(ws), len(blocks)


def name_rows(
    engine: Engine,
    gold: dict[str, str],
    blocks: Mapping[str, list[str]],
    partners: PartnerNames,
    rng: np.random.Generator,
    features: Mapping[str, np.ndarray] | None = None,
    progress: Progress | None = None,
) -> list[Rows]:
    """The training rows of some train names (``{slug: its gold mention ids}``), in slug
    order: each name's gold pairs, then the pseudo-ambiguous pairs of each name. A name's
    features are computed over its whole block (chain features depend on every mention of
    the name, as at prediction time) unless given in ``features``."""
    parts = []
    for i, slug in enumerate(sorted(blocks)):
        block = engine.corpus.blocks[slug]
        X = features[slug] if features is not None else engine.features(block)
        parts.append(block_training_pairs(X, block, blocks[slug], gold, rng))
        if progress:
            progress("pairs", i + 1, len(blocks))
    parts.extend(pseudo_training_pairs(engine, sorted(blocks), partners, rng, progress))
    return parts


class PartnerNames:
    """Candidate partners of pseudo-ambiguous names: names with the same (folded) family
    name and a given name that is neither the other's prefix nor an initial.

    Attributes:
        corpus: the library.
        by_family: folded family name -> name slugs (sorted).
    """

    def __init__(self, corpus: Corpus, slugs: Iterable[str]) -> None:
        self.corpus = corpus
        self.by_family: dict[str, list[str]] = {}
        for slug in sorted(slugs):
            first = fold(corpus.blocks[slug][0].first)
            if len(first) >= 3 and "." not in first:
                self.by_family.setdefault(fold(corpus.blocks[slug][0].last), []).append(slug)

    def of(self, slug: str) -> list[str]:
        """The partner candidates of one name (of a similar number of mentions)."""
        block = self.corpus.blocks[slug]
        first, n = fold(block[0].first), len(block)
        out = []
        for other in self.by_family.get(fold(block[0].last), ()):
            o_first = fold(self.corpus.blocks[other][0].first)
            if other == slug or o_first.startswith(first) or first.startswith(o_first):
                continue
            if o_first.replace(" ", "") == first.replace(" ", ""):
                continue
            size = len(self.corpus.blocks[other])
            if size > PSEUDO_SIZE_RATIO * max(n, 2) or size * PSEUDO_SIZE_RATIO < n:
                continue
            out.append(other)
        return out


def pseudo_ambiguous_block(
    corpus: Corpus, name: str, partner: str
) -> tuple[list[Mention], Mapping[str, Paper], int]:
    """The mentions of ``name`` followed by those of ``partner`` renamed to ``name`` (papers
    that ``name`` is on left out), the papers as the renamed mentions see them, and how many
    of the mentions are ``name``'s own."""
    own = corpus.blocks[name]
    first, last = own[0].first, own[0].last
    own_papers = {m.paper_id for m in own}
    changed: dict[str, Paper] = {}
    renamed = []
    for m in corpus.blocks[partner]:
        if m.paper_id in own_papers:
            continue
        r = dataclasses.replace(m, first=first, last=last, variant=None)
        paper = corpus.papers[m.paper_id]
        changed[m.paper_id] = dataclasses.replace(
            paper, authors=[r if a.position == m.position else a for a in paper.authors]
        )
        renamed.append(r)
    return list(own) + renamed, ChainMap(changed, corpus.papers), len(own)


def pseudo_training_pairs(
    engine: Engine,
    names: list[str],
    partners: PartnerNames,
    rng: np.random.Generator,
    progress: Progress | None = None,
) -> list[Rows]:
    """Two-people pairs of each name with one partner drawn from ``partners`` (where it has
    one): up to ``PSEUDO_PAIRS_PER_NAME`` pairs, weighted by the name's commonness."""
    stats = engine.stats
    out = []
    for i, name in enumerate(names):
        candidates = partners.of(name)
        if candidates:
            partner = candidates[int(rng.integers(len(candidates)))]
            mentions, papers, k = pseudo_ambiguous_block(engine.corpus, name, partner)
            n = len(mentions)
            if n > k:
                X = engine.features(mentions, papers)
                a = np.repeat(np.arange(k), n - k)
                b = np.tile(np.arange(k, n), k)
                pick = np.arange(len(a))
                if len(pick) > PSEUDO_PAIRS_PER_NAME:
                    pick = np.sort(rng.choice(pick, PSEUDO_PAIRS_PER_NAME, replace=False))
                sharing = stats.name_sharing(mentions[0].first, mentions[0].last)
                weight = PSEUDO_WEIGHT * sharing / (sharing + PSEUDO_SHARING_SCALE)
                out.append(
                    (
                        X[_pair_rows(n, a[pick], b[pick])],
                        np.zeros(len(pick), dtype=np.int8),
                        np.full(len(pick), weight, dtype=np.float32),
                    )
                )
        if progress:
            progress("pseudo", i + 1, len(names))
    return out


def block_training_pairs(
    X: np.ndarray,
    block: list[Mention],
    mids: list[str],
    gold: dict[str, str],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows, labels and weights of one block's gold pairs (``mids``), given the
    features ``X`` of the whole block: pairs on one paper left out, at most
    ``MAX_PAIRS_PER_BLOCK`` drawn, names with several gold persons weighted up."""
    ids = set(mids)
    at = np.array([i for i, m in enumerate(block) if m.mention_id in ids])
    mentions = [block[i] for i in at]
    iu = np.triu_indices(len(mentions), 1)
    X = X[_pair_rows(len(block), at[iu[0]], at[iu[1]])]
    labels = np.array([gold[m.mention_id] for m in mentions], dtype=object)
    y = (labels[iu[0]] == labels[iu[1]]).astype(np.int8)
    same_paper = np.array(
        [mentions[a].paper_id == mentions[b].paper_id for a, b in zip(*iu, strict=True)]
    )
    keep = np.flatnonzero(~same_paper)
    if len(keep) > MAX_PAIRS_PER_BLOCK:
        keep = np.sort(rng.choice(keep, MAX_PAIRS_PER_BLOCK, replace=False))
    weight = AMBIGUOUS_WEIGHT if len(set(labels)) > 1 else 1.0
    return X[keep], y[keep], np.full(len(keep), weight, dtype=np.float32)


def _pair_rows(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row of pair (a, b), a < b, in ``np.triu_indices(n, 1)`` order."""
    return a * n - a * (a + 1) // 2 + (b - a - 1)


def tune_threshold(
    engine: Engine,
    gold: dict[str, str],
    partition: str = "dev",
    progress: Progress | None = None,
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """The thresholds with the best B³ F1 on ambiguous names among those that give back at
    most ``ALL_SLACK`` of the best B³ F1 on all names (ambiguous names are won without
    giving back the rest), on a benchmark partition."""
    blocks = scored_mentions(engine.corpus, gold, partition)
    gold_by_block = {b: {m: gold[m] for m in ms} for b, ms in blocks.items()}
    amb = ambiguous_blocks(gold_by_block)
    probs = engine.block_probabilities(sorted(blocks), progress)
    curve = []
    for link in LINK_THRESHOLDS:
        for t in THRESHOLDS:
            pred = engine.cluster_blocks(probs, t, link)
            a, s = score(amb, pred), score(gold_by_block, pred)
            curve.append(
                {
                    "link_threshold": link,
                    "threshold": t,
                    "ambiguous_b3_f1": a.b3_f1,
                    "all_b3_f1": s.b3_f1,
                }
            )
    top_all = max(r["all_b3_f1"] for r in curve)
    allowed = [r for r in curve if r["all_b3_f1"] >= top_all - ALL_SLACK]
    best = max(allowed, key=lambda r: (r["ambiguous_b3_f1"], r["all_b3_f1"]))
    return best, curve


def train(
    corpus: Corpus,
    store: Store,
    out: Path,
    metrics_out: Path,
    seed: int = 13,
    progress: Progress | None = None,
    embedder: str = DEFAULT_EMBEDDER,
) -> tuple[PairwiseModel, dict[str, Any]]:
    t0 = time.perf_counter()
    gold = gold_labels(corpus)
    masked = heldout_corpus(corpus, gold)
    engine = Engine(masked, None, store, embedder=embedder)
    rng = np.random.default_rng(seed)
    X, y, w, nblocks = training_pairs(engine, gold, rng, progress)
    t_pairs = time.perf_counter()
    model = PairwiseModel(seed=seed, embedder=embedder).fit(X, y, w)
    t_fit = time.perf_counter()
    engine.model = model
    best, curve = tune_threshold(engine, gold, "dev", progress)
    model.threshold = float(best["threshold"])
    model.link_threshold = float(best["link_threshold"])
    # the date, the seed and the trees' fingerprint: two retrains of one day that fit other
    # trees (new features, another machine) get other names
    model.version = f"lgbm-{time.strftime('%Y%m%d')}-s{seed}-{model.fingerprint()[:8]}"
    metrics = {
        "version": model.version,
        "seed": seed,
        "embedder": embedder,
        "train_blocks": nblocks,
        "train_pairs": int(len(y)),
        "train_positive_rate": float(y.mean()),
        "threshold": model.threshold,
        "link_threshold": model.link_threshold,
        "dev_curve": curve,
        "dev_at_threshold": best,
        "feature_gain": model.feature_importance(),
        "seconds": {
            "pairs": round(t_pairs - t0, 1),
            "fit": round(t_fit - t_pairs, 1),
            "tune": round(time.perf_counter() - t_fit, 1),
        },
    }
    model.info = {k: metrics[k] for k in ("train_blocks", "train_pairs", "dev_at_threshold")}
    model.save(out)
    metrics_out.parent.mkdir(parents=True, exist_ok=True)
    metrics_out.write_text(json.dumps(metrics, indent=2) + "\n")
    return model, metrics
