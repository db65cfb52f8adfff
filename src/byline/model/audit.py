"""The audit calibration: P(a page holds 2+ people) and P(a paper sits on the wrong person)
from the raw signals of a split page.

The signals (``PAGE_FEATURES``, ``PAPER_FEATURES``) are computed by
``byline.tasks.audit.page_signals`` from the pairwise probabilities and the split of one
page, so a calibration is valid for one pairwise model only: it records the feature names
and the pairwise model's fingerprint it was fitted on, and refuses another. ``byline train
--audit`` fits it (``byline.training.audit``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from byline.errors import BylineError
from byline.model.booster import shipped_path
from byline.model.pairwise import PairwiseModel

PAGE_FEATURES = ("top_cut_logit", "isolated_logit", "split", "outside_log", "size_log")
PAPER_FEATURES = ("to_majority_logit", "best_to_majority_logit", "outside_majority", "page_logit")
HOW = "run `byline train --audit` to fit it"
_EPS = 1e-4


def default_calibration_path() -> Path:
    """The shipped calibration, beside the shipped pairwise model."""
    return shipped_path("audit-calibration.json")


def model_fingerprint(model: PairwiseModel) -> str:
    """A short hash of the pairwise model's trees: a calibration is only valid for the model
    it was fitted on (retraining keeps the version string when date and seed are equal)."""
    return model.fingerprint()


def logit(p: np.ndarray | float) -> np.ndarray:
    """log(p / (1 - p)), with p clipped away from 0 and 1."""
    q = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(q / (1.0 - q))


@dataclass
class Calibration:
    """Two logistic regressions over the raw signals, fitted on train blocks.

    Attributes:
        page_coef: page weights, one per ``PAGE_FEATURES``.
        page_intercept: page intercept.
        paper_coef: paper weights, one per ``PAPER_FEATURES`` (the last is the page's logit).
        paper_intercept: paper intercept.
        model_version: version of the pairwise model the signals came from.
        model_fingerprint: fingerprint of that model (:func:`model_fingerprint`).
        info: what the fit saw (rows, positives, seed).
        page_features: the page signal names it was fitted on.
        paper_features: the paper signal names it was fitted on.
        path: the file it was loaded from (not saved).
    """

    page_coef: list[float]
    page_intercept: float
    paper_coef: list[float]
    paper_intercept: float
    model_version: str = ""
    model_fingerprint: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    page_features: list[str] = field(default_factory=lambda: list(PAGE_FEATURES))
    paper_features: list[str] = field(default_factory=lambda: list(PAPER_FEATURES))
    path: Path | None = field(default=None, compare=False, repr=False)

    def page_proba(self, X: np.ndarray) -> np.ndarray:
        """P(page holds 2+ people) per row of page signals."""
        z = np.atleast_2d(X) @ np.asarray(self.page_coef) + self.page_intercept
        return 1.0 / (1.0 + np.exp(-z))

    def paper_proba(self, X: np.ndarray, page_p: float) -> np.ndarray:
        """P(paper not with the page's majority person) per row of paper signals (all but
        the page column), given the page's calibrated probability."""
        X = np.atleast_2d(X)
        full = np.column_stack([X, np.full(len(X), float(logit(page_p)))])
        z = full @ np.asarray(self.paper_coef) + self.paper_intercept
        return 1.0 / (1.0 + np.exp(-z))

    def check(self, model: PairwiseModel) -> None:
        """Refuse (:class:`BylineError`) to calibrate another pairwise model's signals."""
        fingerprint = model_fingerprint(model)
        if self.model_fingerprint != fingerprint:
            where = self.path or "the audit calibration"
            raise BylineError(
                f"{where} was fitted for pairwise model "
                f"{self.model_fingerprint or '(none recorded)'}, not for the one in use "
                f"({model.version}, {fingerprint}); {HOW} for this model"
            )

    def save(self, path: Path) -> None:
        """As JSON (coefficients, model fingerprint, info, feature names)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "page_coef": self.page_coef,
            "page_intercept": self.page_intercept,
            "paper_coef": self.paper_coef,
            "paper_intercept": self.paper_intercept,
            "model_version": self.model_version,
            "model_fingerprint": self.model_fingerprint,
            "info": self.info,
            "page_features": list(self.page_features),
            "paper_features": list(self.paper_features),
        }
        path.write_text(json.dumps(doc, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path | None = None, model: PairwiseModel | None = None) -> Calibration:
        """The calibration at ``path`` (default: shipped), refused if fitted on other
        signals, or (given ``model``) for another pairwise model."""
        path = path or default_calibration_path()
        if not path.is_file():
            raise BylineError(f"{path}: no audit calibration; {HOW}")
        doc = json.loads(path.read_text())
        if doc.get("page_features") != list(PAGE_FEATURES) or doc.get("paper_features") != list(
            PAPER_FEATURES
        ):
            raise BylineError(
                f"{path} was fitted on other signals than this byline computes; {HOW} again"
            )
        cal = cls(
            page_coef=[float(x) for x in doc["page_coef"]],
            page_intercept=float(doc["page_intercept"]),
            paper_coef=[float(x) for x in doc["paper_coef"]],
            paper_intercept=float(doc["paper_intercept"]),
            model_version=str(doc.get("model_version", "")),
            model_fingerprint=str(doc.get("model_fingerprint", "")),
            info=doc.get("info", {}),
            path=path,
        )
        if model is not None:
            cal.check(model)
        return cal


def fit_calibration(
    page_X: np.ndarray,
    page_y: np.ndarray,
    paper_X: np.ndarray,
    paper_page_p: np.ndarray,
    paper_y: np.ndarray,
    model_version: str = "",
    fingerprint: str = "",
    seed: int = 13,
    C: float = 1.0,
) -> Calibration:
    """Fit both logistic calibrations (``paper_X`` without the page column, which is
    ``paper_page_p``: the calibrated page probability of each paper's page)."""
    from sklearn.linear_model import LogisticRegression

    for name, y in (("page", page_y), ("paper", paper_y)):
        if len(np.unique(y)) < 2:
            raise BylineError(f"audit calibration: the {name} labels hold only one class")
    page = LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(page_X, page_y)
    full = np.column_stack([paper_X, logit(paper_page_p)])
    paper = LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(full, paper_y)
    return Calibration(
        page_coef=[float(x) for x in page.coef_[0]],
        page_intercept=float(page.intercept_[0]),
        paper_coef=[float(x) for x in paper.coef_[0]],
        paper_intercept=float(paper.intercept_[0]),
        model_version=model_version,
        model_fingerprint=fingerprint,
        info={
            "seed": seed,
            "C": C,
            "page_rows": int(len(page_y)),
            "page_positives": int(page_y.sum()),
            "paper_rows": int(len(paper_y)),
            "paper_positives": int(paper_y.sum()),
        },
    )
