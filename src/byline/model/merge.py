"""LightGBM merge model: P(two units, persons under different names, are one person).

Its feature rows are computed by ``byline.tasks.merge.pair_features`` from the two units
(the mention-pair probabilities of the pairwise model, the name evidence of
``byline.features.name_match``, shared co-authors, venues, years, name frequencies), in the
order of ``MERGE_FEATURES``; ``byline train --merge`` fits it (``byline.training.merge``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from byline.features.name_match import KIND_TEXT
from byline.model.booster import BoosterModel

# kinds of name variation (``NameMatch.kinds``), one 0/1 column each
KINDS: tuple[str, ...] = tuple(KIND_TEXT)
MERGE_FEATURES: tuple[str, ...] = (
    "p_mean",
    "p_max",
    "p_top3",
    "coauthors_shared",
    "aff_shared",
    "venue_shared",
    "year_gap",
    "embedding_cosine",
    "name_similarity",
    *(f"kind_{k}" for k in KINDS),
    "size_min_log",
    "size_max_log",
    "first_freq",
    "last_freq",
    "partners_log",
    "initials_only",
)

MERGE_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
}


def default_merge_model_path() -> Path:
    """The shipped merge model, inside the package."""
    return MergeModel.default_path()


@dataclass
class MergeModel(BoosterModel):
    """P(two units are one person) from their pair features, and the threshold to accept.

    Attributes: those of :class:`~byline.model.booster.BoosterModel`; ``threshold`` is the
    score from which a candidate is accepted (tuned on dev).
    """

    FEATURES: ClassVar[tuple[str, ...]] = MERGE_FEATURES
    PARAMS: ClassVar[dict[str, Any]] = MERGE_PARAMS
    FILE: ClassVar[str] = "merge.txt"
    HOW: ClassVar[str] = "run `byline train --merge` to build one"
