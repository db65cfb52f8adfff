"""Clustering scores: B³ and pairwise precision/recall/F1, micro and block-macro."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass


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
    )


def ambiguous_blocks(gold_by_block: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Blocks whose gold mentions belong to two or more persons."""
    return {b: dict(g) for b, g in gold_by_block.items() if len(set(g.values())) >= 2}


def group_by_block(labels: Mapping[str, str], block_of: Mapping[str, str]) -> dict[str, dict]:
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for m, label in labels.items():
        out[block_of[m]][m] = label
    return dict(out)
