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


def test_compiled_forest_predicts_as_lightgbm(tmp_path: Path) -> None:
    """split --all's compiled forest (lleaves): LightGBM's P to float32, compiled once per
    machine (a second compile loads the cache), never pickled, and NaN features as LightGBM
    treats them."""
    import pickle

    from byline.model import PairwiseModel
    from byline.model.booster import compile_booster

    X, y = _data()
    b = fit_booster(X, y, FEATURES, PARAMS, seed=1, num_rounds=30)
    X[::7, 1] = np.nan  # missing values take LightGBM's default branches
    forest = compile_booster(b, tmp_path)
    assert forest is not None
    assert np.array_equal(predict(b, X, "train it", forest), predict(b, X, "train it"))
    cached = sorted(p.name for p in (tmp_path / "compiled").iterdir())
    assert [p.rsplit(".", 1)[1] for p in cached] == ["bin", "txt"]
    again = compile_booster(b, tmp_path)
    assert np.array_equal(again.predict(X.astype(np.float64)), forest.predict(X))
    assert sorted(p.name for p in (tmp_path / "compiled").iterdir()) == cached
    model = PairwiseModel.load()
    assert model.compile(tmp_path)
    assert pickle.loads(pickle.dumps(model)).compiled is None


def test_compiled_forest_falls_back_to_lightgbm(tmp_path: Path) -> None:
    """A cache folder that cannot be written: no compiled forest, LightGBM predicts."""
    from byline.model.booster import compile_booster

    X, y = _data()
    b = fit_booster(X, y, FEATURES, PARAMS, seed=1, num_rounds=5)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert compile_booster(b, blocker) is None
