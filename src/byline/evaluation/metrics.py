"""Clustering scores: B³ and pairwise precision/recall/F1, micro and block-macro, and paper
moves (the maintainer's work left to turn a proposal into the gold split)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass
class Scores:
    blocks: int
    mentions: int
    b3_precision: float
    b3_recall: float
    b3_f1: float
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    block_macro_b3_f1: float
    paper_moves: int = 0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _block_counts(gold: Mapping[str, str], pred: Mapping[str, str]):  # type: ignore[no-untyped-def]
    """Per mention: size of its gold cluster, predicted cluster and their overlap."""
    joint = Counter((gold[m], pred[m]) for m in gold)
    g = Counter(gold[m] for m in gold)
    p = Counter(pred[m] for m in gold)
    return joint, g, p


def paper_moves(gold: Mapping[str, str], pred: Mapping[str, str]) -> int:
    """How many of one block's scored mentions a maintainer must move to turn the predicted
    persons into the gold ones: the scored mentions minus those kept by the best one-to-one
    matching of predicted to gold persons (a mention missing from ``pred`` is a singleton)."""
    if not gold:
        return 0
    golds = sorted(set(gold.values()))
    preds = sorted({pred.get(m, f"__singleton__{m}") for m in gold})
    gi = {g: i for i, g in enumerate(golds)}
    pi = {p: i for i, p in enumerate(preds)}
    table = np.zeros((len(preds), len(golds)), dtype=np.int64)
    for m, g in gold.items():
        table[pi[pred.get(m, f"__singleton__{m}")], gi[g]] += 1
    rows, cols = linear_sum_assignment(table, maximize=True)
    return len(gold) - int(table[rows, cols].sum())


def score(
    gold_by_block: Mapping[str, Mapping[str, str]],
    pred: Mapping[str, str],
) -> Scores:
    """Score predictions restricted to gold-carrying mentions, block by block.

    ``gold_by_block``: ``{block: {mention_id: gold label}}``; ``pred``: ``{mention_id:
    predicted person}`` (a mention missing from ``pred`` counts as a singleton).
    """
    sum_p = sum_r = 0.0
    n = 0
    tp = pred_pairs = gold_pairs = 0
    macro: list[float] = []
    moves = 0
    for gold in gold_by_block.values():
        if not gold:
            continue
        bpred = {m: pred.get(m, f"__singleton__{m}") for m in gold}
        joint, g, p = _block_counts(gold, bpred)
        bp = sum(joint[(gold[m], bpred[m])] / p[bpred[m]] for m in gold)
        br = sum(joint[(gold[m], bpred[m])] / g[gold[m]] for m in gold)
        sum_p += bp
        sum_r += br
        n += len(gold)
        macro.append(_f1(bp / len(gold), br / len(gold)))
        tp += sum(c * (c - 1) // 2 for c in joint.values())
        pred_pairs += sum(c * (c - 1) // 2 for c in p.values())
        gold_pairs += sum(c * (c - 1) // 2 for c in g.values())
        moves += paper_moves(gold, bpred)
    b3p = sum_p / n if n else 0.0
    b3r = sum_r / n if n else 0.0
    pp = tp / pred_pairs if pred_pairs else 1.0
    pr = tp / gold_pairs if gold_pairs else 1.0
    return Scores(
        blocks=len(macro),
        mentions=n,
        b3_precision=b3p,
        b3_recall=b3r,
        b3_f1=_f1(b3p, b3r),
        pairwise_precision=pp,
        pairwise_recall=pr,
        pairwise_f1=_f1(pp, pr),
        block_macro_b3_f1=sum(macro) / len(macro) if macro else 0.0,
        paper_moves=moves,
    )


def ambiguous_blocks(gold_by_block: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Blocks whose gold mentions belong to two or more persons."""
    return {b: dict(g) for b, g in gold_by_block.items() if len(set(g.values())) >= 2}


def per_block_b3_f1(
    gold_by_block: Mapping[str, Mapping[str, str]], pred: Mapping[str, str]
) -> dict[str, float]:
    """B³ F1 of each block on its own."""
    return {b: score({b: g}, pred).b3_f1 for b, g in gold_by_block.items()}


def compare_blocks(
    gold_by_block: Mapping[str, Mapping[str, str]],
    ours: Mapping[str, str],
    theirs: Mapping[str, str],
    tolerance: float = 1e-9,
) -> dict[str, list[tuple[str, float, float]]]:
    """Blocks where ``ours`` scores a higher (``wins``) or lower (``losses``) B³ F1 than
    ``theirs``, as ``(block, ours, theirs)``, the largest difference first."""
    a, b = per_block_b3_f1(gold_by_block, ours), per_block_b3_f1(gold_by_block, theirs)
    rows = [(blk, a[blk], b[blk]) for blk in sorted(gold_by_block)]
    wins = sorted((r for r in rows if r[1] > r[2] + tolerance), key=lambda r: r[2] - r[1])
    losses = sorted((r for r in rows if r[1] < r[2] - tolerance), key=lambda r: r[1] - r[2])
    return {"wins": wins, "losses": losses}


def group_by_block(labels: Mapping[str, str], block_of: Mapping[str, str]) -> dict[str, dict]:
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for m, label in labels.items():
        out[block_of[m]][m] = label
    return dict(out)
