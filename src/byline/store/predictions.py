"""The last prediction of every mention: person keys survive re-runs through it."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from sqlalchemy import delete, func, insert, select

from byline.store import Store
from byline.store import schema as t


def save_predictions(
    store: Store,
    rows: Iterable[tuple[str, str, str, float]],
    model_version: str,
    slugs: Iterable[str] | None = None,
) -> int:
    """Replace the stored predictions of ``slugs`` (all when None) by ``rows``.

    ``rows`` are (mention_id, slug, person, confidence), read as they are inserted (a
    generator is never held whole). One transaction.
    """
    n = 0
    with store.begin() as conn:
        if slugs is None:
            conn.execute(delete(t.predictions))
        else:
            wanted = sorted(set(slugs))
            for i in range(0, len(wanted), 500):
                conn.execute(
                    delete(t.predictions).where(t.predictions.c.slug.in_(wanted[i : i + 500]))
                )
        rows = iter(rows)
        while chunk := [
            {
                "mention_id": m,
                "slug": s,
                "person": p,
                "confidence": float(c),
                "model_version": model_version,
            }
            for m, s, p, c in islice(rows, 5000)
        ]:
            conn.execute(insert(t.predictions), chunk)
            n += len(chunk)
    return n


def load_predictions(store: Store, slugs: Iterable[str] | None = None) -> dict[str, str]:
    """mention_id -> person key of the last stored prediction (one string object per key:
    a person's mentions share it)."""
    q = select(t.predictions.c.mention_id, t.predictions.c.person)
    keys: dict[str, str] = {}
    one = keys.setdefault
    with store.connect() as conn:
        if slugs is None:
            return {m: one(p, p) for m, p in conn.execute(q)}
        out: dict[str, str] = {}
        wanted = sorted(set(slugs))
        for i in range(0, len(wanted), 500):
            part = conn.execute(q.where(t.predictions.c.slug.in_(wanted[i : i + 500])))
            out.update((m, one(p, p)) for m, p in part)
        return out


def predictions_by_model(store: Store) -> dict[str, int]:
    """How many stored predictions each pairwise model version made."""
    q = select(t.predictions.c.model_version, func.count()).group_by(t.predictions.c.model_version)
    with store.connect() as conn:
        return {str(v): int(n) for v, n in conn.execute(q).all()}


def predicted_slugs(store: Store) -> set[str]:
    """The names that have stored predictions."""
    with store.connect() as conn:
        return set(conn.execute(select(t.predictions.c.slug).distinct()).scalars().all())


def load_prediction_rows(store: Store) -> dict[str, tuple[str, float]]:
    """mention_id -> (person key, confidence) of the last stored prediction."""
    q = select(t.predictions.c.mention_id, t.predictions.c.person, t.predictions.c.confidence)
    with store.connect() as conn:
        return {m: (p, float(c)) for m, p, c in conn.execute(q)}
