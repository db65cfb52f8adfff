"""`byline split --all --dask`: the blocks on a Dask cluster give the local run's predictions.

On the known-split fixture: a LocalCluster of two worker processes through the CLI, and a
cluster of threads in this process for batches, a failing batch and the error lines.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from test_postgres import pg_url  # noqa: F401  (a throwaway PostgreSQL server)
from typer.testing import CliRunner

from byline.cli import app
from byline.engine import Engine, load_engine
from byline.errors import BylineError
from byline.store import connect
from byline.store.predictions import load_prediction_rows
from byline.tasks import dask_split
from byline.tasks.dask_split import DaskOptions
from byline.tasks.split import split_all

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
runner = CliRunner()


def copy_store(src: Path, dst: Path) -> None:
    """A consistent copy of a SQLite store (its write-ahead log included)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def _rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM predictions ORDER BY mention_id").fetchall()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture ingested and split once: embeddings cached, last predictions stored, and
    one stored prediction of a name no longer in the library."""
    path = tmp_path_factory.mktemp("dask") / "base.sqlite"
    db = f"sqlite:///{path}"
    res = runner.invoke(app, ["ingest", str(FIXTURE), "--db", db])
    assert res.exit_code == 0, res.output
    out = path.with_name("first.jsonl")
    res = runner.invoke(app, ["split", "--all", "--out", str(out), "--db", db, "--workers", "1"])
    assert res.exit_code == 0, res.output
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO predictions VALUES ('X00-1000#0', 'gone-name', 'gone-name/1', 1.0, 'v')"
        )
    return path


@pytest.fixture
def copies(base: Path, tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    copy_store(base, a)
    copy_store(base, b)
    return a, b


def _local(path: Path, out: Path) -> None:
    res = runner.invoke(
        app, ["split", "--all", "--out", str(out), "--db", f"sqlite:///{path}", "--workers", "1"]
    )
    assert res.exit_code == 0, res.output


def test_local_cluster_processes_equal_the_local_run(
    copies: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = copies
    _local(a, tmp_path / "local.jsonl")
    res = runner.invoke(
        app,
        ["split", "--all", "--dask", "local", "--workers", "2", "--out",
         str(tmp_path / "dask.jsonl"), "--db", f"sqlite:///{b}", "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["dask"] == "local" and summary["workers"] == 2
    assert summary["names"] == 9 and summary["mentions"] == 28 and summary["batches"] == 1
    local = (tmp_path / "local.jsonl").read_text(encoding="utf-8")
    assert (tmp_path / "dask.jsonl").read_text(encoding="utf-8") == local
    assert len(local.splitlines()) == 28
    assert not (tmp_path / "dask.jsonl.part").exists()
    assert _rows(b) == _rows(a)  # the gone name's prediction dropped by both
    assert "gone-name" not in {r[1] for r in _rows(b)}


def _engine(path: Path) -> Engine:
    return load_engine(f"sqlite:///{path}")


def test_small_batches_on_threads_equal_the_local_run(
    copies: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = copies
    _local(a, tmp_path / "local.jsonl")
    progress: list[tuple[str, int, int]] = []
    opts = DaskOptions("local", workers=2, batch=2, processes=False)
    counts = split_all(
        _engine(b), tmp_path / "dask.jsonl", dask=opts, progress=lambda *a: progress.append(a)
    )
    assert counts["batches"] == 5 and counts["mentions"] == 28 and counts["persons"] == 11
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert _rows(b) == _rows(a)
    splits = [p for p in progress if p[0] == "split"]
    assert splits[-1] == ("split", 9, 9) and len(splits) == 5


def test_a_batch_that_keeps_failing_is_reported_and_the_others_stored(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.sqlite"
    copy_store(base, path)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM predictions")
    calls: list[str] = []
    real = Engine.split_blocks

    def flaky(self: Engine, slugs: list[str]):  # type: ignore[no-untyped-def]
        if "jiarui-fenwick" in slugs:
            calls.append("jiarui-fenwick")
            raise RuntimeError("disk on fire")
        return real(self, slugs)

    monkeypatch.setattr(Engine, "split_blocks", flaky)
    engine = _engine(path)
    out = tmp_path / "p.jsonl"
    opts = DaskOptions("local", workers=2, batch=2, retries=1, processes=False)
    with pytest.raises(BylineError) as err:
        split_all(engine, out, dask=opts)
    msg = str(err.value)
    assert "\n" not in msg
    assert "1 of 5 batches failed after 2 tries" in msg
    assert "names jiarui-fenwick .. morag-e-kilbride" in msg  # sorted names, two per batch
    assert "RuntimeError: disk on fire" in msg
    assert "the other batches' predictions are stored" in msg
    assert calls == ["jiarui-fenwick", "jiarui-fenwick"]  # tried twice
    assert not out.exists() and not out.with_name("p.jsonl.part").exists()
    stored = {r[1] for r in _rows(path)}
    assert stored == set(engine.corpus.blocks) - {"jiarui-fenwick", "morag-e-kilbride"}


def test_unreachable_scheduler_is_one_line(base: Path) -> None:
    engine = _engine(base)
    opts = DaskOptions("tcp://127.0.0.1:9", timeout=1)
    with pytest.raises(BylineError) as err:
        split_all(engine, base.with_name("never.jsonl"), dask=opts)
    msg = str(err.value)
    assert "\n" not in msg
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in msg
    assert "dask scheduler" in msg and "--dask local" in msg


def test_a_worker_that_cannot_open_the_store_is_named(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        dask_split, "check_worker", lambda url, version: "cannot open the store: no store at X"
    )
    opts = DaskOptions("local", workers=1, processes=False)
    with pytest.raises(BylineError) as err:
        split_all(_engine(base), base.with_name("never.jsonl"), dask=opts)
    msg = str(err.value)
    assert "\n" not in msg
    assert "1 of 1 Dask workers cannot split" in msg and "no store at X" in msg
    assert "PostgreSQL" in msg


def test_cli_usage_errors(base: Path) -> None:
    db = f"sqlite:///{base}"
    res = runner.invoke(app, ["split", "jiarui-fenwick", "--dask", "local", "--db", db])
    assert res.exit_code == 2 and "--dask runs --all" in res.stderr
    res = runner.invoke(
        app, ["split", "--all", "--dask", "tcp://127.0.0.1:9", "--workers", "2", "--db", db]
    )
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "--workers is for --dask local" in " ".join(res.stderr.split())


def test_store_url_is_absolute_for_workers(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(base.parent)
    engine = load_engine(f"sqlite:///{base.name}")
    assert dask_split.store_url(engine.store) == f"sqlite:///{base}"


def test_on_postgresql_workers_open_the_store_by_url(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    """A worker process reaches the PostgreSQL store by the --db URL (password and options
    kept); the run stores what the local run stored."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS byline_dask CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA byline_dask")
    engine.dispose()
    db = f"{pg_url}&options=-csearch_path%3Dbyline_dask"
    res = runner.invoke(app, ["ingest", str(FIXTURE), "--db", db])
    assert res.exit_code == 0, res.output
    local, dask = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    res = runner.invoke(app, ["split", "--all", "--out", str(local), "--db", db, "--workers", "1"])
    assert res.exit_code == 0, res.output
    stored = load_prediction_rows(connect(db))
    res = runner.invoke(
        app, ["split", "--all", "--dask", "local", "--workers", "1", "--out", str(dask), "--db", db]
    )
    assert res.exit_code == 0, res.output
    assert dask.read_bytes() == local.read_bytes()
    assert load_prediction_rows(connect(db)) == stored


def test_a_batch_that_fails_once_is_sent_again_with_a_fresh_share(
    copies: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = copies
    _local(a, tmp_path / "local.jsonl")
    shares: list[int] = []
    real_share = dask_split.batch_share

    def counted(engine, slugs, order):  # type: ignore[no-untyped-def]
        shares.append(len(slugs))
        return real_share(engine, slugs, order)

    calls: list[str] = []
    real = Engine.split_blocks

    def once(self: Engine, slugs: list[str]):  # type: ignore[no-untyped-def]
        if "jiarui-fenwick" in slugs and not calls:
            calls.append("jiarui-fenwick")
            raise RuntimeError("worker went away")
        return real(self, slugs)

    monkeypatch.setattr(dask_split, "batch_share", counted)
    monkeypatch.setattr(Engine, "split_blocks", once)
    opts = DaskOptions("local", workers=2, batch=2, retries=1, processes=False)
    counts = split_all(_engine(b), tmp_path / "dask.jsonl", dask=opts)
    assert counts["batches"] == 5 and calls == ["jiarui-fenwick"]
    assert len(shares) == 6  # five batches, one of them cut again for its second try
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert _rows(b) == _rows(a)
