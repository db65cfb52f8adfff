"""A cache of derived objects in the store, valid for one state of the ingested library."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import delete, insert, select

from byline.bulk import gc_paused
from byline.store import Store
from byline.store import schema as t

T = TypeVar("T")


def library_digest(store: Store) -> str:
    """SHA-1 (40 hex digits) over the digests of every ingested source file: moves with any
    data change."""
    h = hashlib.sha1()
    with store.connect() as conn:
        for path, digest in conn.execute(
            select(t.source_files.c.path, t.source_files.c.digest).order_by(t.source_files.c.path)
        ):
            h.update(f"{path}\0{digest}\n".encode())
    return h.hexdigest()


def cached(
    store: Store,
    name: str,
    version: str,
    build: Callable[[], T],
    update: Callable[[T], T | None] | None = None,
) -> T:
    """``build()``'s result, from the store when it was built for this library and version.

    When the stored one was built for this version but an earlier state of the library,
    ``update(stored)`` is tried first: it returns the object brought up to date, or None to
    have it built again. The blob is a pickle written by byline itself into the user's own
    store.
    """
    version_key = hashlib.sha1(version.encode()).hexdigest()[:24]
    key = version_key + library_digest(store)
    with store.connect() as conn:
        row = conn.execute(
            select(t.artifacts.c.key, t.artifacts.c.blob).where(t.artifacts.c.name == name)
        ).first()
    value: T | None = None
    if row is not None and row.key[:24] == version_key:
        try:
            with gc_paused():
                stored = pickle.loads(row.blob)  # noqa: S301 - our own cache
        except Exception:  # stale class layout: rebuild
            stored = None
        if stored is not None and row.key == key:
            return stored
        if stored is not None and update is not None:
            value = update(stored)
    if value is None:
        value = build()
    blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    with store.begin() as conn:
        conn.execute(delete(t.artifacts).where(t.artifacts.c.name == name))
        conn.execute(insert(t.artifacts).values(name=name, key=key, blob=blob))
    return value
