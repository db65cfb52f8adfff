"""Connecting to the store: SQLite file by default, any SQLAlchemy URL (PostgreSQL) by choice."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.exc import OperationalError

from byline.errors import BylineError
from byline.store import Store
from byline.store.migrate import migrate

DEFAULT_DB_URL = "sqlite:///.byline/byline.sqlite"


def resolve_db_url(url: str | None = None) -> str:
    """``--db URL`` wins, then ``BYLINE_DB``, then ``.byline/byline.sqlite`` in the cwd."""
    return url or os.environ.get("BYLINE_DB") or DEFAULT_DB_URL


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def connect(url: str | None = None, create: bool = True) -> Store:
    """Open the store: create it at the schema's head, or migrate it there (one transaction).

    A store newer than this code, or a migration that fails, is refused (:class:`BylineError`)
    and left as it was.
    """
    url = resolve_db_url(url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url.removeprefix("sqlite:///"))
        if not create and not path.exists():
            raise BylineError(f"no store at {path}; run `byline ingest` first")
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        store = create_engine(url, future=True)
    except Exception as exc:  # bad URL, missing driver
        raise BylineError(f"cannot open the store {url!r}: {exc}") from None
    if store.dialect.name == "sqlite":
        event.listen(store, "connect", _sqlite_pragmas)
    try:
        migrate(store)
    except OperationalError as exc:  # server down, file unreadable
        store.dispose()
        first = (str(exc.orig).strip().splitlines() or [""])[0]
        where = store.url.render_as_string(hide_password=True)
        raise BylineError(f"cannot open the store {where}: {first}") from None
    except BaseException:
        store.dispose()
        raise
    return store
