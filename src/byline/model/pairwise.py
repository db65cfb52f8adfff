"""LightGBM pairwise classifier: P(two mentions of one name are one person)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from byline.features.embeddings import DEFAULT_EMBEDDER, LEGACY_EMBEDDER
from byline.features.pairwise import FEATURES
from byline.model.booster import BoosterModel

_HOW = "run `byline train` to build one"

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
}


# Pairs with a shared co-author or the same affiliation are chained from this P(same) on.
# On train (out-of-fold) and dev blocks any value from 0.3 to 0.9 gives the same clusters
# (such pairs below 0.9 are rare); it matters where priors mislead, as in a tiny library.
EVIDENCE_THRESHOLD = 0.5

# Two chained groups that evidence says are two people (affiliations of one year that
# differ) merge in average linkage only from this mean P(same) on: noisy affiliation
# records then no longer split one person whose groups the model is sure of (dev: lei-li,
# tong-zhang; train: tian-lan), while two people with a merely likely mean stay apart.
# Chosen on dev with bench/split_quality (five seeds); out of fold it changes nothing.
CONFLICT_THRESHOLD = 0.5


def default_model_path() -> Path:
    """The shipped model, inside the package."""
    return PairwiseModel.default_path()


@dataclass
class PairwiseModel(BoosterModel):
    """P(two mentions of one name are one person), plus what clustering needs.

    Attributes:
        threshold: the average-linkage merge threshold on P(same).
        link_threshold: the chaining threshold (``None``: no chaining stage).
        evidence_threshold: the chaining threshold of pairs with direct evidence, which are
            chained first.
        conflict_threshold: the mean P(same) from which average linkage merges two groups
            that evidence says are two people (``None``: never; models saved before it).
        embedder: the title embedder whose vectors the ``embedding_cosine`` feature was
            trained on (:data:`byline.features.embeddings.EMBEDDERS`).
        (and those of :class:`~byline.model.booster.BoosterModel`)
    """

    FEATURES: ClassVar[tuple[str, ...]] = FEATURES
    PARAMS: ClassVar[dict[str, Any]] = PARAMS
    FILE: ClassVar[str] = "pairwise.txt"
    HOW: ClassVar[str] = _HOW

    num_rounds: int = 400
    link_threshold: float | None = 0.98
    evidence_threshold: float | None = EVIDENCE_THRESHOLD
    conflict_threshold: float | None = CONFLICT_THRESHOLD
    embedder: str = DEFAULT_EMBEDDER

    def _extra_meta(self) -> dict[str, Any]:
        return {
            "link_threshold": self.link_threshold,
            "evidence_threshold": self.evidence_threshold,
            "conflict_threshold": self.conflict_threshold,
            "embedder": self.embedder,
        }

    @classmethod
    def _from_meta(cls, meta: dict[str, Any]) -> dict[str, Any]:
        return {
            "link_threshold": meta.get("link_threshold"),
            "evidence_threshold": meta.get("evidence_threshold", EVIDENCE_THRESHOLD),
            "conflict_threshold": meta.get("conflict_threshold"),
            "embedder": meta.get("embedder", LEGACY_EMBEDDER),
        }
