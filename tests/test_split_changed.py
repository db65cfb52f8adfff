"""`byline split --changed`: after an ingest, only the names it touched are split again.

On a copy of the known-split fixture: ingest, ``split --all``; then one volume changes (a
paper removed) and one is added; ingest again and ``split --changed``. The touched names
must come out exactly as a full ``split --all`` of the same store gives them, and every
other name's stored predictions must not move.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from typer.testing import CliRunner

from byline.cli import app
from byline.store import connect
from byline.store.changed import changed_names
from byline.store.ingest import ingest

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
runner = CliRunner()

NEW_VOLUME = """<?xml version='1.0' encoding='UTF-8'?>
<collection id="2025.acl">
  <volume id="long" type="proceedings">
    <meta>
      <booktitle>Proceedings of the 63rd Annual Meeting of the ACL</booktitle>
      <year>2025</year>
      <venue>acl</venue>
    </meta>
    <paper id="1">
      <title>Speech Recognition for Noisy Low-Resource Recordings</title>
      <author><first>Jiarui</first><last>Fenwick</last><affiliation>Tsinghua University</affiliation></author>
      <author><first>Xiaoyu</first><last>Penhale</last></author>
      <author><first>Ines</first><last>Marwood</last></author>
      <abstract>Noise-robust acoustic models for languages with little transcribed speech.</abstract>
      <url hash="00000099">2025.acl-long.1</url>
      <bibkey>fenwick-etal-2025-speech</bibkey>
    </paper>
  </volume>
</collection>
"""  # noqa: E501

# W19.xml holds Kilbride, Fenwick, Lindqvist (paper 1) and Penhale, Fenwick, Dalby (paper
# 12, removed below); the new volume Fenwick, Penhale and a new name.
TOUCHED = {
    "jiarui-fenwick",
    "morag-kilbride",
    "tobias-lindqvist",
    "xiaoyu-penhale",
    "wenjie-dalby",
    "ines-marwood",
}
UNTOUCHED = {
    "felicity-nakamura-osei",
    "gordon-achterberg",
    "morag-e-kilbride",
    "tobias-j-lindqvist",
}


def invoke(*args: str) -> Any:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def rows(path: Path) -> dict[str, tuple]:
    """Stored predictions: mention_id -> (slug, person, confidence, model version)."""
    with sqlite3.connect(path) as conn:
        return {r[0]: r[1:] for r in conn.execute("SELECT * FROM predictions")}


def by_slug(preds: dict[str, tuple], slugs: set[str]) -> dict[str, tuple]:
    return {m: r for m, r in preds.items() if r[0] in slugs}


def copy_store(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def remove_paper(xml: Path, paper_id: str) -> None:
    tree = etree.parse(str(xml))
    for paper in tree.getroot().iter("paper"):
        if paper.findtext("url").strip() == paper_id:
            paper.getparent().remove(paper)
    tree.write(str(xml), xml_declaration=True, encoding="UTF-8")


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE / "data", tmp_path / "lib" / "data")
    return tmp_path / "lib"


def test_ingest_records_the_names_it_changes(lib: Path, tmp_path: Path) -> None:
    store = connect(f"sqlite:///{tmp_path}/s.sqlite")
    report = ingest(store, lib)
    every = changed_names(store)
    assert report.names_changed == len(every.slugs) == 9 and every.seq == 1
    assert not ingest(store, lib).changed
    assert changed_names(store) == every  # nothing changed: nothing new recorded

    remove_paper(lib / "data" / "xml" / "W19.xml", "W19-3212")
    report = ingest(store, lib)
    assert report.names_changed == 5  # W19's names before and after: both papers' authors
    pending = changed_names(store)
    assert pending.seq == 2 and pending.slugs == every.slugs  # still all: none split yet

    # a registry entry edited: the names whose mentions carry its id
    with sqlite3.connect(tmp_path / "s.sqlite") as conn:
        conn.execute("DELETE FROM changed_names")
    reg = lib / "data" / "yaml" / "name_variants.yaml"
    reg.write_text(reg.read_text().replace("degree: Uppsala University", "degree: Lund University"))
    report = ingest(store, lib)
    assert report.registry_changed and report.files_changed == []
    assert changed_names(store).slugs == ["tobias-lindqvist"]
    assert changed_names(store).seq == 3


def test_split_changed_equals_split_all_for_touched_names(lib: Path, tmp_path: Path) -> None:
    a = tmp_path / "a.sqlite"
    db = f"sqlite:///{a}"
    invoke("ingest", str(lib), "--db", db)
    invoke("split", "--all", "--out", str(tmp_path / "first.jsonl"), "--db", db, "--workers", "1")
    before = rows(a)
    assert changed_names(connect(db)).slugs == []  # split --all caught up with everything
    res = invoke("split", "--changed", "--db", db, "--json")
    assert json.loads(res.stdout)["names"] == 0

    remove_paper(lib / "data" / "xml" / "W19.xml", "W19-3212")
    (lib / "data" / "xml" / "2025.acl.xml").write_text(NEW_VOLUME, encoding="utf-8")
    invoke("ingest", str(lib), "--db", db)
    assert set(changed_names(connect(db)).slugs) == TOUCHED

    b = tmp_path / "b.sqlite"  # the same store, split whole
    copy_store(a, b)
    invoke("split", "--all", "--out", str(tmp_path / "all.jsonl"), "--db", f"sqlite:///{b}",
           "--workers", "1")  # fmt: skip

    res = invoke(
        "split", "--changed", "--db", db, "--json", "--workers", "1",
        "--out", str(tmp_path / "changed.jsonl"),
    )  # fmt: skip
    summary = json.loads(res.stdout)
    assert summary["names"] == len(TOUCHED) and summary["names_gone"] == 0
    assert summary["mentions"] == 23 and summary["mentions_new"] == 3
    after, full = rows(a), rows(b)
    assert by_slug(after, TOUCHED) == by_slug(full, TOUCHED)  # same persons, keys, confidence
    assert by_slug(after, UNTOUCHED) == by_slug(before, UNTOUCHED)  # not a row moved
    assert set(after) == set(full)  # the removed paper's mentions are gone
    assert not any(m.startswith("W19-3212") for m in after)
    assert changed_names(connect(db)).slugs == []

    # the file --changed writes: the whole library in split --all's order
    lines = [json.loads(x) for x in (tmp_path / "changed.jsonl").read_text().splitlines()]
    full_lines = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert [x["mention_id"] for x in lines] == [x["mention_id"] for x in full_lines]
    slug_of = {m: r[0] for m, r in after.items()}
    touched_lines = [x for x in lines if slug_of[x["mention_id"]] in TOUCHED]
    assert touched_lines == [x for x in full_lines if slug_of[x["mention_id"]] in TOUCHED]

    # the new volume is corrected: the misspelt new name loses its predictions
    (lib / "data" / "xml" / "2025.acl.xml").write_text(
        NEW_VOLUME.replace("<last>Marwood</last>", "<last>Marwood-Hale</last>"), encoding="utf-8"
    )
    invoke("ingest", str(lib), "--db", db)
    res = invoke("split", "--changed", "--db", db, "--json", "--workers", "1")
    summary = json.loads(res.stdout)
    assert summary["names"] == 3 and summary["names_gone"] == 1  # Fenwick, Penhale, the new
    names = {r[0] for r in rows(a).values()}
    assert "ines-marwood" not in names and "ines-marwood-hale" in names
    assert by_slug(rows(a), UNTOUCHED) == by_slug(before, UNTOUCHED)


def test_split_changed_usage(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/s.sqlite"
    invoke("ingest", str(FIXTURE), "--db", db)
    res = runner.invoke(app, ["split", "--changed", "--all", "--db", db])
    assert res.exit_code == 2
    res = runner.invoke(app, ["split", "--changed", "--dask", "local", "--db", db])
    assert res.exit_code == 2 and "--dask runs --all" in res.stderr
    # nothing split yet: every name is pending, and the human line says so
    res = invoke("split", "--changed", "--db", db, "--workers", "1")
    assert "split 9 changed names again" in " ".join(res.stderr.split())
    res = invoke("split", "--changed", "--db", db)
    assert "no name changed since the last split" in res.stderr


def test_split_changed_says_when_other_names_keep_another_models_predictions(
    lib: Path, tmp_path: Path
) -> None:
    path = tmp_path / "s.sqlite"
    db = f"sqlite:///{path}"
    invoke("ingest", str(lib), "--db", db)
    invoke("split", "--all", "--out", str(tmp_path / "p.jsonl"), "--db", db, "--workers", "1")
    res = invoke("split", "--changed", "--db", db, "--json")
    assert json.loads(res.stdout)["predictions_of_other_models"] == 0
    # as after an upgrade: every stored prediction is an older model's
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE predictions SET model_version = 'lgbm-old'")
    remove_paper(lib / "data" / "xml" / "W19.xml", "W19-3212")
    invoke("ingest", str(lib), "--db", db)
    res = invoke("split", "--changed", "--db", db, "--json")
    got = json.loads(res.stdout)
    untouched = sum(1 for r in rows(path).values() if r[0] not in TOUCHED)
    assert got["other_model_versions"] == ["lgbm-old"]
    assert got["predictions_of_other_models"] == untouched > 0
    assert {r[3] for r in rows(path).values() if r[0] in TOUCHED} == {got["model_version"]}
    remove_paper(lib / "data" / "xml" / "W19.xml", "W19-3201")
    invoke("ingest", str(lib), "--db", db)
    res = invoke("split", "--changed", "--db", db, "--workers", "1")
    text = " ".join(res.stderr.split())
    assert "come from lgbm-old, not from the model in use" in text
    assert "`byline split --all` splits every name with it" in text
