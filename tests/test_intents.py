"""Maintainer intents: planned as decisions, refused when they cannot hold, and written as
one transaction per action (the review page, `merge --apply`, `assign --record`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import byline.store.decisions as dec
from byline.engine import Engine, load_engine
from byline.store import connect
from byline.store.corpus import load_corpus
from byline.store.decisions import (
    DecidedState,
    DecisionKind,
    StaleVersion,
    decided_state,
    history,
    name_version,
    record,
)
from byline.store.ingest import ingest
from byline.store.intents import (
    Assign,
    Confirm,
    IntentError,
    MergeInto,
    Move,
    NewPerson,
    NotPerson,
    Shown,
    apply_intents,
    plan_intent,
    shown_at,
)
from byline.tasks.assign import Assignment, record_assignments
from byline.tasks.merge import MergeModel, apply_merges, build_units, find_merges, plan_merges

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
SLUG = "jiarui-fenwick"
A = ["2024.acl-long.1#0", "P19-1001#0", "W19-3201#1"]
B = ["2024.acl-long.2#1", "P19-1002#2", "W19-3212#1"]
KEY_OF = dict.fromkeys(A, "pa") | dict.fromkeys(B, "pb")
MORAG = "morag-kilbride"
MORAG_M = "2024.acl-long.3#1"


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = connect(f"sqlite:///{tmp_path}/i.sqlite")
    ingest(s, FIXTURE)
    return s


def _shown(version: int = 0) -> dict[str, Shown]:
    return {SLUG: Shown(version, KEY_OF, "Jiarui Fenwick")}


def _plan(intent):  # type: ignore[no-untyped-def]
    return [(p.kind, p.slug, tuple(p.mention_ids), p.person) for p in plan_intent(intent, _shown())]


# --- planning ------------------------------------------------------------------------------


def test_kinds_are_a_str_enum_stored_as_their_value() -> None:
    assert [k.value for k in DecisionKind] == ["assign", "confirm", "not_person", "undo"]
    assert DecisionKind("not_person") is DecisionKind.NOT_PERSON
    assert DecisionKind.ASSIGN == "assign" and f"{DecisionKind.CONFIRM}" == "confirm"


def test_each_page_action_plans_what_the_maintainer_saw() -> None:
    new = NewPerson(SLUG, [A[0], B[0]], ("Jiarui", "Fenwick (MT)"), "why", person="p-new")
    assert _plan(new) == [
        ("assign", SLUG, (A[0], B[0]), "p-new"),
        ("not_person", SLUG, (A[0],), "pa"),
        ("not_person", SLUG, (B[0],), "pb"),
    ]
    assert plan_intent(new, _shown())[0].display_name == ("Jiarui", "Fenwick (MT)")
    # a move takes the target's papers as shown along, and leaves the old person
    assert _plan(Move(SLUG, [A[0]], "pb")) == [
        ("assign", SLUG, tuple(sorted([A[0], *B])), "pb"),
        ("not_person", SLUG, (A[0],), "pa"),
    ]
    # a merge is one assign of both columns
    assert _plan(MergeInto(SLUG, A, "pb")) == [("assign", SLUG, tuple(sorted(A + B)), "pb")]
    assert plan_intent(MergeInto(SLUG, A, "pb"), _shown())[0].note == "merged 3 paper(s) into pb"
    assert _plan(NotPerson(SLUG, A[:2])) == [("not_person", SLUG, tuple(sorted(A[:2])), "pa")]
    assert _plan(Confirm(SLUG, B, "pb")) == [("confirm", SLUG, tuple(sorted(B)), "pb")]
    # a command's assign spans names, one decision per name
    both = Assign({MORAG: ["2024.acl-short.1#2"], SLUG: A}, "pa", None, "n")
    planned = plan_intent(both, {})
    assert [(p.slug, p.kind) for p in planned] == [(SLUG, "assign"), (MORAG, "assign")]


@pytest.mark.parametrize(
    ("intent", "says"),
    [
        (NotPerson(SLUG, [A[0], B[0]]), "one column at a time"),
        (Move(SLUG, [A[0]], "somebody"), "pick a person of Jiarui Fenwick"),
        (Move(SLUG, [A[0]], "pa"), "already with pa"),
        (NewPerson(SLUG, [A[0]], ("Jiarui", " ")), "new person's name"),
        (Confirm(SLUG, ["P19-1003#0"], "pa"), "not a paper of Jiarui Fenwick"),
        (Assign({SLUG: ["2024.acl-long.3#0", "2024.acl-long.3#3"]}, "p"), "two authors"),
        (Assign({SLUG: ["X-1#0"], "other-name": ["X-1#2"]}, "p"), "two authors of paper X-1"),
        (Assign({SLUG: []}, "p"), "nothing to decide"),
    ],
)
def test_an_intent_that_cannot_hold_is_refused(intent, says: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntentError, match=says):
        plan_intent(intent, _shown())


# --- one action, one transaction ------------------------------------------------------------


def test_a_stale_second_name_leaves_nothing_written(store) -> None:  # type: ignore[no-untyped-def]
    seen = decided_state(store)  # both names untouched
    record(store, slug=MORAG, kind="confirm", mention_ids=[MORAG_M], person="mk", actor="bob")
    intents = [Assign({SLUG: A}, "pa"), Assign({MORAG: ["W19-3201#0"]}, "mk")]
    with pytest.raises(StaleVersion) as err:
        apply_intents(store, intents, shown_at(seen, [SLUG, MORAG]), actor="ann")
    assert err.value.slug == MORAG and [d.actor for d in err.value.changes] == ["bob"]
    assert name_version(store, SLUG) == 0 and history(store, SLUG) == []  # first name too
    # planned again from the current state, the same action goes through, in one piece
    done = apply_intents(store, intents, shown_at(decided_state(store), [SLUG, MORAG]), actor="a")
    assert [(d.slug, d.version) for d in done] == [(SLUG, 1), (MORAG, 2)]


def test_a_crash_inside_an_action_leaves_nothing_written(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = iter([False, True])
    real = dec._now

    def crash_on_second() -> str:
        if next(calls):
            raise RuntimeError("disk full")
        return real()

    monkeypatch.setattr(dec, "_now", crash_on_second)
    intents = [Assign({SLUG: A}, "pa"), Assign({MORAG: ["W19-3201#0"]}, "mk")]
    with pytest.raises(RuntimeError):
        apply_intents(store, intents, shown_at(DecidedState(), [SLUG, MORAG]), actor="ann")
    assert history(store) == [] and name_version(store, SLUG) == 0


def test_an_action_needs_the_version_of_every_name_it_writes(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntentError, match="no version was read for morag-kilbride"):
        apply_intents(store, [Assign({MORAG: ["W19-3201#0"]}, "mk")], {}, actor="ann")
    assert history(store) == []


def test_the_state_carries_the_versions_it_was_read_at(store) -> None:  # type: ignore[no-untyped-def]
    record(store, slug=SLUG, kind="assign", mention_ids=A, person="pa")
    record(store, slug=SLUG, kind="assign", mention_ids=B, person="pb")
    state = decided_state(store)
    assert (state.version(SLUG), state.version(MORAG)) == (2, 0)
    assert state.person_of(A[0]) == "pa" and state.person_of("nope#0") is None
    assert not state.empty and DecidedState().empty


# --- assign --record --------------------------------------------------------------------------


def _assignment(paper: str, pos: int, name: str, slug: str, person: str) -> Assignment:
    return Assignment(paper, "t", pos, name, slug, person, new_person=False, confidence=0.9)


def test_assign_record_is_one_transaction_at_the_versions_it_assigned_from(store) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(load_corpus(store), None, store, decisions=decided_state(store))
    results = [
        _assignment("2025.newconf-main.1", 0, "Jiarui Fenwick", SLUG, "pa"),
        _assignment("2025.newconf-main.1", 1, "Morag Kilbride", MORAG, "mk"),
    ]
    # someone decides on the second name after the assignments were computed
    record(store, slug=MORAG, kind="confirm", mention_ids=[MORAG_M], person="mk")
    with pytest.raises(StaleVersion):
        record_assignments(engine, results)
    assert history(store, SLUG) == [] and len(history(store)) == 1
    engine.decisions = decided_state(store)  # assigned again against the current decisions
    assert record_assignments(engine, results) == 2
    assert {d.slug for d in history(store)} == {SLUG, MORAG} and len(history(store)) == 3


# --- merge --apply ------------------------------------------------------------------------------


def test_merge_apply_writes_every_merge_or_none(tmp_path: Path) -> None:
    from test_merge import _library

    url = f"sqlite:///{tmp_path}/m.sqlite"
    ingest(connect(url), _library(tmp_path))
    engine = load_engine(url)
    engine.use_embeddings = False
    cands = find_merges(engine, MergeModel.load())
    pairs = [{"Felicia Körner", "Felicia Koerner"}, {"John Whitcombe", "John A. Whitcombe"}]
    chosen = [
        dataclasses.replace(c, accept=True)
        for c in cands
        if {c.source_name, c.target_name} in pairs
    ]
    assert len(chosen) == 2
    units = build_units(engine.corpus, engine.previous, engine.decisions)
    moves = plan_merges(chosen, {u.key: u for u in units})
    last = moves[-1][0].slugs[-1]  # the name written last
    store = engine.store
    assert store is not None
    stray = moves[-1][0].mentions[0].mention_id
    record(store, slug=last, kind="not_person", mention_ids=[stray], person="x", actor="bob")
    with pytest.raises(StaleVersion):
        apply_merges(store, chosen, units, actor="ann", decisions=engine.decisions)
    assert [d.actor for d in history(store)] == ["bob"]  # the first merge was not kept either
    fresh = decided_state(store)
    written = apply_merges(store, chosen, units, actor="ann", decisions=fresh)
    assert len(written) == 2 and {d.kind for d in written} == {"assign"}
