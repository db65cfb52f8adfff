"""Maintainer decisions: stored once, never lost, and hard constraints for every later run.

A decision says that some mentions ARE a person (``assign``, ``confirm``) or are NOT a
person (``not_person``). Undoing one records an ``undo`` decision; nothing is ever deleted,
so the log tells who decided what, when, and with which model version. Each name (block
slug) carries a version number, bumped by every decision on it: a writer that read version
``v`` passes ``expected_version=v`` and gets :class:`StaleVersion` if someone else wrote in
between (optimistic locking), instead of silently overwriting.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, update

from byline.errors import BylineError
from byline.store import schema as t

KINDS = ("assign", "confirm", "not_person", "undo")


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
    id: int
    slug: str
    kind: str
    mention_ids: tuple[str, ...]
    person: str | None
    actor: str
    created_at: str
    model_version: str
    note: str
    target: int | None = None  # the undone decision, for kind == "undo"
    version: int = 0  # the name's version this decision created
    undone: bool = False


@dataclass
class DecidedState:
    """What all active decisions say, folded in order (a later decision wins)."""

    assigned: dict[str, str] = field(default_factory=dict)
    excluded: dict[str, set[str]] = field(default_factory=dict)
    confirmed: set[str] = field(default_factory=set)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def members(self, person: str) -> list[str]:
        return sorted(m for m, p in self.assigned.items() if p == person)

    @property
    def empty(self) -> bool:
        return not (self.assigned or self.excluded)


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
        kind=row.kind,
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


def name_version(engine: Engine, slug: str) -> int:
    """The number of decisions ever written on ``slug`` (0 for an untouched name)."""
    with engine.connect() as conn:
        return _current_version(conn, slug)


def _decisions(conn: Connection, slug: str | None = None) -> list[Decision]:
    q = select(t.decisions).order_by(t.decisions.c.id)
    if slug is not None:
        q = q.where(t.decisions.c.slug == slug)
    rows = conn.execute(q).all()
    # A decision is undone when an undo that is itself in force targets it. Undo ids are
    # larger than their targets', so one pass from the newest settles every chain.
    links = conn.execute(
        select(t.decisions.c.id, t.decisions.c.target).where(t.decisions.c.kind == "undo")
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


def check_version(engine: Engine, slug: str, expected: int) -> None:
    """Raise :class:`StaleVersion` (with the decisions since) unless ``slug`` is still at
    version ``expected``."""
    with engine.connect() as conn:
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
    """One decision of a batch written by :func:`record_many`."""

    kind: str
    mention_ids: tuple[str, ...] | list[str]
    person: str
    note: str = ""
    display_name: tuple[str, str] | None = None


def _check(kind: str, ids: tuple[str, ...], person: str | None) -> None:
    if kind not in ("assign", "confirm", "not_person"):
        raise BylineError(f"unknown decision kind {kind!r}; use assign, confirm or not_person")
    if not ids:
        raise BylineError("a decision needs at least one mention")
    if not person:
        raise BylineError(f"a {kind} decision needs a person key")


def record_many(
    engine: Engine,
    *,
    slug: str,
    items: Iterable[Planned],
    actor: str = "cli",
    model_version: str = "",
    expected_version: int | None = None,
) -> list[Decision]:
    """Store several decisions on one name in ONE transaction: all of them or none.

    A maintainer's single action may need several decisions (a new person from some papers
    is an ``assign`` plus a ``not_person`` against the group they left); a crash or a
    concurrent writer between them must not leave half of the action stored.
    """
    planned = [
        Planned(i.kind, tuple(sorted(set(i.mention_ids))), i.person, i.note, i.display_name)
        for i in items
    ]
    for i in planned:
        _check(i.kind, tuple(i.mention_ids), i.person)
    if not planned:
        raise BylineError("nothing to record")
    out: list[Decision] = []
    with engine.begin() as conn:
        expected = expected_version
        for i in planned:
            version = _bump(conn, slug, expected)
            expected = version
            res = conn.execute(
                insert(t.decisions).values(
                    slug=slug,
                    kind=i.kind,
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
    return out


def record(
    engine: Engine,
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
    ids = tuple(sorted(set(mention_ids)))
    _check(kind, ids, person)
    assert person is not None
    (d,) = record_many(
        engine,
        slug=slug,
        items=[Planned(kind, ids, person, note, display_name)],
        actor=actor,
        model_version=model_version,
        expected_version=expected_version,
    )
    return d


def undo(
    engine: Engine,
    decision_id: int,
    *,
    actor: str = "cli",
    expected_version: int | None = None,
    note: str = "",
) -> Decision:
    """Undo an active decision (itself recorded as a decision, so it can be undone too)."""
    with engine.begin() as conn:
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
                kind="undo",
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


def active_decisions(engine: Engine, slug: str | None = None) -> list[Decision]:
    """Decisions in force (not undone, undo records excluded), oldest first."""
    with engine.connect() as conn:
        return [d for d in _decisions(conn, slug) if d.kind != "undo" and not d.undone]


def history(engine: Engine, slug: str | None = None) -> list[Decision]:
    """Every decision ever written (undone ones flagged), oldest first."""
    with engine.connect() as conn:
        return _decisions(conn, slug)


def decided_state(engine: Engine) -> DecidedState:
    """Fold the active decisions, oldest first, into the state every task honours."""
    state = DecidedState()
    with engine.connect() as conn:
        rows = {
            r.id: r
            for r in conn.execute(
                select(t.decisions.c.id, t.decisions.c.display_first, t.decisions.c.display_last)
            ).all()
        }
        decisions = [d for d in _decisions(conn) if d.kind != "undo" and not d.undone]
    for d in decisions:
        assert d.person is not None
        row = rows[d.id]
        if row.display_last is not None:  # the latest name given wins (a name change)
            state.names[d.person] = (row.display_first or "", row.display_last)
        if d.kind in ("assign", "confirm"):
            for m in d.mention_ids:
                state.assigned[m] = d.person
                state.excluded.get(m, set()).discard(d.person)
            if d.kind == "confirm":
                state.confirmed.add(d.person)
        elif d.kind == "not_person":
            for m in d.mention_ids:
                state.excluded.setdefault(m, set()).add(d.person)
                if state.assigned.get(m) == d.person:
                    del state.assigned[m]
    state.excluded = {m: s for m, s in state.excluded.items() if s}
    return state
