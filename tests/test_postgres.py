"""The store on PostgreSQL (by URL): ingest, decisions with versions, predictions, cache.

Uses ``BYLINE_TEST_PG`` (a SQLAlchemy URL of an empty database) when set; else starts a
throwaway PostgreSQL server in a temporary folder with the machine's ``initdb``/``pg_ctl``
(Debian's ``postgresql`` package, installed by ``.ci/run``); skips when neither exists.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from byline.store import connect
from byline.store.artifacts import cached
from byline.store.corpus import load_corpus
from byline.store.decisions import StaleVersion, decided_state, name_version, record, undo
from byline.store.ingest import ingest
from byline.store.predictions import load_predictions, save_predictions

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    return found


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    pytest.importorskip("psycopg", reason="psycopg (the PostgreSQL driver) is not installed")
    if os.environ.get("BYLINE_TEST_PG"):
        yield os.environ["BYLINE_TEST_PG"]
        return
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("no PostgreSQL server binaries (apt-get install postgresql)")
    # Not under pytest's tmp folder: its parents are private to root, and the server may
    # run as the `postgres` user.
    root = Path(tempfile.mkdtemp(prefix="byline-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: use the package's own user
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser")
        os.chmod(root, 0o777)
        os.chmod(sock, 0o777)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-U", "byline", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_user,
            pg_ctl,
            "-D",
            str(data),
            "-w",
            "-o",
            f"-p {port} -k {sock} -c listen_addresses=''",
            "-l",
            str(root / "log"),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://byline@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def test_the_store_works_on_postgresql(pg_url: str) -> None:
    store = connect(pg_url)
    report = ingest(store, FIXTURE)
    assert report.papers_written == 10 and report.mentions_written == 28
    assert not ingest(store, FIXTURE).changed  # idempotent
    corpus = load_corpus(store)
    assert len(corpus.blocks["jiarui-fenwick"]) == 9
    assert corpus.is_catch_all("jiarui-fenwick")

    v = name_version(store, "jiarui-fenwick")
    d = record(
        store,
        slug="jiarui-fenwick",
        kind="assign",
        mention_ids=["W19-3201#1", "P19-1001#0"],
        person="jiarui-fenwick-edinburgh",
        actor="ann",
        expected_version=v,
    )
    with pytest.raises(StaleVersion):
        record(
            store,
            slug="jiarui-fenwick",
            kind="not_person",
            mention_ids=["W19-3201#1"],
            person="jiarui-fenwick-edinburgh",
            expected_version=v,
        )
    assert decided_state(store).assignments() == dict.fromkeys(
        ["P19-1001#0", "W19-3201#1"], "jiarui-fenwick-edinburgh"
    )
    undo(store, d.id, actor="bob")
    assert decided_state(store).assignments() == {}

    save_predictions(store, [("W19-3201#1", "jiarui-fenwick", "k1", 0.9)], "v1")
    assert load_predictions(store, ["jiarui-fenwick"]) == {"W19-3201#1": "k1"}
    assert cached(store, "probe", "1", lambda: {"x": 1}) == {"x": 1}
    assert cached(store, "probe", "1", lambda: {"x": 2}) == {"x": 1}
