"""A cache of derived objects in the store, valid for one state of the ingested library."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import delete, insert, select

from byline.store import Store
from byline.store import schema as t

T = TypeVar("T")


def library_digest(store: Store) -> str:
    """SHA-1 over the digests of every ingested source file: moves with any data change."""
    h = hashlib.sha1()
    with store.connect() as conn:
        for path, digest in conn.execute(
            select(t.source_files.c.path, t.source_files.c.digest).order_by(t.source_files.c.path)
        ):
            h.update(f"{path}\0{digest}\n".encode())
    return h.hexdigest()


def cached(store: Store, name: str, version: str, build: Callable[[], T]) -> T:
    """``build()``'s result, from the store when it was built for this library and version.

    The blob is a pickle written by byline itself into the user's own store.
    """
    key = hashlib.sha1(f"{library_digest(store)}|{version}".encode()).hexdigest()
    with store.connect() as conn:
        row = conn.execute(
            select(t.artifacts.c.key, t.artifacts.c.blob).where(t.artifacts.c.name == name)
        ).first()
    if row is not None and row.key == key:
        try:
            return pickle.loads(row.blob)  # noqa: S301 - our own cache
        except Exception:  # stale class layout: rebuild
            pass
    value = build()
    blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    with store.begin() as conn:
        conn.execute(delete(t.artifacts).where(t.artifacts.c.name == name))
        conn.execute(insert(t.artifacts).values(name=name, key=key, blob=blob))
    return value
