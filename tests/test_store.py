"""The store: incremental, all-or-nothing ingest; the in-memory corpus and its masked copy."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from byline.errors import BylineError, DataError
from byline.store import connect
from byline.store import schema as t
from byline.store.corpus import load_corpus
from byline.store.ingest import ingest

FIXTURE = "anthology-2025-11"
XML_FILES = ["xml/2024.acl.xml", "xml/P19.xml", "xml/W19.xml"]
MakeTarball = Callable[[str | Path], Path]

BROKEN_XML = b"""<?xml version='1.0' encoding='UTF-8'?>
<collection id="Z20">
  <volume id="1">
    <paper id="1">
      <title>A Paper Whose Title Tag Is Never Closed</titel>
      <author><first>Ann</first><last>Lee</last></author>
    </paper>
  </volume>
</collection>
"""


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    return connect(f"sqlite:///{tmp_path}/s.sqlite")


@pytest.fixture
def data_copy(fixtures_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the 2025-11 fixture; returns its ``data/`` folder."""
    dest = tmp_path / FIXTURE
    shutil.copytree(fixtures_dir / FIXTURE, dest)
    return dest / "data"


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.papers, t.mentions, t.persons, t.source_files)
        }


def rows(engine: Engine, table, key: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {r[key]: dict(r) for r in conn.execute(select(table)).mappings()}


def snapshot(engine: Engine) -> tuple:
    """Everything ingest writes, to compare a store before and after."""
    return (
        rows(engine, t.papers, "paper_id"),
        rows(engine, t.mentions, "mention_id"),
        rows(engine, t.persons, "person_id"),
        rows(engine, t.source_files, "path"),
    )


FULL = {"papers": 10, "mentions": 28, "persons": 5, "source_files": 4}


def test_first_ingest(store: Engine, fixtures_dir: Path) -> None:
    report = ingest(store, fixtures_dir / FIXTURE)
    assert report.layout == "2025-11"
    assert report.files_total == 4
    assert report.files_changed == XML_FILES
    assert report.files_removed == []
    assert report.registry_changed is True
    assert report.changed is True
    assert report.papers_written == 10
    assert report.mentions_written == 28
    assert counts(store) == FULL

    papers = rows(store, t.papers, "paper_id")
    assert papers["W19-3212"]["source"] == "xml/W19.xml"
    assert papers["W19-3212"]["year"] == 2019
    assert papers["2024.acl-long.4"]["title"] == (
        "BERTScore < Human Judgments: Revisiting Metric Validity for MT Evaluation"
    )
    mentions = rows(store, t.mentions, "mention_id")
    m = mentions["2024.acl-long.1#0"]
    assert (m["person_id"], m["orcid"], m["slug"]) == (
        "jiarui-fenwick-edinburgh",
        "0000-0003-1415-9269",
        "jiarui-fenwick",
    )
    assert mentions["P19-1003#0"]["first"] == "Morag E."
    persons = rows(store, t.persons, "person_id")
    assert persons["morag-kilbride"]["explicit"] is False
    assert persons["jiarui-fenwick"]["comment"] == "May refer to several people"


def test_second_ingest_changes_nothing(store: Engine, fixtures_dir: Path) -> None:
    ingest(store, fixtures_dir / FIXTURE)
    before = snapshot(store)
    report = ingest(store, fixtures_dir / FIXTURE)
    assert report.changed is False
    assert report.files_changed == [] and report.files_removed == []
    assert report.registry_changed is False
    assert report.papers_written == 0 and report.mentions_written == 0
    assert counts(store) == FULL
    assert snapshot(store) == before


def test_changed_file_is_reread_alone(store: Engine, data_copy: Path) -> None:
    ingest(store, data_copy)
    papers_before, mentions_before, persons_before, _ = snapshot(store)
    p19 = data_copy / "xml" / "P19.xml"
    old = "Modelling Discourse Coherence in Document-Level Translation"
    new = "Modelling Discourse Coherence in Document-Level Machine Translation"
    text = p19.read_text(encoding="utf-8")
    assert text.count(old) == 1
    p19.write_text(text.replace(old, new), encoding="utf-8")

    report = ingest(store, data_copy)
    assert report.changed is True
    assert report.files_changed == ["xml/P19.xml"]
    assert report.files_removed == []
    assert report.registry_changed is False
    assert report.papers_written == 3  # the three papers of P19.xml only
    assert report.mentions_written == 7
    assert counts(store) == FULL

    papers, mentions, persons, files = snapshot(store)
    assert papers["P19-1003"]["title"] == new
    for pid, row in papers_before.items():
        if pid != "P19-1003":
            assert papers[pid] == row, pid
    assert mentions == mentions_before
    assert persons == persons_before
    # the stored digest follows the file: a third ingest is a no-op again
    assert ingest(store, data_copy).changed is False


def test_removed_file_removes_its_papers(store: Engine, data_copy: Path) -> None:
    ingest(store, data_copy)
    papers_before = rows(store, t.papers, "paper_id")
    (data_copy / "xml" / "W19.xml").unlink()
    report = ingest(store, data_copy)
    assert report.files_removed == ["xml/W19.xml"]
    assert report.files_changed == []
    assert report.changed is True
    assert counts(store) == {"papers": 8, "mentions": 22, "persons": 5, "source_files": 3}
    papers = rows(store, t.papers, "paper_id")
    assert set(papers) == set(papers_before) - {"W19-3201", "W19-3212"}
    mentions = rows(store, t.mentions, "mention_id")
    assert not [m for m in mentions if m.startswith("W19-")]
    assert "xml/W19.xml" not in rows(store, t.source_files, "path")
    corpus = load_corpus(store)
    assert len(corpus.blocks["jiarui-fenwick"]) == 7


def test_added_file_is_read(store: Engine, data_copy: Path) -> None:
    ingest(store, data_copy)
    shutil.copy(data_copy / "xml" / "W19.xml", data_copy / "xml" / "W18.xml")
    w18 = data_copy / "xml" / "W18.xml"
    w18.write_text(
        w18.read_text(encoding="utf-8").replace('collection id="W19"', 'collection id="W18"'),
        encoding="utf-8",
    )
    report = ingest(store, data_copy)
    assert report.files_changed == ["xml/W18.xml"]
    assert report.papers_written == 2
    papers = rows(store, t.papers, "paper_id")
    assert {"W18-3201", "W18-3212", "W19-3201", "W19-3212"} <= set(papers)
    assert counts(store)["papers"] == 12


def test_registry_change_is_picked_up(store: Engine, data_copy: Path) -> None:
    ingest(store, data_copy)
    papers_before = rows(store, t.papers, "paper_id")
    registry = data_copy / "yaml" / "name_variants.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8")
        + "- canonical: {first: Xiaoyu, last: Penhale}\n  id: xiaoyu-penhale\n",
        encoding="utf-8",
    )
    report = ingest(store, data_copy)
    assert report.registry_changed is True
    assert report.files_changed == []
    assert report.papers_written == 0
    assert counts(store)["persons"] == 6
    assert "xiaoyu-penhale" in rows(store, t.persons, "person_id")
    assert rows(store, t.papers, "paper_id") == papers_before


def test_malformed_xml_names_file_and_line_and_leaves_store_as_it_was(
    store: Engine, data_copy: Path
) -> None:
    ingest(store, data_copy)
    before = snapshot(store)
    # a good change and a broken new file in the same run: neither may reach the store
    p19 = data_copy / "xml" / "P19.xml"
    p19.write_text(
        p19.read_text(encoding="utf-8").replace("Modelling Discourse", "Modeling Discourse"),
        encoding="utf-8",
    )
    (data_copy / "xml" / "Z20.xml").write_bytes(BROKEN_XML)
    with pytest.raises(DataError) as err:
        ingest(store, data_copy)
    assert err.value.path.endswith("Z20.xml")
    assert err.value.line == 5
    assert "Z20.xml:5" in str(err.value)
    assert "malformed XML" in str(err.value)

    assert counts(store) == FULL
    assert snapshot(store) == before
    assert rows(store, t.papers, "paper_id")["P19-1003"]["title"].startswith("Modelling")
    corpus = load_corpus(store)
    assert "2024.acl-long.1" in corpus.papers
    assert [m.mention_id for m in corpus.blocks["jiarui-fenwick"]][:1] == ["2024.acl-long.1#0"]

    # once the file is fixed, both the fix and the other change go in
    (data_copy / "xml" / "Z20.xml").write_bytes(BROKEN_XML.replace(b"</titel>", b"</title>"))
    report = ingest(store, data_copy)
    assert report.files_changed == ["xml/P19.xml", "xml/Z20.xml"]
    assert rows(store, t.papers, "paper_id")["P19-1003"]["title"].startswith("Modeling")
    assert counts(store)["papers"] == 11


def duplicate_collection(data: Path) -> None:
    """A stray copy of P19.xml (same collection id, so the same paper ids) plus a real
    change to W19.xml: writing fails half-way, after the stale rows were deleted."""
    shutil.copy(data / "xml" / "P19.xml", data / "xml" / "P19-copy.xml")
    w19 = data / "xml" / "W19.xml"
    w19.write_text(
        w19.read_text(encoding="utf-8").replace("Data Augmentation", "Data Synthesis"),
        encoding="utf-8",
    )


def test_failed_write_rolls_back_everything(store: Engine, data_copy: Path) -> None:
    ingest(store, data_copy)
    before = snapshot(store)
    duplicate_collection(data_copy)
    with pytest.raises(Exception):  # noqa: B017 - the type is checked by the next test
        ingest(store, data_copy)
    assert snapshot(store) == before
    assert rows(store, t.papers, "paper_id")["W19-3212"]["title"].startswith("Data Augmentation")


def test_duplicate_paper_id_is_a_clear_error(store: Engine, data_copy: Path) -> None:
    # two collection files giving the same paper id: a one-line BylineError naming the
    # files, not a raw database IntegrityError (which the CLI shows as a traceback)
    ingest(store, data_copy)
    duplicate_collection(data_copy)
    with pytest.raises(BylineError) as err:
        ingest(store, data_copy)
    assert "P19-1001" in str(err.value) or "P19-copy.xml" in str(err.value)


def test_tarball_ingest(store: Engine, make_tarball: MakeTarball) -> None:
    tarball = make_tarball(FIXTURE)
    report = ingest(store, tarball)
    assert report.layout == "2025-11"
    assert report.files_changed == XML_FILES
    assert counts(store) == FULL


def test_tarball_and_folder_are_the_same_library(
    store: Engine, fixtures_dir: Path, make_tarball: MakeTarball
) -> None:
    # files are known by their path inside data/ and their content: switching from the
    # folder to a tarball of it changes nothing
    ingest(store, fixtures_dir / FIXTURE)
    before = snapshot(store)
    report = ingest(store, make_tarball(FIXTURE))
    assert report.changed is False
    assert snapshot(store) == before


def test_tarball_of_changed_copy(store: Engine, data_copy: Path, make_tarball: MakeTarball) -> None:
    ingest(store, data_copy)
    (data_copy / "xml" / "W19.xml").unlink()
    report = ingest(store, make_tarball(data_copy.parent))
    assert report.files_removed == ["xml/W19.xml"]
    assert counts(store)["papers"] == 8


def test_missing_path_is_a_clear_error(store: Engine, tmp_path: Path) -> None:
    with pytest.raises(BylineError, match="no such file or folder"):
        ingest(store, tmp_path / "nowhere")
    assert counts(store) == {"papers": 0, "mentions": 0, "persons": 0, "source_files": 0}


# --- corpus --------------------------------------------------------------------------------


def test_load_corpus(store: Engine, fixtures_dir: Path) -> None:
    ingest(store, fixtures_dir / FIXTURE)
    corpus = load_corpus(store)
    assert len(corpus.papers) == 10
    assert sum(1 for _ in corpus.mentions) == 28
    assert len(corpus.persons) == 5
    paper = corpus.papers["2024.acl-long.3"]
    assert [m.position for m in paper.authors] == [0, 1, 2, 3]
    assert paper.venues == ("acl",)
    assert sorted(m.mention_id for m in corpus.blocks["jiarui-fenwick"]) == sorted(
        [
            "2024.acl-long.1#0",
            "P19-1001#0",
            "W19-3201#1",
            "2024.acl-short.1#1",
            "2024.acl-long.3#0",
            "2024.acl-long.2#1",
            "P19-1002#2",
            "W19-3212#1",
            "2024.acl-long.3#3",
        ]
    )
    assert corpus.is_catch_all("jiarui-fenwick")
    assert not corpus.is_catch_all("jiarui-fenwick-edinburgh")
    assert not corpus.is_catch_all(None)
    assert corpus.persons["jiarui-fenwick-tsinghua"].degree == "Tsinghua University"
    by_id = {m.person_id: m for m in corpus.mentions if m.person_id}
    assert corpus.explicit_id(by_id["jiarui-fenwick"]) is None  # a catch-all is no evidence
    assert corpus.explicit_id(by_id["jiarui-fenwick-edinburgh"]) == "jiarui-fenwick-edinburgh"
    assert corpus.explicit_id(next(m for m in corpus.mentions if not m.person_id)) is None


def test_masked_hides_evidence_of_given_mentions_only(store: Engine, fixtures_dir: Path) -> None:
    ingest(store, fixtures_dir / "anthology-2026-json")
    corpus = load_corpus(store)
    target = next(
        m
        for m in corpus.mentions
        if m.person_id == "jiarui-fenwick-edinburgh" and m.orcid and m.openreview
    )
    others = {m.mention_id: m for m in corpus.mentions if m.mention_id != target.mention_id}
    assert any(m.openreview for m in others.values())

    masked = corpus.masked({target.mention_id})
    hidden = next(
        m for m in masked.papers[target.paper_id].authors if m.position == target.position
    )
    assert (hidden.person_id, hidden.orcid, hidden.openreview) == (None, None, None)
    # everything else about the mention stays
    assert (hidden.first, hidden.last, hidden.affiliation, hidden.mention_id) == (
        target.first,
        target.last,
        target.affiliation,
        target.mention_id,
    )
    # every other mention, also on the same paper, is untouched
    assert {m.mention_id: m for m in masked.mentions if m.mention_id != target.mention_id} == (
        others
    )
    # the blocks of the copy hold the masked mention
    assert hidden in masked.blocks[target.slug]
    # the original is not mutated
    original = next(
        m for m in corpus.papers[target.paper_id].authors if m.position == target.position
    )
    assert original == target and original.person_id == "jiarui-fenwick-edinburgh"
    assert target in corpus.blocks[target.slug]
    assert masked.persons == corpus.persons


def test_masked_fixture_2025(store: Engine, fixtures_dir: Path) -> None:
    ingest(store, fixtures_dir / FIXTURE)
    corpus = load_corpus(store)
    ids = {"2024.acl-long.1#0", "P19-1001#0"}
    masked = corpus.masked(ids)
    by_id = {m.mention_id: m for m in masked.mentions}
    assert all(by_id[i].person_id is None and by_id[i].orcid is None for i in ids)
    assert by_id["2024.acl-long.1#2"].person_id == "tobias-lindqvist"  # same paper, kept
    assert by_id["2024.acl-long.2#1"].person_id == "jiarui-fenwick-tsinghua"
    orig = {m.mention_id: m for m in corpus.mentions}
    assert orig["2024.acl-long.1#0"].orcid == "0000-0003-1415-9269"
    assert orig["P19-1001#0"].orcid == "0000-0003-1415-9269"
    assert corpus.masked(set()).papers == corpus.papers


def test_load_corpus_on_empty_store(store: Engine) -> None:
    with pytest.raises(BylineError, match="byline ingest"):
        load_corpus(store)


def test_connect_without_create_needs_an_existing_store(tmp_path: Path) -> None:
    with pytest.raises(BylineError, match="no store at"):
        connect(f"sqlite:///{tmp_path}/absent.sqlite", create=False)
    assert not (tmp_path / "absent.sqlite").exists()


def test_layout_switch_replaces_library_and_registry(store: Engine, fixtures_dir: Path) -> None:
    # the same store fed the 2026 layout: old files are removed, the new registry replaces
    # the old one; and back again
    ingest(store, fixtures_dir / FIXTURE)
    report = ingest(store, fixtures_dir / "anthology-2026-json")
    assert report.layout == "2026-json"
    assert report.registry_changed is True
    assert report.files_removed == XML_FILES + ["yaml/name_variants.yaml"]
    corpus = load_corpus(store)
    assert all(pid.startswith("2026.") for pid in corpus.papers)
    assert "jiarui-fenwick" not in corpus.persons  # the 2025 catch-all entry is gone
    assert rows(store, t.meta, "key")["layout"]["value"] == "2026-json"
    assert set(rows(store, t.source_files, "path")) == {"json/people.json", "xml/2026.acl.xml"}

    report = ingest(store, fixtures_dir / FIXTURE)
    assert report.layout == "2025-11"
    assert counts(store) == FULL
    assert rows(store, t.meta, "key")["layout"]["value"] == "2025-11"


# --- embedding cache -----------------------------------------------------------------------


def test_embedding_cache_reads_and_writes_only_when_asked(store: Engine) -> None:
    import numpy as np

    from byline.features import embeddings as emb

    encoded: list[list[str]] = []

    def fake_encode(texts: list[str]) -> np.ndarray:
        encoded.append(list(texts))
        return np.ones((len(texts), 4), dtype=np.float32)

    fake = emb.Embedder("fake", "fake@1", 4, fake_encode)
    other = emb.Embedder("other", "other@1", 4, fake_encode)
    cached = np.arange(4, dtype=np.float32)
    with store.begin() as conn:
        conn.execute(
            t.embeddings.insert(),
            {
                "model": fake.cache_name,
                "text_hash": emb.text_hash("old"),
                "vector": cached.tobytes(),
            },
        )
    wanted = [emb.text_hash("old"), emb.text_hash("new")]
    assert list(emb.read_cached(store, wanted, fake)) == [emb.text_hash("old")]
    assert emb.read_cached(store, wanted, other) == {}  # another embedder's vectors: not its
    got = emb.cached_embeddings(store, {"a": "old", "b": "new", "c": "new"}, fake, write=False)
    assert encoded == [["new"]]  # the cached text is read, the missing one embedded once
    assert np.array_equal(got["a"], cached) and got["b"].sum() == 4
    assert np.array_equal(got["b"], got["c"])
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.embeddings)).scalar() == 1
    emb.cached_embeddings(store, {"b": "new"}, fake)  # writes by default
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.embeddings)).scalar() == 2
