"""The time-split benchmark's accuracy (bench/assign_bench.py) on a hand-computed example."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "assign_bench.py"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("assign_bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _accuracy():  # type: ignore[no-untyped-def]
    return _bench().accuracy


def test_decidable_accuracy_leaves_out_new_mentions_of_blocks_with_ungolded_earlier_ones() -> None:
    accuracy = _accuracy()
    # Block "a": earlier a1, a2 (gold P) and a3 without gold; new a4 (P), a5 (Q).
    # Block "b": earlier b1 (gold R) only; new b2 (S).
    block_of = {m: m[0] for m in ("a1", "a2", "a3", "a4", "a5", "b1", "b2")}
    gold = {"a1": "P", "a2": "P", "a4": "P", "a5": "Q", "b1": "R", "b2": "S"}
    old_pred = {"a1": "a/1", "a2": "a/1", "a3": "a/2", "b1": "b/1"}
    new_ids = ["a4", "a5", "b2"]
    # a4 right (joins P's person); a5 joins a/2 (its person may be a3's: not decidable);
    # b2 wrongly joins R's person (b is complete, so S is new: decidably wrong).
    assigned = {"a4": "a/1", "a5": "a/2", "b2": "b/1"}
    is_new = {"a4": False, "a5": False, "b2": False}
    acc = accuracy(new_ids, assigned, is_new, old_pred, gold, block_of)
    assert acc["scored_new_mentions"] == 3
    assert acc["accuracy"] == 1 / 3
    assert acc["of_existing_persons"] == 1 and acc["accuracy_existing"] == 1.0
    assert acc["of_new_persons"] == 2 and acc["of_new_persons_told"] == 1
    assert acc["decidable"] == 2
    assert acc["accuracy_decidable"] == 0.5
    # b2 as a new person makes every decidable mention right; a5 stays undecided.
    acc = accuracy(new_ids, assigned, {**is_new, "b2": True}, old_pred, gold, block_of)
    assert acc["accuracy_decidable"] == 1.0
    assert acc["accuracy"] == 2 / 3


def test_decidable_accuracy_of_an_older_result_file_matches_the_new_figure() -> None:
    bench = _bench()
    block_of = {"a1": "a", "a2": "a", "b1": "b", "b2": "b", "c1": "c"}
    gold = {"a1": "P", "a2": "P", "b1": "R", "b2": "S", "c1": "T"}
    old_pred = {"a1": "a/1", "b1": "b/1"}
    row = bench.accuracy(
        ["a2", "b2", "c1"],
        {"a2": "a/1", "b2": "b/1", "c1": "c/new"},
        {"a2": False, "b2": False, "c1": True},
        old_pred,
        gold,
        block_of,
    )
    old = {"rows": {"byline_assign": {k: v for k, v in row.items() if "decidable" not in k}}}
    assert bench.decidable_from(old) == {"byline_assign": round(row["accuracy_decidable"], 4)}
    assert row["accuracy_decidable"] == 2 / 3
