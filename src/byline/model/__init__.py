"""Model: the pairwise classifier (same person or not) and its training."""

from byline.model.pairwise import PairwiseModel, default_model_path

__all__ = ["PairwiseModel", "default_model_path"]
