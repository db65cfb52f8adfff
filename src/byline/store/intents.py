"""Maintainer intents: what a maintainer (or a command acting for one) wants done, planned
as decisions and written as one action.

Every writer of decisions goes through here: the review page's forms, ``merge --apply`` and
``assign --record`` (and any later one, e.g. ``intake --record``). An intent names mentions
and a person. :func:`plan_intent` turns it into :class:`~byline.store.decisions.Planned`
decisions against what its writer saw of each name (:class:`Shown`: the name's version when
read, and the person each mention was listed under), and refuses one that cannot hold (two
authors of one paper as one person, say) with an :class:`IntentError`.
:func:`apply_intents` (or :func:`record_planned`, for a plan made earlier) writes all the
decisions of an action in ONE transaction, refused with
:class:`~byline.store.decisions.StaleVersion` (nothing written) if any of its names moved
since it was shown.

To add an intent: a frozen dataclass here and its branch in ``_plan``. To add a
decision kind: :class:`~byline.store.decisions.DecisionKind` and its fold in
:mod:`byline.store.decisions`, then the intents that plan it here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from byline.errors import BylineError
from byline.sources.ids import paper_of
from byline.store import Store
from byline.store.decisions import (
    DecidedState,
    Decision,
    DecisionKind,
    Planned,
    new_person_key,
    record_action,
)

ASSIGN, CONFIRM, NOT_PERSON = DecisionKind.ASSIGN, DecisionKind.CONFIRM, DecisionKind.NOT_PERSON


class IntentError(BylineError):
    """An intent that cannot be carried out as given; nothing was written."""


@dataclass(frozen=True)
class Shown:
    """One name as the writer saw it when planning.

    Attributes:
        version: the name's decision version then (the write expects it still).
        key_of: mention id -> the person key it was listed under (the split shown); needed
            by intents that refer to "where the papers are now".
        name: how the name reads in messages (default: its slug).
    """

    version: int
    key_of: Mapping[str, str] = field(default_factory=dict)
    name: str = ""

    def members(self, person: str) -> list[str]:
        """The mentions listed under ``person``, sorted."""
        return sorted(m for m, k in self.key_of.items() if k == person)


def shown_at(state: DecidedState, slugs: Iterable[str]) -> dict[str, Shown]:
    """The names as a command saw them: at the versions its decisions were read at (its
    candidates were computed from them), without a shown split."""
    return {s: Shown(state.version(s)) for s in slugs}


# --- intents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPerson:
    """These papers (of one name) are a new person, not the person(s) they were listed
    under (so the rest of their old column cannot follow them)."""

    slug: str
    mention_ids: Sequence[str]
    display_name: tuple[str, str]
    note: str = ""
    person: str | None = None  # its key; a fresh ``<slug>/<8 hex>`` by default


@dataclass(frozen=True)
class Move:
    """These papers join ``person`` together with its papers as shown (so it keeps its key
    and its papers), and are not the person they were listed under."""

    slug: str
    mention_ids: Sequence[str]
    person: str
    note: str = ""


@dataclass(frozen=True)
class MergeInto:
    """These papers (one or more columns) and ``person``'s papers as shown are one person."""

    slug: str
    mention_ids: Sequence[str]
    person: str
    note: str = ""


@dataclass(frozen=True)
class NotPerson:
    """These papers (all listed under one person) are not that person."""

    slug: str
    mention_ids: Sequence[str]
    note: str = ""


@dataclass(frozen=True)
class Confirm:
    """These papers are ``person`` as shown (optionally under a name to show it by)."""

    slug: str
    mention_ids: Sequence[str]
    person: str
    display_name: tuple[str, str] | None = None
    note: str = ""


@dataclass(frozen=True)
class Assign:
    """These mentions, of one name or several, are ``person`` (a command's result: a
    merge of two names, new papers placed under a person)."""

    mentions: Mapping[str, Sequence[str]]  # slug -> mention ids
    person: str
    display_name: tuple[str, str] | None = None
    note: str = ""


Intent = NewPerson | Move | MergeInto | NotPerson | Confirm | Assign


# --- planning ------------------------------------------------------------------------------


def _name(shown: Mapping[str, Shown], slug: str) -> str:
    s = shown.get(slug)
    return (s.name if s else "") or slug


def _key_of(shown: Mapping[str, Shown], slug: str, ids: Sequence[str]) -> Mapping[str, str]:
    s = shown.get(slug)
    if s is None:
        raise IntentError(f"{slug} was not shown; load it and decide again")
    missing = [m for m in ids if m not in s.key_of]
    if missing:
        raise IntentError(f"{missing[0]} is not a paper of {_name(shown, slug)}")
    return s.key_of


def _name_given(display_name: tuple[str, str] | None) -> tuple[str, str] | None:
    if display_name is None or not display_name[1].strip():
        return None
    return (display_name[0].strip(), display_name[1].strip())


def _away_from(
    slug: str, key_of: Mapping[str, str], ids: Sequence[str], note: str
) -> list[Planned]:
    """``not_person`` of the moved papers against each person they were listed under."""
    return [
        Planned(NOT_PERSON, [m for m in ids if key_of[m] == old], old, note, slug=slug)
        for old in sorted({key_of[m] for m in ids})
    ]


def _plan(intent: Intent, shown: Mapping[str, Shown]) -> list[Planned]:
    if isinstance(intent, Assign):
        return [
            Planned(ASSIGN, ids, intent.person, intent.note, intent.display_name, slug)
            for slug, ids in sorted(intent.mentions.items())
            if ids
        ]
    slug, ids = intent.slug, sorted(set(intent.mention_ids))
    key_of = _key_of(shown, slug, ids)
    name = _name(shown, slug)
    if isinstance(intent, NewPerson):
        names = _name_given(intent.display_name)
        if names is None:
            raise IntentError("give the new person's name (at least the last name)")
        new = intent.person or new_person_key(slug)
        return [
            Planned(ASSIGN, ids, new, intent.note, names, slug),
            *_away_from(slug, key_of, ids, f"split off to {new}"),
        ]
    if isinstance(intent, NotPerson):
        owners = {key_of[m] for m in ids}
        if len(owners) != 1:
            raise IntentError(
                "'not this person' needs papers of one person; select papers of one "
                "column at a time"
            )
        return [Planned(NOT_PERSON, ids, owners.pop(), intent.note, slug=slug)]
    verb = {Confirm: "confirm", Move: "assign", MergeInto: "merge"}[type(intent)]
    members = shown[slug].members(intent.person)
    if not members:
        raise IntentError(f"pick a person of {name} to {verb} to")
    if isinstance(intent, Confirm):
        names = _name_given(intent.display_name)
        return [Planned(CONFIRM, ids, intent.person, intent.note, names, slug)]
    moved = [m for m in ids if key_of[m] != intent.person]
    if not moved:
        raise IntentError(f"the selected papers are already with {intent.person}")
    if isinstance(intent, MergeInto):
        auto = f"merged {len(moved)} paper(s) into {intent.person}"
    else:
        auto = f"moved {len(moved)} paper(s) to {intent.person}"
    together = sorted(set(ids) | set(members))
    plan = [Planned(ASSIGN, together, intent.person, intent.note or auto, slug=slug)]
    if isinstance(intent, Move):
        plan += _away_from(slug, key_of, moved, f"moved to {intent.person}")
    return plan


def _check_papers(plan: list[Planned]) -> None:
    """One paper's authors are different people: no person may hold two of them."""
    held: dict[str, set[str]] = {}
    for p in plan:
        if p.kind != NOT_PERSON:
            held.setdefault(p.person, set()).update(p.mention_ids)
    for person, mids in held.items():
        papers = Counter(paper_of(m) for m in mids)
        twice = sorted(pid for pid, c in papers.items() if c > 1)
        if twice:
            raise IntentError(
                f"{person} would hold two authors of paper {twice[0]}; one paper's authors "
                "are different people"
            )


def plan_intent(intent: Intent, shown: Mapping[str, Shown]) -> list[Planned]:
    """The decisions that carry out ``intent`` (each with its slug), in writing order.

    ``shown``: what the writer saw of the names the intent is about (see :class:`Shown`).
    Raises :class:`IntentError` when the intent cannot be carried out as given.
    """
    plan = _plan(intent, shown)
    if not plan:
        raise IntentError("nothing to decide: the intent names no mention")
    _check_papers(plan)
    return plan


def record_planned(
    store: Store,
    plan: Sequence[Planned],
    shown: Mapping[str, Shown],
    *,
    actor: str,
    model_version: str = "",
    then: Callable[[Connection, list[Decision]], None] | None = None,
) -> list[Decision]:
    """Store planned decisions (:func:`plan_intent`) in ONE transaction: all or none. Each
    name they touch must still be at its shown version
    (:class:`~byline.store.decisions.StaleVersion` otherwise). ``then``: see
    :func:`~byline.store.decisions.record_action`."""
    if not plan:
        raise IntentError("nothing to decide")
    touched = {p.slug for p in plan}
    unseen = sorted(touched - set(shown))
    if unseen:
        raise IntentError(f"no version was read for {unseen[0]}; plan the action again")
    return record_action(
        store,
        plan,
        expected={s: shown[s].version for s in touched},
        actor=actor,
        model_version=model_version,
        then=then,
    )


def apply_intents(
    store: Store,
    intents: Iterable[Intent],
    shown: Mapping[str, Shown],
    *,
    actor: str,
    model_version: str = "",
    then: Callable[[Connection, list[Decision]], None] | None = None,
) -> list[Decision]:
    """Plan every intent of one action and store all their decisions in ONE transaction:
    all of them or none (nothing either when one intent cannot be carried out). ``then``:
    see :func:`~byline.store.decisions.record_action`."""
    plan = [p for intent in intents for p in plan_intent(intent, shown)]
    return record_planned(store, plan, shown, actor=actor, model_version=model_version, then=then)


def apply_intent(
    store: Store,
    intent: Intent,
    shown: Mapping[str, Shown],
    *,
    actor: str,
    model_version: str = "",
) -> list[Decision]:
    """:func:`apply_intents` of one intent."""
    return apply_intents(store, [intent], shown, actor=actor, model_version=model_version)
