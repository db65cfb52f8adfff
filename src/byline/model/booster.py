"""The LightGBM boosters byline ships (pairwise, merge): one base for fit, predict, save, load.

A booster file is LightGBM text (``<name>.txt``) with its metadata beside it as JSON
(``<name>.json``): the feature list it was fitted on, its threshold, version, seed and what
the fit saw. Loading refuses a file fitted on other features than this byline computes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import lightgbm as lgb
import numpy as np

from byline.errors import BylineError

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


def shipped_path(name: str) -> Path:
    """A model file shipped inside the package (``src/byline/models/<name>``)."""
    return MODELS_DIR / name


def fit_booster(
    X: np.ndarray,
    y: np.ndarray,
    features: Sequence[str],
    params: dict[str, Any],
    seed: int,
    num_rounds: int,
    sample_weight: np.ndarray | None = None,
) -> lgb.Booster:
    """A seeded, deterministic binary booster."""
    if len(np.unique(y)) < 2:
        raise BylineError("training needs both same-person and different-person pairs")
    params = dict(params, seed=seed, bagging_seed=seed, feature_fraction_seed=seed)
    data = lgb.Dataset(
        X, label=y, weight=sample_weight, feature_name=list(features), free_raw_data=True
    )
    return lgb.train(params, data, num_boost_round=num_rounds)


def predict(booster: lgb.Booster | None, X: np.ndarray, how_to_build: str) -> np.ndarray:
    """P(positive) per row, float32."""
    if booster is None:
        raise BylineError(f"the model is not trained; {how_to_build}")
    if len(X) == 0:
        return np.zeros(0, dtype=np.float32)
    return np.asarray(booster.predict(X, num_threads=1), dtype=np.float32)


def save_booster(path: str | Path, booster: lgb.Booster | None, meta: dict[str, Any]) -> None:
    """The booster as LightGBM text, and ``meta`` (features, thresholds...) beside it as JSON."""
    assert booster is not None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(path))
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")


def load_booster(
    path: Path, features: Sequence[str], how_to_build: str
) -> tuple[lgb.Booster, dict[str, Any]]:
    """The booster at ``path`` and its metadata, refused if built on other features."""
    meta_path = path.with_suffix(".json")
    if not path.exists() or not meta_path.exists():
        raise BylineError(f"no model at {path}; {how_to_build}")
    meta = json.loads(meta_path.read_text())
    if meta.get("features") != list(features):
        raise BylineError(
            f"{path} was trained on other features than this byline computes; {how_to_build}"
        )
    return lgb.Booster(model_file=str(path)), meta


def booster_fingerprint(booster: lgb.Booster) -> str:
    """A short hash of a booster's trees (a retrain can keep the version string)."""
    return hashlib.sha1(booster.model_to_string().encode()).hexdigest()[:12]


@dataclass
class BoosterModel:
    """A binary LightGBM estimator: fit, P(positive), save and load with its metadata.

    A subclass names its columns (``FEATURES``, recorded in its file and checked on load),
    its LightGBM ``PARAMS``, its shipped file (``FILE``) and what to run to build one
    (``HOW``); it adds fields of its own through ``_extra_meta`` / ``_from_meta``.

    Attributes:
        booster: the fitted LightGBM booster; ``None`` until fitted or loaded.
        threshold: the P(positive) from which a pair is accepted (or merged).
        version: a name of this fit.
        seed: the random seed of the fit.
        num_rounds: boosting rounds.
        info: what the fit saw (rows, tuning), saved with the model.
    """

    FEATURES: ClassVar[tuple[str, ...]] = ()
    PARAMS: ClassVar[dict[str, Any]] = {}
    FILE: ClassVar[str] = ""
    HOW: ClassVar[str] = "run `byline train` to build one"

    booster: lgb.Booster | None = None
    threshold: float = 0.5
    version: str = "untrained"
    seed: int = 0
    num_rounds: int = 200
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def default_path(cls) -> Path:
        """The shipped model file of this kind."""
        return shipped_path(cls.FILE)

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Self:
        """Fit on the rows of ``X`` (columns: ``FEATURES``), seeded and deterministic."""
        self.booster = fit_booster(
            X, y, self.FEATURES, self.PARAMS, self.seed, self.num_rounds, sample_weight
        )
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(positive) for each row of a feature matrix (columns: ``FEATURES``)."""
        if self.booster is not None and len(X) and np.shape(X)[1] != len(self.FEATURES):
            raise BylineError(
                f"{type(self).__name__} takes {len(self.FEATURES)} features, got "
                f"{np.shape(X)[1]}; {self.HOW}"
            )
        return predict(self.booster, X, self.HOW)

    def feature_importance(self) -> dict[str, float]:
        """Total gain of each feature."""
        assert self.booster is not None
        gains = self.booster.feature_importance(importance_type="gain")
        return {n: float(g) for n, g in zip(self.FEATURES, gains, strict=True)}

    def fingerprint(self) -> str:
        """A short hash of the fitted trees: what a model fitted on this one's output
        (the audit calibration) records, to refuse another."""
        assert self.booster is not None
        return booster_fingerprint(self.booster)

    def _extra_meta(self) -> dict[str, Any]:
        """A subclass's own fields, saved right after ``threshold``."""
        return {}

    @classmethod
    def _from_meta(cls, meta: dict[str, Any]) -> dict[str, Any]:
        """A subclass's own fields from its saved metadata."""
        return {}

    def save(self, path: str | Path) -> None:
        """The booster (LightGBM text) at ``path`` and its metadata beside it (JSON)."""
        meta = {
            "threshold": self.threshold,
            **self._extra_meta(),
            "version": self.version,
            "seed": self.seed,
            "num_rounds": self.num_rounds,
            "features": list(self.FEATURES),
            "info": self.info,
        }
        save_booster(path, self.booster, meta)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Self:
        """The model at ``path`` (default: shipped), refused if fitted on other features."""
        path = Path(path) if path else cls.default_path()
        booster, meta = load_booster(path, cls.FEATURES, cls.HOW)
        return cls(
            booster=booster,
            threshold=float(meta["threshold"]),
            version=str(meta["version"]),
            seed=int(meta.get("seed", 0)),
            num_rounds=int(meta.get("num_rounds", 0)),
            info=meta.get("info", {}),
            **cls._from_meta(meta),
        )
