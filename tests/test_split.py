"""`byline ingest` + `byline split` end to end on the known-split fixture, shipped model.

EXPECTED.md of ``anthology-2025-11`` says which of the nine "Jiarui Fenwick" mentions belong
to which of the two people; the split must come out exactly so.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lxml import etree
from slugify import slugify
from typer.testing import CliRunner

from byline.cli import app
from byline.model import default_model_path
from byline.store import connect

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
ORCID_A = "0000-0003-1415-9269"

PERSON_A = {  # jiarui-fenwick-edinburgh
    "2024.acl-long.1#0",
    "P19-1001#0",
    "W19-3201#1",
    "2024.acl-short.1#1",
    "2024.acl-long.3#0",
}
PERSON_B = {  # jiarui-fenwick-tsinghua
    "2024.acl-long.2#1",
    "P19-1002#2",
    "W19-3212#1",
    "2024.acl-long.3#3",
}

runner = CliRunner()


def one_line(text: str) -> str:
    """Rich wraps long lines; compare messages with whitespace collapsed."""
    return " ".join(text.split())


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store with the fixture ingested through the CLI."""
    url = f"sqlite:///{tmp_path_factory.mktemp('split')}/s.sqlite"
    res = invoke("ingest", str(FIXTURE), "--db", url)
    assert res.exit_code == 0, res.output
    assert "10 papers" in one_line(res.stderr) and "28 author mentions" in one_line(res.stderr)
    return url


def split_json(db: str, name: str) -> dict[str, Any]:
    res = invoke("split", name, "--json", "--db", db)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def fenwick(db: str) -> dict[str, Any]:
    return split_json(db, "Jiarui Fenwick")


def partition(doc: dict[str, Any]) -> dict[str, set[str]]:
    return {p["person"]: {r["mention_id"] for r in p["papers"]} for p in doc["persons"]}


def person_of(doc: dict[str, Any]) -> dict[str, str]:
    return {r["mention_id"]: p["person"] for p in doc["persons"] for r in p["papers"]}


# --- the known split ----------------------------------------------------------------------


def test_shipped_model_exists() -> None:
    assert default_model_path().is_file(), "run `byline train` to ship a model"
    assert default_model_path().with_suffix(".json").is_file()


def test_fenwick_is_two_persons_as_expected(fenwick: dict[str, Any]) -> None:
    assert fenwick["name"] == "Jiarui Fenwick"
    assert fenwick["slug"] == "jiarui-fenwick"
    groups = partition(fenwick)
    assert sorted(map(sorted, groups.values())) == sorted([sorted(PERSON_A), sorted(PERSON_B)])
    # the keys are the explicit ids (the catch-all id "jiarui-fenwick" is no key)
    assert groups == {"jiarui-fenwick-edinburgh": PERSON_A, "jiarui-fenwick-tsinghua": PERSON_B}


def test_fenwick_constraints(fenwick: dict[str, Any]) -> None:
    person = person_of(fenwick)
    # must-link: same ORCID iD
    assert person["2024.acl-long.1#0"] == person["P19-1001#0"]
    # cannot-link: two authors of one paper
    assert person["2024.acl-long.3#0"] != person["2024.acl-long.3#3"]


def test_fenwick_evidence_and_confidence(fenwick: dict[str, Any]) -> None:
    by_key = {p["person"]: p for p in fenwick["persons"]}
    a, b = by_key["jiarui-fenwick-edinburgh"], by_key["jiarui-fenwick-tsinghua"]
    assert a["explicit_ids"] == ["jiarui-fenwick-edinburgh"]
    assert a["orcids"] == [ORCID_A]
    assert b["explicit_ids"] == ["jiarui-fenwick-tsinghua"]
    assert b["orcids"] == []
    assert a["years"] == [2019, 2024] and b["years"] == [2019, 2024]
    # persons listed biggest first
    assert [p["person"] for p in fenwick["persons"]] == [
        "jiarui-fenwick-edinburgh",
        "jiarui-fenwick-tsinghua",
    ]
    for p in fenwick["persons"]:
        assert 0.0 <= p["confidence"] <= 1.0
        for row in p["papers"]:
            assert isinstance(row["confidence"], float)
            assert 0.0 <= row["confidence"] <= 1.0, row
            assert row["mention_id"].startswith(row["paper_id"] + "#")
            assert row["url"] == f"https://aclanthology.org/{row['paper_id']}/"
    rows = {r["mention_id"]: r for p in fenwick["persons"] for r in p["papers"]}
    assert rows["2024.acl-long.3#0"]["title"] == (
        "End-to-End Speech Translation for Low-Resource Language Pairs"
    )
    assert rows["2024.acl-long.2#1"]["affiliation"] == "Tsinghua University"
    assert sorted(rows["2024.acl-long.3#3"]["coauthors"]) == [
        "Jiarui Fenwick",
        "Morag Kilbride",
        "Wenjie Dalby",
    ]


def test_slug_form_gives_the_same(db: str, fenwick: dict[str, Any]) -> None:
    assert split_json(db, "jiarui-fenwick") == fenwick
    assert split_json(db, "  Jiarui Fenwick ") == fenwick


def test_human_readable_output(db: str) -> None:
    res = invoke("split", "Jiarui Fenwick", "--db", db)
    assert res.exit_code == 0, res.output
    text = one_line(res.stdout)
    assert "Jiarui Fenwick (jiarui-fenwick): 2 persons inferred" in text
    assert "jiarui-fenwick-edinburgh: 5 papers" in text
    assert "jiarui-fenwick-tsinghua: 4 papers" in text


def test_unknown_name_lists_closest(db: str) -> None:
    res = invoke("split", "Jiarui Fenwik", "--db", db)
    assert res.exit_code == 1
    msg = one_line(res.stderr)
    assert "Jiarui Fenwik" in msg
    assert "closest" in msg and "Jiarui Fenwick" in msg
    assert "Traceback" not in res.output


# --- the prediction contract ---------------------------------------------------------------


def xml_mentions() -> dict[str, str]:
    """``{mention_id: name slug}`` for every <author> of every paper, read independently:
    paper ids from each paper's <url>, positions by order, editors and front matter out."""
    out: dict[str, str] = {}
    for path in sorted((FIXTURE / "data" / "xml").glob("*.xml")):
        root = etree.parse(str(path)).getroot()
        for paper in root.iter("paper"):
            pid = paper.findtext("url").strip()
            for i, author in enumerate(paper.findall("author")):
                first = "".join(author.find("first").itertext())
                last = "".join(author.find("last").itertext())
                out[f"{pid}#{i}"] = slugify(f"{first} {last}")
    return out


@pytest.fixture(scope="module")
def preds(db: str, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("preds") / "preds.jsonl"
    res = invoke("split", "--all", "--out", str(out), "--db", db, "--workers", "2")
    assert res.exit_code == 0, res.output
    assert not out.with_name(out.name + ".part").exists()
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_preds_one_line_per_mention(preds: list[dict[str, Any]]) -> None:
    expected = xml_mentions()
    assert len(expected) == 28  # EXPECTED.md
    ids = [p["mention_id"] for p in preds]
    assert len(ids) == len(expected) == len(set(ids))
    assert set(ids) == set(expected)
    for p in preds:
        assert set(p) == {"mention_id", "person", "confidence"}
        assert re.fullmatch(r"[A-Za-z0-9.\-]+#\d+", p["mention_id"])
        assert isinstance(p["person"], str) and p["person"]
        assert isinstance(p["confidence"], float) and 0.0 <= p["confidence"] <= 1.0


def test_preds_match_split(preds: list[dict[str, Any]], fenwick: dict[str, Any]) -> None:
    by_id = {p["mention_id"]: p for p in preds}
    rows = {
        r["mention_id"]: (p["person"], r["confidence"])
        for p in fenwick["persons"]
        for r in p["papers"]
    }
    for mid, (person, conf) in rows.items():
        assert by_id[mid]["person"] == person, mid
        assert by_id[mid]["confidence"] == pytest.approx(conf, abs=1e-4), mid
    fenwick_ids = {mid for mid, slug in xml_mentions().items() if slug == "jiarui-fenwick"}
    assert fenwick_ids == set(rows) == PERSON_A | PERSON_B


def test_preds_person_keys(preds: list[dict[str, Any]]) -> None:
    slugs = xml_mentions()
    members: dict[str, list[str]] = defaultdict(list)
    for p in preds:
        members[p["person"]].append(p["mention_id"])
    by_id = {p["mention_id"]: p["person"] for p in preds}
    # an explicit (non-catch-all) id names its person
    assert by_id["2024.acl-long.1#2"] == "tobias-lindqvist"
    assert by_id["2024.acl-long.1#0"] == "jiarui-fenwick-edinburgh"
    assert by_id["2024.acl-long.2#1"] == "jiarui-fenwick-tsinghua"
    explicit = {"tobias-lindqvist", "jiarui-fenwick-edinburgh", "jiarui-fenwick-tsinghua"}
    for key, mids in members.items():
        if key in explicit:
            continue
        # else <name slug>/<sha1 of its earliest mention>[:8]
        slug = {slugs[m] for m in mids}
        assert len(slug) == 1, key
        anchor = min(mids)
        assert key == f"{slug.pop()}/{hashlib.sha1(anchor.encode()).hexdigest()[:8]}"
    # two authors of one paper are never one person
    by_paper: dict[str, list[str]] = defaultdict(list)
    for p in preds:
        by_paper[p["mention_id"].split("#")[0]].append(p["person"])
    for paper, persons in by_paper.items():
        assert len(persons) == len(set(persons)), paper


def test_preds_are_deterministic(db: str, preds: list[dict[str, Any]], tmp_path: Path) -> None:
    """The same file again, whether the blocks are split in worker processes (the
    default, one per core) or in this one."""
    out = tmp_path / "again.jsonl"
    res = invoke("split", "--all", "--out", str(out), "--db", db, "--workers", "1")
    assert res.exit_code == 0, res.output
    assert [json.loads(x) for x in out.read_text().splitlines()] == preds


# --- errors --------------------------------------------------------------------------------


def test_split_needs_a_name_or_all(db: str) -> None:
    res = invoke("split", "--db", db)
    assert res.exit_code == 2
    assert "give a NAME" in res.stderr
    res = invoke("split", "Jiarui Fenwick", "--all", "--db", db)
    assert res.exit_code == 2


def test_ingest_missing_path(tmp_path: Path) -> None:
    res = invoke("ingest", "/nonexistent", "--db", f"sqlite:///{tmp_path}/s.sqlite")
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr  # one line, also when stderr is not a terminal
    assert "/nonexistent" in lines[0] and "no such file or folder" in lines[0]


def test_ingest_twice_reports_nothing_changed(db: str) -> None:
    res = invoke("ingest", str(FIXTURE), "--db", db)
    assert res.exit_code == 0
    assert "nothing changed" in one_line(res.stderr)
    res = invoke("ingest", str(FIXTURE), "--db", db, "--json")
    assert res.exit_code == 0
    report = json.loads(res.stdout)
    assert report["files_changed"] == 0 and report["papers_written"] == 0
    assert report["layout"] == "2025-11" and report["files"] == 4


def test_split_without_store(tmp_path: Path) -> None:
    res = invoke("split", "Jiarui Fenwick", "--db", f"sqlite:///{tmp_path}/none.sqlite")
    assert res.exit_code == 1
    msg = one_line(res.stderr)
    assert "no store" in msg and "byline ingest" in msg
    assert not (tmp_path / "none.sqlite").exists()


def test_split_on_empty_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.sqlite"
    connect(url)  # tables, nothing ingested
    for args in (["Jiarui Fenwick"], ["--all", "--out", str(tmp_path / "p.jsonl")]):
        res = invoke("split", *args, "--db", url)
        assert res.exit_code == 1
        msg = one_line(res.stderr)
        assert "empty" in msg and "byline ingest" in msg
        assert "Traceback" not in res.output
    assert not (tmp_path / "p.jsonl").exists()


def test_direct_evidence_matches_the_chain_features(db: str) -> None:
    # The pairs the clusterer chains first are exactly those one hop apart in the chain
    # features (a shared co-author or the same affiliation), and the fixture has both kinds.
    from byline.features.pairwise import FEATURES, block_features, direct_evidence
    from byline.features.stats import compute_stats
    from byline.store.corpus import load_corpus

    corpus = load_corpus(connect(db))
    mentions = corpus.blocks["jiarui-fenwick"]
    X = block_features(mentions, corpus.papers, compute_stats(corpus))
    hops = X[:, FEATURES.index("chain_hops")]
    evidence = direct_evidence(mentions, corpus.papers)
    assert evidence.dtype == bool and evidence.shape == hops.shape
    assert (evidence == (hops == 1)).all()
    assert 0 < evidence.sum() < len(evidence)
    ids = [m.mention_id for m in mentions]
    pair = {
        frozenset((ids[a], ids[b])): bool(evidence[e])
        for e, (a, b) in enumerate(zip(*np.triu_indices(len(ids), 1), strict=True))
    }
    # P19-1002#2 shares Dalby and Penhale with W19-3212#1, nothing with 2024.acl-short.1#1
    assert pair[frozenset(("P19-1002#2", "W19-3212#1"))]
    assert not pair[frozenset(("P19-1002#2", "2024.acl-short.1#1"))]
