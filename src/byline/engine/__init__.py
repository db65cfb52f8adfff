"""Engine: the per-block pipeline every task shares (features -> pairwise model ->
constraints -> clustering -> stable person keys)."""

from byline.engine.block import BlockResult, Engine, load_engine, remember
from byline.engine.constraints import evidence_constraints
from byline.engine.keys import assign_keys

__all__ = [
    "BlockResult",
    "Engine",
    "assign_keys",
    "evidence_constraints",
    "load_engine",
    "remember",
]
