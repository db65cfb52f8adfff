"""The LightGBM boosters byline ships (pairwise, merge): one base for fit, predict, save, load.

A booster file is LightGBM text (``<name>.txt``) with its metadata beside it as JSON
(``<name>.json``): the feature list it was fitted on, its threshold, version, seed and what
the fit saw. Loading refuses a file fitted on other features than this byline computes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, ClassVar, Self

import lightgbm as lgb
import numpy as np

from byline.errors import BylineError
from byline.machine_cache import machine_cache_dir

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
log = logging.getLogger(__name__)


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


def predict(
    booster: lgb.Booster | None, X: np.ndarray, how_to_build: str, compiled: Any = None
) -> np.ndarray:
    """P(positive) per row, float32: by the compiled forest when given
    (:func:`compile_booster`), else by LightGBM."""
    if booster is None:
        raise BylineError(f"the model is not trained; {how_to_build}")
    if len(X) == 0:
        return np.zeros(0, dtype=np.float32)
    if compiled is not None:
        return np.asarray(compiled.predict(np.asarray(X, dtype=np.float64), n_jobs=1), np.float32)
    return np.asarray(booster.predict(X, num_threads=1), dtype=np.float32)


def compile_booster(booster: lgb.Booster, cache_dir: Path | None = None) -> Any:
    """The booster compiled to machine code by lleaves (LLVM), for bulk prediction: about
    8x LightGBM's speed on one core, the same P(same) to float32 on every pair of the
    Anthology (``bench/split_identity.py``; double sums of the trees agree to ~1e-15).

    The compiled code is cached per trees, lleaves and llvmlite version and machine in
    :func:`~byline.machine_cache.machine_cache_dir` (written under a temporary name, then
    renamed), so only the first run on a machine pays the compilation (about 8 s for the
    pairwise model).
    ``None`` when lleaves is not installed or fails: callers then predict with LightGBM.
    """
    try:
        import lleaves
    except ImportError:  # pragma: no cover - a dependency; kept optional at run time
        return None
    text = booster.model_to_string()
    key = "-".join(
        [
            hashlib.sha1(text.encode()).hexdigest()[:16],
            f"lleaves{package_version('lleaves')}",
            f"llvmlite{package_version('llvmlite')}",
            platform.machine(),
        ]
    )
    folder = (cache_dir or machine_cache_dir()) / "compiled"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        model_file = folder / f"{key}.txt"
        binary = folder / f"{key}.bin"
        if not model_file.exists():
            tmp = model_file.with_name(f"{model_file.name}.{os.getpid()}.part")
            tmp.write_text(text)
            tmp.replace(model_file)
        forest = lleaves.Model(model_file=str(model_file))
        if binary.exists():
            forest.compile(cache=str(binary), finline=False)
        else:
            tmp = binary.with_name(f"{binary.name}.{os.getpid()}.part")
            forest.compile(cache=str(tmp), finline=False)
            tmp.replace(binary)
        return forest
    except Exception as exc:  # noqa: BLE001 - any failure falls back to LightGBM
        log.warning("lleaves could not compile the model (%s); predicting with LightGBM", exc)
        return None


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
    compiled: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        # compiled machine code does not pickle: a worker compiles (or loads) its own
        return {**self.__dict__, "compiled": None}

    @classmethod
    def default_path(cls) -> Path:
        """The shipped model file of this kind."""
        return shipped_path(cls.FILE)

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Self:
        """Fit on the rows of ``X`` (columns: ``FEATURES``), seeded and deterministic."""
        self.booster = fit_booster(
            X, y, self.FEATURES, self.PARAMS, self.seed, self.num_rounds, sample_weight
        )
        self.compiled = None
        return self

    def compile(self, cache_dir: Path | None = None) -> bool:
        """Predict by the compiled forest from now on (:func:`compile_booster`): for bulk
        runs such as ``split --all``; whether it could be compiled (else LightGBM stays)."""
        if self.compiled is None and self.booster is not None:
            self.compiled = compile_booster(self.booster, cache_dir)
        return self.compiled is not None

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(positive) for each row of a feature matrix (columns: ``FEATURES``)."""
        if self.booster is not None and len(X) and np.shape(X)[1] != len(self.FEATURES):
            raise BylineError(
                f"{type(self).__name__} takes {len(self.FEATURES)} features, got "
                f"{np.shape(X)[1]}; {self.HOW}"
            )
        return predict(self.booster, X, self.HOW, self.compiled)

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
