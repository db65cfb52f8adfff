"""Evaluation: the benchmark protocol, scores and peer systems."""
