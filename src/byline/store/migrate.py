"""The store's schema version: Alembic revisions shipped in the package, applied on open.

:func:`migrate` brings a store to the head revision in ONE transaction: a new store is
created at head, a store of byline 0.1.0 (tables, no version) goes through the baseline,
which only records the version. A store whose revision this code does not know (written by
a newer byline), or a migration that fails, is refused with one line; the store is left as
it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.pool import NullPool

import byline
from byline.errors import BylineError
from byline.store import Store

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
# Key of the PostgreSQL advisory lock that serializes two processes migrating one store.
_PG_LOCK = 0x6279_6C69


def _config(scripts: Path, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(scripts))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=8)
def _revisions(scripts: Path) -> tuple[str, frozenset[str]]:
    """(head, every known revision) of the script directory."""
    script = ScriptDirectory.from_config(_config(scripts))
    head = script.get_current_head()
    assert head is not None, f"no revisions in {scripts}"
    return head, frozenset(s.revision for s in script.walk_revisions())


def head_version(scripts: Path = MIGRATIONS) -> str:
    """The revision this code creates and upgrades stores to."""
    return _revisions(scripts)[0]


def _where(store: Store) -> str:
    url = store.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return str(url.database)
    return url.render_as_string(hide_password=True)


def _current(conn: Connection) -> str | None:
    heads = MigrationContext.configure(conn).get_current_heads()
    if len(heads) > 1:
        raise BylineError(f"the store records several schema versions ({', '.join(heads)})")
    return heads[0] if heads else None


def schema_version(store: Store) -> str:
    """The store's schema revision (e.g. ``0001``); opening it with ``connect`` sets one."""
    with store.connect() as conn:
        current = _current(conn)
    if current is None:
        raise BylineError(f"{_where(store)}: the store records no schema version; open it first")
    return current


def _refuse_unknown(store: Store, current: str | None, scripts: Path) -> None:
    head, known = _revisions(scripts)
    if current is not None and current not in known:
        raise BylineError(
            f"{_where(store)}: the store's schema is at revision {current}, newer than this "
            f"byline {byline.__version__} knows (up to {head}); upgrade byline "
            "(pip install -U byline) to open it (the store is unchanged)"
        )


@contextmanager
def _transaction(store: Store) -> Iterator[Connection]:
    """One transaction that also holds off other migrating processes.

    SQLite: a connection of its own in which ``BEGIN IMMEDIATE`` covers the DDL too (the
    driver would run CREATE/ALTER outside any transaction), without ``foreign_keys`` (a
    table rebuilt by a migration must not cascade). PostgreSQL: an advisory lock.
    """
    url = store.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        own = create_engine(url, poolclass=NullPool)

        @event.listens_for(own, "connect")
        def _no_implicit(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None

        @event.listens_for(own, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        try:
            with own.begin() as conn:
                yield conn
        finally:
            own.dispose()
        return
    with store.begin() as conn:
        if url.get_backend_name() == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        yield conn


def migrate(store: Store, scripts: Path = MIGRATIONS) -> str:
    """Bring the store to the head revision (one transaction) and return it."""
    head, _ = _revisions(scripts)
    with store.connect() as conn:
        current = _current(conn)
    if current == head:
        return head
    _refuse_unknown(store, current, scripts)
    with _transaction(store) as conn:
        current = _current(conn)  # again, under the lock: another process may have won
        _refuse_unknown(store, current, scripts)
        if current == head:
            return head
        try:
            command.upgrade(_config(scripts, conn), "head")
        except BylineError:
            raise
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0]
            raise BylineError(
                f"{_where(store)}: upgrading the store's schema from "
                f"{current or 'none'} to {head} failed "
                f"({type(exc).__name__}: {first}); the store is unchanged: open it with the "
                "byline that wrote it, or report this error"
            ) from None
    return head
