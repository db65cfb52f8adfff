"""LightGBM pairwise classifier: P(two mentions of one name are one person)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from byline.features.pairwise import FEATURES
from byline.model.booster import fit_booster, load_booster, predict, save_booster

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


def default_model_path() -> Path:
    """The shipped model, inside the package."""
    return Path(__file__).resolve().parent.parent / "models" / "pairwise.txt"


@dataclass
class PairwiseModel:
    """A fitted booster plus what clustering needs: the merge threshold and a version."""

    booster: lgb.Booster | None = None
    threshold: float = 0.5  # average-linkage merge threshold on P(same)
    link_threshold: float | None = 0.98  # chaining threshold (None: no chaining stage)
    # chaining threshold of pairs with direct evidence, which are chained first
    evidence_threshold: float | None = EVIDENCE_THRESHOLD
    version: str = "untrained"
    seed: int = 0
    num_rounds: int = 400
    info: dict[str, Any] = field(default_factory=dict)

    def fit(
        self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> PairwiseModel:
        self.booster = fit_booster(
            X, y, FEATURES, PARAMS, self.seed, self.num_rounds, sample_weight
        )
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(same person) for each row of a feature matrix."""
        return predict(self.booster, X, _HOW)

    def feature_importance(self) -> dict[str, float]:
        assert self.booster is not None
        gains = self.booster.feature_importance(importance_type="gain")
        return {n: float(g) for n, g in zip(FEATURES, gains, strict=True)}

    def save(self, path: str | Path) -> None:
        meta = {
            "threshold": self.threshold,
            "link_threshold": self.link_threshold,
            "evidence_threshold": self.evidence_threshold,
            "version": self.version,
            "seed": self.seed,
            "num_rounds": self.num_rounds,
            "features": list(FEATURES),
            "info": self.info,
        }
        save_booster(path, self.booster, meta)

    @classmethod
    def load(cls, path: str | Path | None = None) -> PairwiseModel:
        booster, meta = load_booster(Path(path) if path else default_model_path(), FEATURES, _HOW)
        return cls(
            booster=booster,
            threshold=float(meta["threshold"]),
            link_threshold=meta.get("link_threshold"),
            evidence_threshold=meta.get("evidence_threshold", EVIDENCE_THRESHOLD),
            version=str(meta["version"]),
            seed=int(meta.get("seed", 0)),
            num_rounds=int(meta.get("num_rounds", 0)),
            info=meta.get("info", {}),
        )
