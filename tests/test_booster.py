"""Shipped boosters: seeded fits, save/load round trip, refusal of foreign or missing files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from byline.errors import BylineError
from byline.model.booster import fit_booster, load_booster, predict, save_booster

FEATURES = ("a", "b")
PARAMS = {
    "objective": "binary",
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "min_data_in_leaf": 2,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
}


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int)


def test_fit_is_seeded_and_round_trips(tmp_path: Path) -> None:
    X, y = _data()
    b1 = fit_booster(X, y, FEATURES, PARAMS, seed=3, num_rounds=20)
    b2 = fit_booster(X, y, FEATURES, PARAMS, seed=3, num_rounds=20)
    p = predict(b1, X, "train it")
    assert np.array_equal(p, predict(b2, X, "train it"))
    assert ((p > 0.5) == y.astype(bool)).mean() > 0.9
    save_booster(tmp_path / "m.txt", b1, {"features": list(FEATURES), "threshold": 0.7})
    loaded, meta = load_booster(tmp_path / "m.txt", FEATURES, "train it")
    assert meta["threshold"] == 0.7
    assert np.allclose(predict(loaded, X, "train it"), p)


def test_refusals(tmp_path: Path) -> None:
    X, y = _data()
    with pytest.raises(BylineError, match="both"):
        fit_booster(X, np.zeros_like(y), FEATURES, PARAMS, seed=0, num_rounds=5)
    with pytest.raises(BylineError, match="not trained; train it"):
        predict(None, X, "train it")
    with pytest.raises(BylineError, match="no model at"):
        load_booster(tmp_path / "none.txt", FEATURES, "train it")
    b = fit_booster(X, y, FEATURES, PARAMS, seed=0, num_rounds=5)
    save_booster(tmp_path / "m.txt", b, {"features": ["a", "c"]})
    with pytest.raises(BylineError, match="other features"):
        load_booster(tmp_path / "m.txt", FEATURES, "train it")
    assert json.loads((tmp_path / "m.json").read_text())["features"] == ["a", "c"]
