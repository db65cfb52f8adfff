"""Model: byline's estimators (fit, predict, save, load), each refusing a file fitted on other
features: the pairwise classifier (same person or not), the merge model (one person behind
two names) and the audit calibration (a page holding 2+ people, a paper on the wrong one)."""

from byline.model.audit import Calibration, default_calibration_path, model_fingerprint
from byline.model.merge import MergeModel, default_merge_model_path
from byline.model.pairwise import PairwiseModel, default_model_path

__all__ = [
    "Calibration",
    "MergeModel",
    "PairwiseModel",
    "default_calibration_path",
    "default_merge_model_path",
    "default_model_path",
    "model_fingerprint",
]
