"""Alembic migrations of the store, run by :func:`byline.store.migrate.migrate` on open.

A change to ``byline/store/schema.py`` needs a new revision in ``versions/`` (copy
``0001_baseline.py``: ``revision``, ``down_revision`` = the previous head, ``upgrade()``
with ``alembic.op``; SQLite needs ``op.batch_alter_table`` to alter a table). Each
revision runs inside the one transaction of the upgrade; ``tests/test_store_migrations.py``
checks that the head matches ``schema.py``.
"""
