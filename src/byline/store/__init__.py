"""Store: the library, caches and decisions in one SQL database (SQLite by default)."""

from sqlalchemy import Engine as Store

from byline.store.db import DEFAULT_DB_URL, connect, resolve_db_url

__all__ = ["DEFAULT_DB_URL", "Store", "connect", "resolve_db_url"]
