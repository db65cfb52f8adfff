"""Maintainer decisions: stored once, never lost, and hard constraints for every later run.

A decision says that some mentions ARE a person (``assign``, ``confirm``) or are NOT a
person (``not_person``). Undoing one records an ``undo`` decision; nothing is ever deleted,
so the log tells who decided what, when, and with which model version. Each name (block
slug) carries a version number, bumped by every decision on it: a writer that read version
``v`` passes ``expected_version=v`` and gets :class:`StaleVersion` if someone else wrote in
between (optimistic locking), instead of silently overwriting.

A maintainer's action (a review page form, ``merge --apply``, ``assign --record``) is turned
into decisions by :mod:`byline.store.intents` and written by :func:`record_action`, in one
transaction. A new decision kind is a :class:`DecisionKind` member and its branch in
:meth:`DecidedState.fold` here, and the intents that plan it there.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection, insert, select, update

from byline.errors import BylineError
from byline.store import Store
from byline.store import schema as t


class DecisionKind(StrEnum):
    """What a decision says; the value is what the store holds (``decisions.kind``)."""

    ASSIGN = "assign"  # these mentions are this person
    CONFIRM = "confirm"  # ... and a maintainer checked the person as shown
    NOT_PERSON = "not_person"  # these mentions are not this person
    UNDO = "undo"  # the decision ``target`` no longer holds


# the kinds a writer records directly (an undo is written by :func:`undo`)
WRITABLE = (DecisionKind.ASSIGN, DecisionKind.CONFIRM, DecisionKind.NOT_PERSON)


class StaleVersion(BylineError):
    """The name changed since the writer read it."""

    def __init__(self, slug: str, expected: int, current: int, changes: list[Decision]) -> None:
        self.slug = slug
        self.expected = expected
        self.current = current
        self.changes = changes
        who = ", ".join(sorted({d.actor for d in changes})) or "someone"
        super().__init__(
            f"{slug} changed since you loaded it (version {expected} -> {current}, "
            f"{len(changes)} decision(s) by {who}); reload and decide again"
        )


@dataclass(frozen=True)
class Decision:
    """One stored decision.

    Attributes:
        id: its row id (increasing: a later decision has a larger id).
        slug: the name (block) it is about.
        kind: what it says.
        mention_ids: the mentions it covers.
        person: the person key it assigns them to or excludes them from.
        actor, created_at, model_version, note: who, when, with which model, why.
        target: the undone decision, for an undo.
        version: the name's version this decision created.
        undone: whether an undo in force targets it.
    """

    id: int
    slug: str
    kind: DecisionKind
    mention_ids: tuple[str, ...]
    person: str | None
    actor: str
    created_at: str
    model_version: str
    note: str
    target: int | None = None
    version: int = 0
    undone: bool = False


class DecidedState:
    """What all active decisions say, folded in order (a later decision wins), and the
    version of each name when they were read. Read it through its methods only.

    Built by :func:`decided_state`; tests may build one from plain mappings.
    """

    def __init__(
        self,
        assigned: Mapping[str, str] | None = None,
        excluded: Mapping[str, Iterable[str]] | None = None,
        confirmed: Iterable[str] = (),
        names: Mapping[str, tuple[str, str]] | None = None,
        versions: Mapping[str, int] | None = None,
    ) -> None:
        self._assigned: dict[str, str] = dict(assigned or {})
        self._excluded: dict[str, set[str]] = {m: set(p) for m, p in (excluded or {}).items()}
        self._confirmed: set[str] = set(confirmed)
        self._names: dict[str, tuple[str, str]] = dict(names or {})
        self._versions: dict[str, int] = dict(versions or {})

    def fold(self, d: Decision, display_name: tuple[str, str] | None = None) -> None:
        """Apply one active decision on top of the earlier ones."""
        assert d.person is not None
        if display_name is not None:  # the latest name given wins (a name change)
            self._names[d.person] = display_name
        if d.kind in (DecisionKind.ASSIGN, DecisionKind.CONFIRM):
            for m in d.mention_ids:
                self._assigned[m] = d.person
                left = self._excluded.get(m)
                if left is not None:
                    left.discard(d.person)
                    if not left:
                        del self._excluded[m]
            if d.kind == DecisionKind.CONFIRM:
                self._confirmed.add(d.person)
        elif d.kind == DecisionKind.NOT_PERSON:
            for m in d.mention_ids:
                self._excluded.setdefault(m, set()).add(d.person)
                if self._assigned.get(m) == d.person:
                    del self._assigned[m]

    # -- one mention or person ---------------------------------------------------------

    def person_of(self, mention_id: str) -> str | None:
        """The person a maintainer placed the mention with, if any."""
        return self._assigned.get(mention_id)

    def excludes(self, mention_id: str, person: str) -> bool:
        """Whether a maintainer said the mention is not ``person``."""
        return person in self._excluded.get(mention_id, ())

    def excluded_from(self, mention_id: str) -> frozenset[str]:
        """The persons a maintainer said the mention is not."""
        return frozenset(self._excluded.get(mention_id, ()))

    def is_confirmed(self, person: str) -> bool:
        return person in self._confirmed

    def display_name(self, person: str) -> tuple[str, str] | None:
        """(first, last) a maintainer gave the person, the latest one; None if none."""
        return self._names.get(person)

    def version(self, slug: str) -> int:
        """The name's version these decisions were read at (the ``expected_version`` of a
        write planned from them)."""
        return self._versions.get(slug, 0)

    @property
    def empty(self) -> bool:
        """No mention is assigned or excluded."""
        return not (self._assigned or self._excluded)

    # -- copies of the whole state (export, reports, tests) ----------------------------

    def assignments(self) -> dict[str, str]:
        """``{mention id: person}`` of every assigned mention."""
        return dict(self._assigned)

    def exclusions(self) -> dict[str, frozenset[str]]:
        """``{mention id: persons it is not}`` of every mention with a "not this person"."""
        return {m: frozenset(p) for m, p in self._excluded.items()}

    def confirmed_persons(self) -> frozenset[str]:
        return frozenset(self._confirmed)

    def display_names(self) -> dict[str, tuple[str, str]]:
        """``{person: (first, last)}`` of every person a maintainer named."""
        return dict(self._names)


def new_person_key(slug: str) -> str:
    """A fresh key for a person a maintainer creates: ``<slug>/<8 hex>``."""
    return f"{slug}/{secrets.token_hex(4)}"


def stable_key(slug: str, anchor: str) -> str:
    """The key byline gives an inferred person: name slug + hash of its earliest mention."""
    return f"{slug}/{hashlib.sha1(anchor.encode()).hexdigest()[:8]}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row_to_decision(row, undone: set[int]) -> Decision:  # type: ignore[no-untyped-def]
    return Decision(
        id=row.id,
        slug=row.slug,
        kind=DecisionKind(row.kind),
        mention_ids=tuple(row.mention_ids or ()),
        person=row.person,
        actor=row.actor,
        created_at=row.created_at,
        model_version=row.model_version,
        note=row.note,
        target=row.target,
        version=row.version,
        undone=row.id in undone,
    )


def _current_version(conn: Connection, slug: str) -> int:
    v = conn.execute(select(t.name_versions.c.version).where(t.name_versions.c.slug == slug))
    return int(v.scalar() or 0)


def name_version(store: Store, slug: str) -> int:
    """The number of decisions ever written on ``slug`` (0 for an untouched name)."""
    with store.connect() as conn:
        return _current_version(conn, slug)


def _decisions(conn: Connection, slug: str | None = None) -> list[Decision]:
    q = select(t.decisions).order_by(t.decisions.c.id)
    if slug is not None:
        q = q.where(t.decisions.c.slug == slug)
    rows = conn.execute(q).all()
    # A decision is undone when an undo that is itself in force targets it. Undo ids are
    # larger than their targets', so one pass from the newest settles every chain.
    links = conn.execute(
        select(t.decisions.c.id, t.decisions.c.target).where(
            t.decisions.c.kind == DecisionKind.UNDO.value
        )
    ).all()
    undone: set[int] = set()
    for uid, target in sorted(links, reverse=True):
        if uid not in undone:
            undone.add(target)
    return [_row_to_decision(r, undone) for r in rows]


def _check_version(conn: Connection, slug: str, expected: int | None) -> int:
    current = _current_version(conn, slug)
    if expected is not None and expected != current:
        since = [d for d in _decisions(conn, slug) if d.version > expected]
        raise StaleVersion(slug, expected, current, since)
    return current


def check_version(store: Store, slug: str, expected: int) -> None:
    """Raise :class:`StaleVersion` (with the decisions since) unless ``slug`` is still at
    version ``expected``."""
    with store.connect() as conn:
        _check_version(conn, slug, expected)


def _bump(conn: Connection, slug: str, expected: int | None) -> int:
    current = _check_version(conn, slug, expected)
    new = current + 1
    if current == 0:
        conn.execute(insert(t.name_versions).values(slug=slug, version=new))
    else:
        res = conn.execute(
            update(t.name_versions)
            .where(t.name_versions.c.slug == slug, t.name_versions.c.version == current)
            .values(version=new)
        )
        if res.rowcount != 1:  # lost a race between read and write
            raise StaleVersion(slug, current, _current_version(conn, slug), [])
    return new


@dataclass(frozen=True)
class Planned:
    """One decision of an action written by :func:`record_action` (or :func:`record_many`).

    Attributes:
        kind: assign, confirm or not_person (a :class:`DecisionKind` or its value).
        mention_ids: the mentions it covers (order and repeats do not matter).
        person: the person key.
        note: why (shown in the log).
        display_name: (first, last) to show the person as, if the decision names it.
        slug: the name it is about; :func:`record_many` fills in its own.
    """

    kind: str
    mention_ids: tuple[str, ...] | list[str]
    person: str
    note: str = ""
    display_name: tuple[str, str] | None = None
    slug: str = ""


def _checked(item: Planned, slug: str) -> Planned:
    """The item as stored (kind as a :class:`DecisionKind`, ids sorted and unique), or a
    :class:`BylineError` saying what is wrong with it."""
    if item.kind not in WRITABLE:
        raise BylineError(
            f"unknown decision kind {item.kind!r}; use {', '.join(k.value for k in WRITABLE)}"
        )
    kind = DecisionKind(item.kind)
    ids = tuple(sorted(set(item.mention_ids)))
    if not ids:
        raise BylineError("a decision needs at least one mention")
    if not item.person:
        raise BylineError(f"a {kind} decision needs a person key")
    if not slug:
        raise BylineError(f"a {kind} decision needs the name (slug) it is about")
    return Planned(kind, ids, item.person, item.note, item.display_name, slug)


def record_action(
    store: Store,
    items: Iterable[Planned],
    *,
    expected: Mapping[str, int] | None = None,
    actor: str = "cli",
    model_version: str = "",
    then: Callable[[Connection, list[Decision]], None] | None = None,
) -> list[Decision]:
    """Store one action's decisions, on one name or several, in ONE transaction: all of
    them or none.

    ``expected``: the version of every name the action touches, as read when the action was
    planned (when its candidates were computed, or the page was shown). If any of them moved
    since, :class:`StaleVersion` and nothing is written. ``None``: no check (a script that
    writes regardless). Decisions are written in the given order; each bumps its name's
    version. ``then``: called in the same transaction with the decisions written (what it
    writes, say the status of the request they carry out, is stored with them or, if it
    raises, neither is).
    """
    planned = [_checked(i, i.slug) for i in items]
    if not planned:
        raise BylineError("nothing to record")
    if expected is not None:
        missing = sorted({i.slug for i in planned} - set(expected))
        if missing:
            raise BylineError(f"no version was read for {missing[0]}; plan the action again")
    out: list[Decision] = []
    with store.begin() as conn:
        versions: dict[str, int | None] = dict(expected) if expected is not None else {}
        for i in planned:
            version = _bump(conn, i.slug, versions.get(i.slug))
            versions[i.slug] = version
            res = conn.execute(
                insert(t.decisions).values(
                    slug=i.slug,
                    kind=DecisionKind(i.kind).value,
                    mention_ids=list(i.mention_ids),
                    person=i.person,
                    display_first=i.display_name[0] if i.display_name else None,
                    display_last=i.display_name[1] if i.display_name else None,
                    actor=actor,
                    created_at=_now(),
                    model_version=model_version,
                    note=i.note,
                    target=None,
                    version=version,
                )
            )
            row = conn.execute(
                select(t.decisions).where(t.decisions.c.id == res.inserted_primary_key[0])
            ).one()
            out.append(_row_to_decision(row, set()))
        if then is not None:
            then(conn, out)
    return out


def record_many(
    store: Store,
    *,
    slug: str,
    items: Iterable[Planned],
    actor: str = "cli",
    model_version: str = "",
    expected_version: int | None = None,
) -> list[Decision]:
    """Store several decisions on one name in ONE transaction: all of them or none
    (:func:`record_action` on one name).

    A maintainer's single action may need several decisions (a new person from some papers
    is an ``assign`` plus a ``not_person`` against the group they left); a crash or a
    concurrent writer between them must not leave half of the action stored.
    """
    planned = []
    for i in items:
        if i.slug and i.slug != slug:
            raise BylineError(f"a decision on {i.slug} in a batch for {slug}")
        planned.append(Planned(i.kind, i.mention_ids, i.person, i.note, i.display_name, slug))
    return record_action(
        store,
        planned,
        expected=None if expected_version is None else {slug: expected_version},
        actor=actor,
        model_version=model_version,
    )


def record(
    store: Store,
    *,
    slug: str,
    kind: str,
    mention_ids: Iterable[str],
    person: str | None,
    actor: str = "cli",
    model_version: str = "",
    note: str = "",
    expected_version: int | None = None,
    display_name: tuple[str, str] | None = None,
) -> Decision:
    """Store one decision in its own transaction and return it."""
    (d,) = record_many(
        store,
        slug=slug,
        items=[Planned(kind, tuple(mention_ids), person or "", note, display_name)],
        actor=actor,
        model_version=model_version,
        expected_version=expected_version,
    )
    return d


def undo(
    store: Store,
    decision_id: int,
    *,
    actor: str = "cli",
    expected_version: int | None = None,
    note: str = "",
) -> Decision:
    """Undo an active decision (itself recorded as a decision, so it can be undone too)."""
    with store.begin() as conn:
        target = conn.execute(select(t.decisions).where(t.decisions.c.id == decision_id)).first()
        if target is None:
            raise BylineError(f"no decision #{decision_id}")
        active = {d.id for d in _decisions(conn, target.slug) if not d.undone}
        if decision_id not in active:
            raise BylineError(f"decision #{decision_id} is already undone")
        version = _bump(conn, target.slug, expected_version)
        res = conn.execute(
            insert(t.decisions).values(
                slug=target.slug,
                kind=DecisionKind.UNDO.value,
                mention_ids=list(target.mention_ids or ()),
                person=target.person,
                actor=actor,
                created_at=_now(),
                model_version="",
                note=note,
                target=decision_id,
                version=version,
            )
        )
        row = conn.execute(
            select(t.decisions).where(t.decisions.c.id == res.inserted_primary_key[0])
        ).one()
    return _row_to_decision(row, set())


def active_decisions(store: Store, slug: str | None = None) -> list[Decision]:
    """Decisions in force (not undone, undo records excluded), oldest first."""
    with store.connect() as conn:
        return [d for d in _decisions(conn, slug) if d.kind != DecisionKind.UNDO and not d.undone]


def history(store: Store, slug: str | None = None) -> list[Decision]:
    """Every decision ever written (undone ones flagged), oldest first."""
    with store.connect() as conn:
        return _decisions(conn, slug)


def decided_state(store: Store) -> DecidedState:
    """Fold the active decisions, oldest first, into the state every task honours, with
    each name's version (read first: a decision written meanwhile makes a write planned
    from this state stale, never the other way round)."""
    with store.connect() as conn:
        versions = {r.slug: r.version for r in conn.execute(select(t.name_versions))}
        rows = {
            r.id: r
            for r in conn.execute(
                select(t.decisions.c.id, t.decisions.c.display_first, t.decisions.c.display_last)
            ).all()
        }
        decisions = [d for d in _decisions(conn) if d.kind != DecisionKind.UNDO and not d.undone]
    state = DecidedState(versions=versions)
    for d in decisions:
        row = rows[d.id]
        name = None if row.display_last is None else (row.display_first or "", row.display_last)
        state.fold(d, name)
    return state
