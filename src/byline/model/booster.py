"""Fitting, saving and loading the LightGBM boosters byline ships (pairwise, merge)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from byline.errors import BylineError


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
