"""LightGBM pairwise classifier: P(two mentions of one name are one person)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from byline.errors import BylineError
from byline.features.pairwise import FEATURES

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


def default_model_path() -> Path:
    """The shipped model, inside the package."""
    return Path(__file__).resolve().parent.parent / "models" / "pairwise.txt"


@dataclass
class PairwiseModel:
    """A fitted booster plus what clustering needs: the merge threshold and a version."""

    booster: lgb.Booster | None = None
    threshold: float = 0.5  # average-linkage merge threshold on P(same)
    link_threshold: float | None = 0.98  # chaining threshold (None: no chaining stage)
    version: str = "untrained"
    seed: int = 0
    num_rounds: int = 400
    info: dict[str, Any] = field(default_factory=dict)

    def fit(
        self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> PairwiseModel:
        if len(np.unique(y)) < 2:
            raise BylineError("training needs both same-person and different-person pairs")
        params = dict(
            PARAMS, seed=self.seed, bagging_seed=self.seed, feature_fraction_seed=self.seed
        )
        data = lgb.Dataset(
            X, label=y, weight=sample_weight, feature_name=list(FEATURES), free_raw_data=True
        )
        self.booster = lgb.train(params, data, num_boost_round=self.num_rounds)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(same person) for each row of a feature matrix."""
        if self.booster is None:
            raise BylineError("the pairwise model is not trained; run `byline train`")
        if len(X) == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.booster.predict(X, num_threads=1), dtype=np.float32)

    def feature_importance(self) -> dict[str, float]:
        assert self.booster is not None
        gains = self.booster.feature_importance(importance_type="gain")
        return {n: float(g) for n, g in zip(FEATURES, gains, strict=True)}

    def save(self, path: str | Path) -> None:
        assert self.booster is not None
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(path))
        meta = {
            "threshold": self.threshold,
            "link_threshold": self.link_threshold,
            "version": self.version,
            "seed": self.seed,
            "num_rounds": self.num_rounds,
            "features": list(FEATURES),
            "info": self.info,
        }
        path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path | None = None) -> PairwiseModel:
        path = Path(path) if path else default_model_path()
        meta_path = path.with_suffix(".json")
        if not path.exists() or not meta_path.exists():
            raise BylineError(f"no model at {path}; run `byline train` to build one")
        meta = json.loads(meta_path.read_text())
        if meta.get("features") != list(FEATURES):
            raise BylineError(
                f"{path} was trained on other features than this byline computes; "
                "run `byline train` again"
            )
        return cls(
            booster=lgb.Booster(model_file=str(path)),
            threshold=float(meta["threshold"]),
            link_threshold=meta.get("link_threshold"),
            version=str(meta["version"]),
            seed=int(meta.get("seed", 0)),
            num_rounds=int(meta.get("num_rounds", 0)),
            info=meta.get("info", {}),
        )
