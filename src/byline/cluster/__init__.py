"""Cluster: turn pairwise probabilities into persons, honouring hard constraints."""

from byline.cluster.constrained import Constraints, cluster_block, pair_matrix

__all__ = ["Constraints", "cluster_block", "pair_matrix"]
