"""The store keeps its data across versions: schema revisions, a 0.1.0 store, the data path.

``fixtures/store-0.1.0.sqlite`` was written by byline 0.1.0 (``make_store_0_1_0.py``);
``store-0.1.0.json`` is what that code read back from it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, create_engine, insert, inspect, select
from test_postgres import pg_url  # noqa: F401  (a throwaway PostgreSQL server)
from typer.testing import CliRunner

from byline.cli import app
from byline.errors import BylineError
from byline.store import connect
from byline.store import schema as t
from byline.store.changed import ChangedNames, changed_names
from byline.store.decisions import decided_state, history, record
from byline.store.ingest import ingest, ingested_path
from byline.store.migrate import BASELINE, MIGRATIONS, head_version, migrate, schema_version
from byline.store.predictions import load_predictions

FIXTURES = Path(__file__).parent / "fixtures"
OLD_STORE = FIXTURES / "store-0.1.0.sqlite"
EXPECTED = json.loads((FIXTURES / "store-0.1.0.json").read_text(encoding="utf-8"))
runner = CliRunner()


def _dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every byline table (the version table left out), read with sqlite3."""
    with sqlite3.connect(path) as conn:
        return {
            name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in sorted(EXPECTED["counts"])
        }


def _version_rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in names:
            return []
        return conn.execute("SELECT version_num FROM alembic_version").fetchall()


def _plain(value: object) -> object:
    """A decision's field as JSON gives it back (tuples as lists, str enums as str)."""
    if isinstance(value, tuple):
        return list(value)
    return str(value) if isinstance(value, str) else value


def _state(store: Engine) -> dict:
    """``decided_state`` as plain data, read through its methods (or, before they came,
    its attributes)."""
    state = decided_state(store)
    if hasattr(state, "assignments"):
        parts = (
            state.assignments(),
            state.exclusions(),
            state.confirmed_persons(),
            state.display_names(),
        )
    else:
        parts = (state.assigned, state.excluded, state.confirmed, state.names)
    assigned, excluded, confirmed, names = parts
    return {
        "assigned": dict(assigned),
        "excluded": {m: sorted(s) for m, s in excluded.items()},
        "confirmed": sorted(confirmed),
        "names": {p: list(n) for p, n in names.items()},
    }


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "old.sqlite"
    shutil.copyfile(OLD_STORE, path)
    return path


def test_head_matches_schema_py(tmp_path: Path) -> None:
    """A new store is created at head, and head is exactly ``schema.py`` (else: a revision)."""
    store = connect(f"sqlite:///{tmp_path}/new.sqlite")
    assert schema_version(store) == head_version()
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), t.metadata) == []


def test_0_1_0_store_is_migrated_and_keeps_everything(old_store: Path) -> None:
    assert _version_rows(old_store) == []  # 0.1.0 recorded no version
    before = _dump(old_store)
    store = connect(f"sqlite:///{old_store}")
    assert schema_version(store) == head_version()
    assert _dump(old_store) == before  # not a row lost or changed
    assert {k: len(v) for k, v in before.items()} == EXPECTED["counts"]

    fields = sorted(EXPECTED["history"][0])  # what 0.1.0's Decision had
    got = [{f: _plain(getattr(d, f)) for f in fields} for d in history(store)]
    assert got == EXPECTED["history"]
    kinds = [(d["kind"], d["actor"], d["target"], d["version"]) for d in got]
    assert kinds == [
        ("assign", "ann", None, 1),
        ("not_person", "bob", None, 2),
        ("confirm", "cli", None, 3),
        ("assign", "web:carol", None, 4),
        ("not_person", "web:carol", None, 5),
        ("undo", "ann", 1, 6),
    ]
    assert _state(store) == EXPECTED["state"]
    assert load_predictions(store) == EXPECTED["predictions"]
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), t.metadata) == []
    # and it goes on working: a new decision is version 7
    d = record(
        store, slug="jiarui-fenwick", kind="confirm", mention_ids=["W19-3212#1"],
        person="jiarui-fenwick-tsinghua", expected_version=6,
    )  # fmt: skip
    assert d.version == 7


def test_opening_twice_is_a_no_op(old_store: Path) -> None:
    connect(f"sqlite:///{old_store}").dispose()
    with sqlite3.connect(old_store) as conn:
        before = list(conn.iterdump())
    store = connect(f"sqlite:///{old_store}")
    assert migrate(store) == head_version()
    store.dispose()
    with sqlite3.connect(old_store) as conn:
        assert list(conn.iterdump()) == before
    assert _version_rows(old_store) == [(head_version(),)]


def _stamp(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def test_a_newer_store_is_refused_with_one_line(old_store: Path) -> None:
    connect(f"sqlite:///{old_store}").dispose()
    _stamp(old_store, "9999_from_the_future")
    before = _dump(old_store)
    with pytest.raises(BylineError) as err:
        connect(f"sqlite:///{old_store}")
    msg = str(err.value)
    assert "\n" not in msg
    assert str(old_store) in msg and "9999_from_the_future" in msg
    assert "newer than this byline" in msg and "upgrade byline" in msg
    assert _dump(old_store) == before
    assert _version_rows(old_store) == [("9999_from_the_future",)]

    db = f"sqlite:///{old_store}"
    for args in (
        ["export", "--patch", str(old_store.parent / "x.patch"), "--db", db],
        ["ingest", str(FIXTURES / "anthology-2025-11"), "--db", db],
        ["split", "jiarui-fenwick", "--db", db],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 1, (args, res.output)
        assert isinstance(res.exception, SystemExit), (args, res.exception)
        assert "Traceback" not in res.output
        assert "upgrade byline" in res.output, (args, res.output)
    assert _dump(old_store) == before


def _scripts_with(tmp_path: Path, name: str, body: str) -> Path:
    """The shipped migrations plus one more revision after head."""
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / f"{name}.py").write_text(
        f"revision = {name!r}\ndown_revision = {head_version()!r}\n"
        "branch_labels = None\ndepends_on = None\n\n"
        "from alembic import op\nimport sqlalchemy as sa\n\n" + body,
        encoding="utf-8",
    )
    return scripts


ADD_COLUMN = """
def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("reviewed", sa.Boolean, nullable=False, server_default="0"))
    op.execute("UPDATE decisions SET reviewed = 1 WHERE kind = 'confirm'")
"""

BROKEN = """
def upgrade() -> None:
    op.create_table("half_done", sa.Column("x", sa.Integer))
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("reviewed", sa.Boolean, nullable=False, server_default="0"))
    op.execute("UPDATE no_such_table SET x = 1")
"""


def test_a_0_1_0_store_goes_through_baseline_and_a_later_revision(
    old_store: Path, tmp_path: Path
) -> None:
    before = _dump(old_store)
    scripts = _scripts_with(tmp_path, "0002_reviewed", ADD_COLUMN)
    store = connect(f"sqlite:///{old_store}")  # to the shipped head first, then one more
    assert migrate(store, scripts) == "0002_reviewed"
    assert _version_rows(old_store) == [("0002_reviewed",)]
    with sqlite3.connect(old_store) as conn:
        reviewed = conn.execute("SELECT id, reviewed FROM decisions ORDER BY id").fetchall()
    assert reviewed == [(1, 0), (2, 0), (3, 1), (4, 0), (5, 0), (6, 0)]
    assert len(_dump(old_store)["decisions"]) == len(before["decisions"])
    # the shipped code does not know 0002: refused
    with pytest.raises(BylineError, match="newer than this byline"):
        connect(f"sqlite:///{old_store}")


def test_a_failing_migration_leaves_the_store_as_it_was(old_store: Path, tmp_path: Path) -> None:
    """Stamping the 0.1.0 store and the failing revision are one transaction: all undone."""
    with sqlite3.connect(old_store) as conn:
        before = list(conn.iterdump())
    scripts = _scripts_with(tmp_path, "0002_broken", BROKEN)
    engine = create_engine(f"sqlite:///{old_store}")
    with pytest.raises(BylineError) as err:
        migrate(engine, scripts)
    engine.dispose()
    msg = str(err.value)
    assert "\n" not in msg
    assert "from none to 0002_broken failed" in msg and "the store is unchanged" in msg
    assert "no_such_table" in msg
    with sqlite3.connect(old_store) as conn:
        assert list(conn.iterdump()) == before  # no version, no half_done, no new column


def test_baseline_is_the_first_revision() -> None:
    assert BASELINE == "0001"
    assert head_version() == "0003"  # bump this with every schema change


def test_a_0_1_0_store_has_no_changed_names_pending(old_store: Path) -> None:
    """0002 adds the record of changed names, empty: the old predictions came from a whole
    `split --all`, so `split --changed` has nothing to do."""
    store = connect(f"sqlite:///{old_store}")
    assert changed_names(store) == ChangedNames([], 0)
    assert set(EXPECTED["counts"]) < set(inspect(store).get_table_names())


def test_a_0_1_0_store_gets_an_empty_request_queue(old_store: Path) -> None:
    """0003 adds the queue of author-page requests (`byline intake --queue`), empty."""
    from byline.store.intake_queue import queued_requests

    store = connect(f"sqlite:///{old_store}")
    assert queued_requests(store, status=None) == []
    assert "intake_requests" in inspect(store).get_table_names()


# ---------------------------------------------------------------- the ingested data path


def test_export_reads_the_ingested_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FIXTURES / "anthology-2025-11", tmp_path / "lib")
    monkeypatch.chdir(tmp_path)  # the default tarball is not here: only the recorded path
    db = f"sqlite:///{tmp_path}/s.sqlite"
    res = runner.invoke(app, ["ingest", "lib", "--db", db, "--json"])  # a relative path
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["schema"] == head_version()
    store = connect(db)
    assert ingested_path(store) == tmp_path / "lib"
    assert ingested_path(store).is_absolute()
    record(
        store, slug="jiarui-fenwick", kind="assign", mention_ids=["W19-3201#1"],
        person="jiarui-fenwick-edinburgh",
    )  # fmt: skip
    res = runner.invoke(app, ["export", "--patch", "d.patch", "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    assert "+++ b/data/xml/W19.xml" in (tmp_path / "d.patch").read_text()

    # the data moved: a clear line; ingesting it from where it is now records the new path
    (tmp_path / "lib").rename(tmp_path / "moved")
    res = runner.invoke(app, ["export", "--patch", "e.patch", "--db", db])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "no longer exists" in res.output and "--data" in res.output
    assert str(tmp_path / "lib") in res.output.replace("\n", "")
    assert not (tmp_path / "e.patch").exists()
    report = ingest(store, tmp_path / "moved")
    assert not report.changed
    assert ingested_path(store) == tmp_path / "moved"
    res = runner.invoke(app, ["export", "--patch", "e.patch", "--db", db])
    assert res.exit_code == 0, res.output


def test_a_0_1_0_store_has_no_recorded_path(old_store: Path) -> None:
    assert ingested_path(connect(f"sqlite:///{old_store}")) is None


# ------------------------------------------------------------------------ on PostgreSQL


def _baseline_metadata() -> MetaData:
    """The tables of byline 0.1.0: the baseline revision's frozen copy (``schema.py`` has
    moved on since)."""
    path = MIGRATIONS / "versions" / "0001_baseline.py"
    spec = importlib.util.spec_from_file_location("byline_baseline_0001", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.metadata


def _pg_schema(pg_url: str, name: str) -> str:  # noqa: F811
    """A URL whose tables live in a new, empty schema ``name`` of the test database."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    engine.dispose()
    return f"{pg_url}&options=-csearch_path%3D{name}"


def _pg_tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_postgresql_0_1_0_store_new_store_and_newer_store(pg_url: str) -> None:  # noqa: F811
    url = _pg_schema(pg_url, "byline_legacy")
    old = create_engine(url)
    _baseline_metadata().create_all(old)  # what byline 0.1.0's connect did: tables, no version
    with old.begin() as conn:
        conn.execute(insert(t.meta), {"key": "layout", "value": "2025-11"})
    old.dispose()
    store = connect(url)
    assert schema_version(store) == head_version()
    with store.connect() as conn:
        assert conn.execute(select(t.meta.c.value)).scalars().all() == ["2025-11"]
        assert compare_metadata(MigrationContext.configure(conn), t.metadata) == []
    assert migrate(store) == head_version()  # again: nothing to do
    with store.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    store.dispose()
    with pytest.raises(BylineError, match="newer than this byline .*upgrade byline") as err:
        connect(url)
    assert "\n" not in str(err.value)

    fresh = connect(_pg_schema(pg_url, "byline_new"))
    assert schema_version(fresh) == head_version()
    fresh.dispose()


def test_postgresql_failing_migration_is_rolled_back(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    url = _pg_schema(pg_url, "byline_broken")
    engine = create_engine(url)
    with pytest.raises(BylineError, match="0002_broken failed .*the store is unchanged"):
        migrate(engine, _scripts_with(tmp_path, "0002_broken", BROKEN))
    engine.dispose()
    assert _pg_tables(url) == set()  # not even the baseline's tables or the version table
