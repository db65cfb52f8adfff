"""A cache of derived objects in the store, valid for one state of the ingested library."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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


@dataclass(frozen=True)
class UpdateOnly(Generic[T]):
    """The part of a cached value that only its ``update`` reads, kept in a row of its own
    and read only when the value is updated: a valid cache is read without it.

    Attributes:
        take: the value without the part, and the part.
        put: the value with the part put back.
    """

    take: Callable[[T], tuple[T, object]]
    put: Callable[[T, object], T]


def cached(
    store: Store,
    name: str,
    version: str,
    build: Callable[[], T],
    update: Callable[[T], T | None] | None = None,
    update_only: UpdateOnly[T] | None = None,
) -> T:
    """``build()``'s result, from the store when it was built for this library and version.

    When the stored one was built for this version but an earlier state of the library,
    ``update(stored)`` is tried first: it returns the object brought up to date, or None to
    have it built again. With ``update_only``, the part only ``update`` reads is stored
    apart, and the value returned from a valid cache comes without it. The blobs are
    pickles written by byline itself into the user's own store.
    """
    version_key = hashlib.sha1(version.encode()).hexdigest()[:24]
    key = version_key + library_digest(store)
    part_name = f"{name}:update"
    row = _read(store, name)
    value: T | None = None
    if row is not None and row.key[:24] == version_key:
        stored = _unpickle(row.blob)
        if stored is not None and row.key == key:
            if update_only is None or _key(store, part_name) == key:
                return stored
            value = stored  # written whole by an older byline: stored again in two parts
        elif stored is not None and update is not None:
            if update_only is not None:
                part = _read(store, part_name)
                # without its part: written whole by an older byline, updated as it is
                if part is not None and part.key == row.key:
                    held = _unpickle(part.blob)
                    stored = None if held is None else update_only.put(stored, held)
            if stored is not None:
                value = update(stored)
    if value is None:
        value = build()
    blobs = {name: value}
    if update_only is not None:
        blobs[name], blobs[part_name] = update_only.take(value)
    with store.begin() as conn:
        conn.execute(delete(t.artifacts).where(t.artifacts.c.name.in_([name, part_name])))
        for n, v in blobs.items():
            blob = pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)
            conn.execute(insert(t.artifacts).values(name=n, key=key, blob=blob))
    return value


def _read(store: Store, name: str) -> Any:
    with store.connect() as conn:
        return conn.execute(
            select(t.artifacts.c.key, t.artifacts.c.blob).where(t.artifacts.c.name == name)
        ).first()


def _key(store: Store, name: str) -> str | None:
    with store.connect() as conn:
        return conn.execute(
            select(t.artifacts.c.key).where(t.artifacts.c.name == name)
        ).scalar_one_or_none()


def _unpickle(blob: bytes) -> Any:
    try:
        with gc_paused():
            return pickle.loads(blob)  # noqa: S301 - our own cache
    except Exception:  # stale class layout: rebuild
        return None
