"""Maintainer decisions: the log, optimistic versions, and their force as constraints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from byline.engine import Engine, assign_keys, remember
from byline.errors import BylineError
from byline.model import PairwiseModel
from byline.store import connect
from byline.store.corpus import load_corpus
from byline.store.decisions import (
    DecidedState,
    StaleVersion,
    active_decisions,
    decided_state,
    history,
    name_version,
    new_person_key,
    record,
    undo,
)
from byline.store.ingest import ingest
from byline.store.predictions import load_predictions

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
SLUG = "jiarui-fenwick"
A_ONLY = ["2024.acl-long.1#0", "P19-1001#0", "W19-3201#1"]
B_ONLY = ["2024.acl-long.2#1", "P19-1002#2", "W19-3212#1"]


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = connect(f"sqlite:///{tmp_path}/d.sqlite")
    ingest(engine, FIXTURE)
    return engine


def test_record_and_fold(store) -> None:  # type: ignore[no-untyped-def]
    assert name_version(store, SLUG) == 0
    d1 = record(store, slug=SLUG, kind="assign", mention_ids=A_ONLY[:2], person="p1", actor="ann")
    assert (d1.version, d1.actor, d1.kind) == (1, "ann", "assign")
    record(store, slug=SLUG, kind="not_person", mention_ids=[A_ONLY[1]], person="p1")
    record(store, slug=SLUG, kind="confirm", mention_ids=B_ONLY, person="p2")
    state = decided_state(store)
    assert state.assignments() == {A_ONLY[0]: "p1", **dict.fromkeys(B_ONLY, "p2")}
    assert state.exclusions() == {A_ONLY[1]: {"p1"}}
    assert state.confirmed_persons() == {"p2"}
    assert name_version(store, SLUG) == 3


def test_undo_and_undo_of_undo(store) -> None:  # type: ignore[no-untyped-def]
    d1 = record(store, slug=SLUG, kind="assign", mention_ids=A_ONLY, person="p1")
    u = undo(store, d1.id, actor="bob")
    assert decided_state(store).assignments() == {}
    assert [d.id for d in active_decisions(store, SLUG)] == []
    with pytest.raises(BylineError, match="already undone"):
        undo(store, d1.id)
    undo(store, u.id)  # redo
    assert decided_state(store).assignments() == dict.fromkeys(A_ONLY, "p1")
    assert [d.kind for d in history(store, SLUG)] == ["assign", "undo", "undo"]
    assert [d.undone for d in history(store, SLUG)] == [False, True, False]


def test_stale_version_is_refused_and_explained(store) -> None:  # type: ignore[no-untyped-def]
    v = name_version(store, SLUG)
    record(
        store,
        slug=SLUG,
        kind="assign",
        mention_ids=A_ONLY,
        person="p1",
        actor="ann",
        expected_version=v,
    )
    with pytest.raises(StaleVersion) as err:
        record(
            store,
            slug=SLUG,
            kind="assign",
            mention_ids=B_ONLY,
            person="p1",
            actor="bob",
            expected_version=v,
        )
    assert err.value.current == v + 1
    assert [d.actor for d in err.value.changes] == ["ann"]
    assert "ann" in str(err.value)
    # nothing of the refused write was stored
    assert decided_state(store).assignments() == dict.fromkeys(A_ONLY, "p1")


def test_bad_decisions_are_refused(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BylineError, match="kind"):
        record(store, slug=SLUG, kind="delete", mention_ids=A_ONLY, person="p")
    with pytest.raises(BylineError, match="at least one mention"):
        record(store, slug=SLUG, kind="assign", mention_ids=[], person="p")
    assert name_version(store, SLUG) == 0


class _ConstantModel(PairwiseModel):
    """P(same) = 0.99 for every pair: without constraints everything would merge."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:  # type: ignore[override]
        return np.full(len(X), 0.99, dtype=np.float32)


def _engine(store, **kw) -> Engine:  # type: ignore[no-untyped-def]
    model = _ConstantModel(threshold=0.5, link_threshold=0.98)
    return Engine(load_corpus(store), model, store, use_embeddings=False, **kw)


def test_decisions_are_hard_constraints(store) -> None:  # type: ignore[no-untyped-def]
    new = new_person_key(SLUG)
    record(
        store,
        slug=SLUG,
        kind="assign",
        mention_ids=B_ONLY,
        person=new,
        display_name=("Jiarui", "Fenwick"),
    )
    record(store, slug=SLUG, kind="assign", mention_ids=A_ONLY, person="jiarui-fenwick-edinburgh")
    res = _engine(store, decisions=decided_state(store)).split_block(SLUG)
    key = dict(zip((m.mention_id for m in res.mentions), res.keys, strict=True))
    assert {key[m] for m in B_ONLY} == {new}
    assert {key[m] for m in A_ONLY} == {"jiarui-fenwick-edinburgh"}
    # "not this person" pulls a mention out of a group the model would keep whole
    record(
        store,
        slug=SLUG,
        kind="not_person",
        mention_ids=["W19-3201#1"],
        person="jiarui-fenwick-edinburgh",
    )
    res = _engine(store, decisions=decided_state(store)).split_block(SLUG)
    key = dict(zip((m.mention_id for m in res.mentions), res.keys, strict=True))
    assert key["W19-3201#1"] != "jiarui-fenwick-edinburgh"
    assert key["2024.acl-long.1#0"] == "jiarui-fenwick-edinburgh"
    assert decided_state(store).display_name(new) == ("Jiarui", "Fenwick")


def test_an_assignment_overrides_the_mentions_own_id(store) -> None:  # type: ignore[no-untyped-def]
    # 2024.acl-long.2#1 carries id=jiarui-fenwick-tsinghua; the maintainer says it is A
    record(
        store,
        slug=SLUG,
        kind="assign",
        mention_ids=["2024.acl-long.2#1", "P19-1001#0"],
        person="jiarui-fenwick-edinburgh",
    )
    res = _engine(store, decisions=decided_state(store)).split_block(SLUG)
    key = dict(zip((m.mention_id for m in res.mentions), res.keys, strict=True))
    assert key["2024.acl-long.2#1"] == key["P19-1001#0"] == "jiarui-fenwick-edinburgh"


def test_keys_survive_a_rerun(store) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(store)
    first = engine.split_block("morag-kilbride")
    remember(engine, [first])
    stored = load_predictions(store, ["morag-kilbride"])
    assert stored == dict(zip((m.mention_id for m in first.mentions), first.keys, strict=True))
    again = _engine(store, previous=stored).split_block("morag-kilbride")
    assert again.keys == first.keys


def test_assign_keys_prefers_decisions_then_ids_then_majority_of_last_run(store) -> None:  # type: ignore[no-untyped-def]
    corpus = load_corpus(store)
    ms = {m.mention_id: m for m in corpus.blocks[SLUG]}
    g1 = [ms["W19-3201#1"], ms["2024.acl-short.1#1"], ms["2024.acl-long.3#0"]]
    g2 = [ms["W19-3212#1"], ms["2024.acl-long.3#3"]]
    g3 = [ms["P19-1002#2"]]
    previous = {m.mention_id: "old-a" for m in g1[:2]} | {
        m.mention_id: "old-a" for m in g2
    }  # both hold old-a by majority with 2 mentions each: the tie goes to the first group
    keys = assign_keys(SLUG, [g1, g2, g3], corpus, previous=previous)
    assert keys[0] == "old-a"
    assert keys[1] != "old-a" and keys[1].startswith(f"{SLUG}/")
    assert len(set(keys)) == 3
    state = DecidedState(assigned={"W19-3212#1": "chosen"})  # no decision stored yet, plus one
    keys = assign_keys(SLUG, [g1, g2, g3], corpus, decisions=state, previous=previous)
    assert keys[1] == "chosen" and keys[0] == "old-a"


def test_record_many_is_all_or_nothing(store) -> None:  # type: ignore[no-untyped-def]
    from byline.store.decisions import Planned, record_many

    done = record_many(
        store,
        slug=SLUG,
        items=[
            Planned("assign", A_ONLY[:2], "p-new", "split off", ("Jiarui", "Fenwick")),
            Planned("not_person", A_ONLY[:2], "p-old"),
        ],
        actor="ann",
        expected_version=0,
    )
    assert [d.version for d in done] == [1, 2] and name_version(store, SLUG) == 2
    # the second item is invalid: the first must not be stored either
    with pytest.raises(BylineError, match="person key"):
        record_many(
            store,
            slug=SLUG,
            items=[Planned("assign", B_ONLY, "p2"), Planned("assign", B_ONLY, "")],
            expected_version=2,
        )
    # a crash between the writes of one batch leaves the store as it was
    import byline.store.decisions as dec

    calls = iter([False, True])
    real_now = dec._now

    def crashing_now() -> str:
        if next(calls):
            raise RuntimeError("disk full")
        return real_now()

    dec_now, dec._now = dec._now, crashing_now
    try:
        with pytest.raises(RuntimeError):
            record_many(
                store,
                slug=SLUG,
                items=[Planned("assign", B_ONLY, "p2"), Planned("confirm", B_ONLY, "p2")],
                expected_version=2,
            )
    finally:
        dec._now = dec_now
    assert name_version(store, SLUG) == 2
    assert "p2" not in decided_state(store).assignments().values()
    # a stale version refuses the whole batch
    with pytest.raises(StaleVersion):
        record_many(store, slug=SLUG, items=[Planned("assign", B_ONLY, "p2")], expected_version=1)
    assert name_version(store, SLUG) == 2
    assert set(decided_state(store).assignments()) == set(A_ONLY[:2])


def test_the_latest_display_name_wins(store) -> None:  # type: ignore[no-untyped-def]
    record(
        store,
        slug=SLUG,
        kind="assign",
        mention_ids=A_ONLY,
        person="p",
        display_name=("J.", "Fenwick"),
    )
    record(
        store,
        slug=SLUG,
        kind="confirm",
        mention_ids=A_ONLY,
        person="p",
        display_name=("Jiarui", "Fenwick"),
    )
    assert decided_state(store).display_name("p") == ("Jiarui", "Fenwick")


def test_a_mention_assigned_to_an_id_joins_that_ids_mentions(store) -> None:  # type: ignore[no-untyped-def]
    """Moving one paper to an explicit-id person needs no expansion to the person's papers:
    the decided mention counts as carrying that id."""

    class _Apart(PairwiseModel):
        def predict_proba(self, X: np.ndarray) -> np.ndarray:  # type: ignore[override]
            return np.full(len(X), 0.01, dtype=np.float32)  # the model keeps everyone apart

    record(
        store,
        slug=SLUG,
        kind="assign",
        mention_ids=["W19-3212#1"],
        person="jiarui-fenwick-tsinghua",
    )
    model = _Apart(threshold=0.5, link_threshold=0.98)
    engine = Engine(
        load_corpus(store), model, store, use_embeddings=False, decisions=decided_state(store)
    )
    res = engine.split_block(SLUG)
    key = dict(zip((m.mention_id for m in res.mentions), res.keys, strict=True))
    # 2024.acl-long.2#1 carries id=jiarui-fenwick-tsinghua in the XML
    assert key["W19-3212#1"] == key["2024.acl-long.2#1"] == "jiarui-fenwick-tsinghua"
    assert key["2024.acl-long.1#0"] != "jiarui-fenwick-tsinghua"
