"""The names an ingest changed and no split has caught up with since.

``byline ingest`` records, in its own transaction, every name slug whose block it changed:
the names of the papers it added, removed or re-read (before and after, so a name that lost
its last paper is recorded too), and the names whose mentions point to a registry entry
that was added, removed or edited. ``byline split --changed`` re-splits exactly these and
clears them; ``byline split --all`` clears them all.

Each ingest that records something takes the next number of the meta counter
``changes_seq`` and stamps its names with it. A split clears only names stamped up to the
number it read, so a name that an ingest records again while the split runs stays pending.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from byline.store import Store
from byline.store import schema as t

# Meta key of the number of the last ingest that recorded changed names.
SEQ_KEY = "changes_seq"
_CHUNK = 500


@dataclass(frozen=True)
class ChangedNames:
    """The pending names and the number of the last ingest that recorded one.

    Attributes:
        slugs: name slugs, sorted.
        seq: the highest ``seq`` among them (0 when none).
    """

    slugs: list[str]
    seq: int

    def __bool__(self) -> bool:
        return bool(self.slugs)


def record_changed(conn: Connection, slugs: Iterable[str]) -> int:
    """Record ``slugs`` as changed by this ingest, inside its transaction ``conn``.

    Names already pending are stamped again with this ingest's number. Returns how many
    names were recorded.
    """
    wanted = sorted(set(slugs))
    if not wanted:
        return 0
    current = conn.execute(select(t.meta.c.value).where(t.meta.c.key == SEQ_KEY)).scalar()
    seq = int(current or 0) + 1
    conn.execute(delete(t.meta).where(t.meta.c.key == SEQ_KEY))
    conn.execute(insert(t.meta), {"key": SEQ_KEY, "value": str(seq)})
    for i in range(0, len(wanted), _CHUNK):
        part = wanted[i : i + _CHUNK]
        conn.execute(delete(t.changed_names).where(t.changed_names.c.slug.in_(part)))
        conn.execute(insert(t.changed_names), [{"slug": s, "seq": seq} for s in part])
    return len(wanted)


def changed_names(store: Store) -> ChangedNames:
    """The names recorded as changed and not split since."""
    with store.connect() as conn:
        rows = conn.execute(select(t.changed_names.c.slug, t.changed_names.c.seq)).all()
    return ChangedNames(sorted(s for s, _ in rows), max((q for _, q in rows), default=0))


def clear_changed(store: Store, slugs: Iterable[str], upto: int) -> int:
    """Forget ``slugs`` (names a split read and has now stored predictions for), unless an
    ingest after number ``upto`` recorded them again. Returns how many were cleared."""
    wanted = sorted(set(slugs))
    cleared = 0
    with store.begin() as conn:
        for i in range(0, len(wanted), _CHUNK):
            res = conn.execute(
                delete(t.changed_names).where(
                    t.changed_names.c.slug.in_(wanted[i : i + _CHUNK]),
                    t.changed_names.c.seq <= upto,
                )
            )
            cleared += res.rowcount or 0
    return cleared
