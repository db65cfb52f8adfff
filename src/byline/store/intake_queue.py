"""Author-page requests waiting for a maintainer (``byline intake --queue``, the review page).

A queued request holds byline's proposal as the review page shows it (``proposal``: the
``--json`` contract of ``byline intake`` plus the proposed persons and the reasons to look),
the :class:`~byline.store.intents.Assign` intents that carry it out, and the version of each
name they touch when it was proposed. It stays ``pending`` until a maintainer

- accepts it (:func:`accept_request`): its intents are written as decisions, in ONE
  transaction that also marks it ``accepted`` (all of it or nothing), refused with
  :class:`~byline.store.decisions.StaleVersion` if a name moved since the proposal (a
  decision made since would otherwise be silently overridden: queue the request again);
- or closes it (:func:`close_request`), e.g. after deciding on the name page by hand.

Queueing a request again (the same file name or issue number) marks its pending entry
``replaced``. Nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update

from byline.errors import BylineError
from byline.store import Store
from byline.store import schema as t
from byline.store.decisions import Decision
from byline.store.intents import Assign, Shown, apply_intents

_UNNAMED = "<stdin>"  # requests read from standard input replace nothing


class RequestStatus(StrEnum):
    """Where a queued request stands; the value is what the store holds."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    CLOSED = "closed"
    REPLACED = "replaced"


@dataclass(frozen=True)
class QueuedRequest:
    """One queued request as stored.

    Attributes:
        id: its row id (``#id`` on the page).
        request: the file name or ``issue #N`` it came from.
        kind: verification, split, merge or name_change.
        slugs: the names whose pages show it.
        proposal: what the page shows: the ``--json`` contract of ``byline intake``
            (``person``, ``papers``, ``confidence``, ``needs_review``, ``reply``, ...) plus
            ``reasons`` and ``persons`` (``key``, ``pid``, ``first``, ``last``, ``new``,
            ``mention_ids``, ``add_orcid``, ``add_degree``), the requester first.
        intents: the decisions' intents (:class:`Assign`, one per proposed person).
        versions: name -> its decision version when proposed (an accept expects it still).
        status: see :class:`RequestStatus`.
        created_at, created_by, model_version: when, by whom and with which model it was
            queued.
        closed_at, closed_by: when and by whom it was accepted, closed or replaced.
        decision_ids: the decisions an accept wrote.
    """

    id: int
    request: str
    kind: str
    slugs: tuple[str, ...]
    proposal: dict[str, Any]
    intents: tuple[Assign, ...]
    versions: dict[str, int]
    status: RequestStatus
    created_at: str
    created_by: str
    model_version: str
    closed_at: str | None = None
    closed_by: str | None = None
    decision_ids: tuple[int, ...] = ()

    @property
    def requester(self) -> dict[str, Any]:
        """The requester's proposed person (``proposal["persons"][0]``)."""
        return self.proposal["persons"][0]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _intent_json(intent: Assign) -> dict[str, Any]:
    return {
        "mentions": {s: list(ids) for s, ids in intent.mentions.items()},
        "person": intent.person,
        "display_name": list(intent.display_name) if intent.display_name else None,
        "note": intent.note,
    }


def _intent(doc: Mapping[str, Any]) -> Assign:
    name = doc.get("display_name")
    return Assign(
        {s: tuple(ids) for s, ids in doc["mentions"].items()},
        doc["person"],
        (name[0], name[1]) if name else None,
        doc.get("note", ""),
    )


def _row(row: Any) -> QueuedRequest:
    return QueuedRequest(
        id=row.id,
        request=row.request,
        kind=row.kind,
        slugs=tuple(row.slugs),
        proposal=dict(row.proposal),
        intents=tuple(_intent(d) for d in row.intents),
        versions={s: int(v) for s, v in row.versions.items()},
        status=RequestStatus(row.status),
        created_at=row.created_at,
        created_by=row.created_by,
        model_version=row.model_version,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        decision_ids=tuple(row.decision_ids or ()),
    )


def queue_request(
    store: Store,
    *,
    request: str,
    kind: str,
    slugs: Sequence[str],
    proposal: Mapping[str, Any],
    intents: Sequence[Assign],
    versions: Mapping[str, int],
    actor: str,
    model_version: str = "",
) -> QueuedRequest:
    """Store one proposal as a pending request (no decision is written), replacing the
    pending entry of the same request, if any, in the same transaction."""
    if not intents or not any(ids for i in intents for ids in i.mentions.values()):
        raise BylineError(f"{request}: the proposal gives no paper to anyone; nothing to queue")
    touched = {s for i in intents for s, ids in i.mentions.items() if ids}
    missing = sorted(touched - set(versions))
    if missing:
        raise BylineError(f"{request}: no version was read for {missing[0]}; propose it again")
    now = _now()
    c = t.intake_requests.c
    with store.begin() as conn:
        if request != _UNNAMED:
            conn.execute(
                update(t.intake_requests)
                .where(c.request == request, c.status == RequestStatus.PENDING.value)
                .values(status=RequestStatus.REPLACED.value, closed_at=now, closed_by=actor)
            )
        res = conn.execute(
            insert(t.intake_requests).values(
                request=request,
                kind=kind,
                slugs=list(dict.fromkeys([*slugs, *sorted(touched)])),
                proposal=dict(proposal),
                intents=[_intent_json(i) for i in intents],
                versions={s: int(versions[s]) for s in sorted(touched)},
                status=RequestStatus.PENDING.value,
                created_at=now,
                created_by=actor,
                model_version=model_version,
            )
        )
        row = conn.execute(
            select(t.intake_requests).where(c.id == res.inserted_primary_key[0])
        ).one()
    return _row(row)


def queued_requests(
    store: Store, slug: str | None = None, status: RequestStatus | None = RequestStatus.PENDING
) -> list[QueuedRequest]:
    """Queued requests, oldest first: those with ``status`` (``None``: all), and shown on
    ``slug``'s page if given."""
    q = select(t.intake_requests).order_by(t.intake_requests.c.id)
    if status is not None:
        q = q.where(t.intake_requests.c.status == status.value)
    with store.connect() as conn:
        rows = [_row(r) for r in conn.execute(q).all()]
    return [r for r in rows if slug is None or slug in r.slugs]


def get_request(store: Store, request_id: int) -> QueuedRequest:
    """One queued request; a :class:`BylineError` if there is none with that id."""
    with store.connect() as conn:
        row = conn.execute(
            select(t.intake_requests).where(t.intake_requests.c.id == request_id)
        ).first()
    if row is None:
        raise BylineError(f"no queued request #{request_id}")
    return _row(row)


def _pending(q: QueuedRequest) -> None:
    if q.status != RequestStatus.PENDING:
        raise BylineError(
            f"request #{q.id} ({q.request}) is {q.status.value} already"
            + (f" (by {q.closed_by}, {q.closed_at})" if q.closed_by else "")
            + "; nothing was changed"
        )


def _close(
    conn: Connection, q: QueuedRequest, status: RequestStatus, actor: str, **values: Any
) -> None:
    c = t.intake_requests.c
    res = conn.execute(
        update(t.intake_requests)
        .where(c.id == q.id, c.status == RequestStatus.PENDING.value)
        .values(status=status.value, closed_at=_now(), closed_by=actor, **values)
    )
    if res.rowcount != 1:
        raise BylineError(
            f"request #{q.id} ({q.request}) was accepted or closed meanwhile; reload the page "
            "(nothing was changed)"
        )


def accept_request(
    store: Store, request_id: int, *, actor: str, model_version: str = ""
) -> list[Decision]:
    """Record the request's proposal as decisions and mark it accepted, in ONE transaction.

    Every name it touches must still be at the version it was proposed at
    (:class:`~byline.store.decisions.StaleVersion` otherwise, nothing written): a decision
    made since may contradict it. Then queue the request again, or edit it on the page.
    """
    q = get_request(store, request_id)
    _pending(q)
    shown = {s: Shown(v) for s, v in q.versions.items()}

    def mark(conn: Connection, done: list[Decision]) -> None:
        _close(conn, q, RequestStatus.ACCEPTED, actor, decision_ids=[d.id for d in done])

    return apply_intents(
        store, q.intents, shown, actor=actor, model_version=model_version, then=mark
    )


def close_request(store: Store, request_id: int, *, actor: str) -> QueuedRequest:
    """Mark a pending request closed without recording its proposal (a maintainer decided
    otherwise, or by hand)."""
    q = get_request(store, request_id)
    _pending(q)
    with store.begin() as conn:
        _close(conn, q, RequestStatus.CLOSED, actor)
    return get_request(store, request_id)
