"""`byline intake`: author-page requests in the issue form's format, from the request to the
proposal, the reply, the patch (checked with the official acl-anthology of each layout) and
the recorded decisions; every kind of malformed request."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from byline.cli import app
from byline.sources.requests import (
    RequestError,
    orcid_checksum_ok,
    parse_request,
    parse_text,
    read_requests,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
REQ = FIXTURES / "intake"
VERIFY = Path(__file__).parent / "export_verify.py"
LIBRARY = {"2025-11": "0.5", "2026-yaml": "1.2", "2026-json": "1.3"}

FENWICK_A = ["2024.acl-long.1", "2024.acl-long.3", "2024.acl-short.1", "P19-1001", "W19-3201"]
FENWICK_B = ["2024.acl-long.2", "2024.acl-long.3", "P19-1002", "W19-3212"]
MARSH_EDINBURGH = ["2026.emnlp-main.1", "2026.emnlp-main.2", "2026.emnlp-main.3"]
MARSH_KYOTO = ["2026.emnlp-main.4", "2026.emnlp-main.5"]

runner = CliRunner()


def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin)


def one_line(text: str) -> str:
    return " ".join(text.split())


def intake_json(db: str, *files: str | Path, extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    res = invoke("intake", *map(str, files), "--json", "--db", db, *extra)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


# ---------------------------------------------------------------------------- libraries


def _ingest(data: Path, tmp: Path) -> str:
    url = f"sqlite:///{tmp}/s.sqlite"
    res = invoke("ingest", str(data), "--db", url)
    assert res.exit_code == 0, res.output
    return url


@pytest.fixture(scope="module")
def lib2025(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("intake2025")
    data = tmp / "anthology-2025-11"
    shutil.copytree(FIXTURES / "anthology-2025-11", data)
    return data, _ingest(data, tmp)


def _lib2026(tmp: Path, layout: str) -> tuple[Path, str]:
    """The 2026 fixture of ``layout`` plus the intake collection (a conflated "Lena Marsh",
    "Ines Okafor" under two spellings), as tests/test_export.py adds its own collection."""
    data = tmp / f"anthology-{layout}"
    shutil.copytree(FIXTURES / f"anthology-{layout}", data)
    shutil.copy(REQ / "2026" / "xml" / "2026.emnlp.xml", data / "data" / "xml")
    return data, _ingest(data, tmp)


@pytest.fixture(scope="module")
def lib2026(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return _lib2026(tmp_path_factory.mktemp("intake2026"), "2026-json")


@pytest.fixture(scope="module")
def out2025(lib2025: tuple[Path, str]) -> dict[str, dict[str, Any]]:
    files = sorted((REQ / "2025-11").glob("*.md")) + [REQ / "2025-11" / "dalby-issue.json"]
    docs = intake_json(lib2025[1], *files)
    return {
        Path(d["request"]).stem if isinstance(d["request"], str) else "dalby-issue": d for d in docs
    }


@pytest.fixture(scope="module")
def out2026(lib2026: tuple[Path, str]) -> dict[str, dict[str, Any]]:
    out = {}
    for f in sorted((REQ / "2026").glob("*.md")):  # one by one: some contradict each other
        (d,) = intake_json(lib2026[1], f)
        out[f.stem] = d
    return out


def _owners(layout: str, data: Path, tmp_path: Path) -> dict[str, str]:
    return _official(layout, data, tmp_path)["owners"]


def _official(layout: str, data: Path, tmp_path: Path) -> dict[str, Any]:
    """What the official library of ``layout`` reads from ``data``: owners and persons."""
    target = ROOT / ".venv-acl" / LIBRARY[layout]
    if not (target / "acl_anthology").is_dir():
        pytest.skip(f"acl-anthology for {layout} not installed in {target} (bash .ci/run)")
    out = tmp_path / f"owners-{data.parent.name}.json"
    proc = subprocess.run(
        [sys.executable, "-S", str(VERIFY), str(data), str(out)],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(out.read_text())
    assert doc["build_error"] is None or layout == "2025-11", doc["build_error"]
    return doc


def _apply(data: Path, patch: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "patched"
    shutil.copytree(data, copy)
    proc = subprocess.run(
        ["git", "apply", "-p1", str(patch)], cwd=copy, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return copy / "data"


# ---------------------------------------------------------------------------- parsing


def test_orcid_checksum() -> None:
    assert orcid_checksum_ok("0000-0002-1825-0097")
    assert orcid_checksum_ok("0000-0001-8342-771X")
    assert not orcid_checksum_ok("0000-0002-1825-0098")
    assert not orcid_checksum_ok("0000-0002-1825")


def test_form_sections_checkboxes_and_page_forms() -> None:
    r = parse_request((REQ / "2025-11" / "kilbride-merge.md").read_text(), "k.md")
    assert r.name == "Morag Kilbride"
    assert [(p.form, p.key) for p in r.pages] == [
        ("legacy", "morag-kilbride"),
        ("legacy", "morag-e-kilbride"),
    ]
    assert r.kinds == ["merge"] and r.kind == "merge"
    assert r.orcid == "0000-0003-2290-6551"
    assert r.preferred_name is None and r.openreview is None  # _No response_
    v = parse_request((REQ / "2026" / "okafor-verify.md").read_text(), "o.md")
    assert [(p.form, p.key) for p in v.pages] == [("unverified", "ines-okafor")]
    assert v.openreview == "~Ines_Okafor1"
    assert v.supporting == ""
    e = parse_request((REQ / "2025-11" / "fenwick-edinburgh.md").read_text(), "e.md")
    assert e.orcid == "0000-0003-1415-9269"  # the ?orcid= query string is dropped
    body = "### Author Pages\n\nhttps://aclanthology.org/people/jiarui-fenwick-edinburgh/\n\n"
    body += "### Type of Author Metadata Correction\n\n- [X] Split/disambiguate: x\n"
    body += "- [x] Name change: y\n\n### Preferred author name\n\nJiarui Fenwick-Reid\n"
    s = parse_request(body, 9)
    assert s.pages[0].form == "verified" and s.pages[0].key == "jiarui-fenwick-edinburgh"
    assert s.kinds == ["split", "name_change"] and s.kind == "split"
    assert s.label == "issue #9" and s.orcid is None


def test_issue_json_object_array_and_stdin() -> None:
    body = (REQ / "2025-11" / "achterberg.md").read_text()
    one = parse_text(json.dumps({"number": 5, "title": "Author Page: G", "body": body}), "x")
    assert [r.source for r in one] == [5]  # type: ignore[union-attr]
    issues = [{"number": 6, "title": "t", "body": body}, {"number": 7, "title": "t"}]
    two = parse_text(json.dumps(issues), "batch.json")
    assert two[0].source == 6  # type: ignore[union-attr]
    assert isinstance(two[1], RequestError) and "batch.json [1]" in str(two[1])
    (r,) = read_requests(["-"], stdin=io.StringIO(body))
    assert r.source == "<stdin>"  # type: ignore[union-attr]


BAD = [
    ("no-url.md", "Author Pages", "no author page URL"),
    ("no-pages-section.md", "Author Pages", "missing"),
    ("bad-page-url.md", "Author Pages", "is not an author page URL"),
    ("orcid-malformed.md", "Author ORCID", "is not an ORCID iD"),
    ("orcid-checksum.md", "Author ORCID", "fails the ORCID checksum"),
    ("orcid-missing.md", "Author ORCID", "a verification needs the ORCID iD"),
    ("no-type.md", "Type of Author Metadata Correction", "no type is ticked"),
    ("name-change-no-name.md", "Preferred author name", "a name change needs the new name"),
    ("empty.md", None, "empty request"),
    ("broken.json", None, "not valid JSON"),
    ("no-body.json", None, 'JSON object with a "body"'),
]


@pytest.mark.parametrize(("name", "section", "message"), BAD)
def test_malformed_request_is_one_line(name: str, section: str | None, message: str) -> None:
    path = REQ / "bad" / name
    res = invoke("intake", str(path), "--db", "sqlite:////nonexistent/never.sqlite")
    assert res.exit_code == 1
    assert (
        "Traceback" not in res.output
        and res.exception is None
        or isinstance(res.exception, SystemExit)
    )
    err = one_line(res.stderr)
    assert err.startswith("error: ") and str(path) in err and message in err
    if section:
        assert f"section '{section}'" in err
    assert len(res.stderr.strip().splitlines()) <= 2  # one line (Rich may wrap it)
    res = invoke("intake", str(path), "--json", "--db", "sqlite:////nonexistent/never.sqlite")
    assert res.exit_code == 1
    (doc,) = json.loads(res.stdout)
    assert set(doc) == {"request", "error"} and message in doc["error"]


def test_missing_file_and_unknown_page(lib2025: tuple[Path, str]) -> None:
    res = invoke("intake", "no/such/request.md", "--json", "--db", lib2025[1])
    assert res.exit_code == 1 and "no such file" in json.loads(res.stdout)[0]["error"]
    good = REQ / "2025-11" / "achterberg.md"
    res = invoke(
        "intake", str(good), str(REQ / "bad" / "unknown-page.md"), "--json", "--db", lib2025[1]
    )
    assert res.exit_code == 1  # one bad request in a batch: the good one is still answered
    ok, bad = json.loads(res.stdout)
    assert ok["person"] and "error" not in ok
    assert "section 'Author Pages'" in bad["error"] and "no such author page" in bad["error"]
    assert "gordon-achterberg" in bad["error"]  # the closest name


# ---------------------------------------------------------------------------- Nov 2025 layout

KEYS = {
    "request",
    "kind",
    "pages",
    "orcid",
    "person",
    "papers",
    "others",
    "confidence",
    "needs_review",
    "reply",
}


def test_json_contract(out2025: dict[str, dict[str, Any]]) -> None:
    for d in out2025.values():
        assert set(d) == KEYS
        assert isinstance(d["confidence"], float) and 0.0 <= d["confidence"] <= 1.0
    assert out2025["dalby-issue"]["request"] == 4101  # the issue number


def test_verification_on_a_page_of_two_people(out2025: dict[str, dict[str, Any]]) -> None:
    d = out2025["fenwick-edinburgh"]
    assert d["kind"] == "verification" and d["pages"] == ["jiarui-fenwick"]
    assert d["person"] == "jiarui-fenwick-edinburgh"  # the registry holds the ORCID iD
    assert d["papers"] == FENWICK_A
    assert d["others"] == FENWICK_B  # 2024.acl-long.3 has one Jiarui Fenwick of each
    assert d["needs_review"]
    assert "this page holds 2 people; 5 of its 8 papers are yours" in d["reply"]
    assert "[W19-3201](https://aclanthology.org/W19-3201/)" in d["reply"]


def test_verification_on_a_one_person_page(out2025: dict[str, dict[str, Any]]) -> None:
    d = out2025["achterberg"]
    assert d["papers"] == ["2024.acl-long.4"] and d["others"] == []
    assert not d["needs_review"]
    # the name is an implicit person of the Nov 2025 data: slug plus ORCID suffix
    assert d["person"] == "gordon-achterberg-2048"
    assert "ORCID iD 0000-0002-5511-2048" in d["reply"]
    assert "Carnegie Mellon University" in d["reply"]
    dalby = out2025["dalby-issue"]
    assert dalby["papers"] == FENWICK_B and not dalby["needs_review"]
    assert "you named 2024.acl-long.2" in dalby["reply"]


def test_split(out2025: dict[str, dict[str, Any]]) -> None:
    d = out2025["fenwick-split"]
    assert d["kind"] == "split" and d["person"] == "jiarui-fenwick-tsinghua"
    assert d["papers"] == FENWICK_B and d["others"] == FENWICK_A
    # the registry entry has no ORCID iD yet: the patch adds it (its degree it has)
    assert "whose entry gets ORCID iD 0000-0001-8342-771X;" in d["reply"]
    assert "1 more persons" in d["reply"]


def test_merge(out2025: dict[str, dict[str, Any]]) -> None:
    d = out2025["kilbride-merge"]
    assert d["kind"] == "merge" and d["pages"] == ["morag-kilbride", "morag-e-kilbride"]
    assert d["person"] == "morag-kilbride"
    assert "P19-1003" in d["papers"] and "2024.acl-long.1" in d["papers"]  # both spellings
    assert d["others"] == []


def test_patch_2025_verified_by_official_library(lib2025: tuple[Path, str], tmp_path: Path) -> None:
    data, db = lib2025
    patch = tmp_path / "intake.patch"
    files = [REQ / "2025-11" / f for f in ("fenwick-edinburgh.md", "achterberg.md")]
    docs = intake_json(db, *files, extra=("--patch", str(patch)))
    text = patch.read_text()
    assert "orcid: 0000-0002-5511-2048" in text and "degree: Carnegie Mellon University" in text
    before = _owners("2025-11", data / "data", tmp_path)
    after = _owners("2025-11", _apply(data, patch, tmp_path), tmp_path)
    mine = {
        f"{p}#{pos}": d["person"]
        for d in docs
        for p in d["papers"]
        for pos in range(20)
        if f"{p}#{pos}" in before and _name(data, p, pos) in ("Jiarui Fenwick", "Gordon Achterberg")
    }
    assert mine["2024.acl-long.3#0"] == "jiarui-fenwick-edinburgh"
    changed = {k for k in before if before[k] != after[k]}
    for label in changed:
        assert label in mine and after[label] == mine[label], label
    assert after["2024.acl-long.4#0"] == "gordon-achterberg-2048"
    assert after["2024.acl-long.3#3"] == before["2024.acl-long.3#3"]  # the other one stays


def _name(data: Path, paper: str, pos: int) -> str:
    from byline.sources.anthology import read_anthology

    if not hasattr(_name, "cache"):
        lib = read_anthology(data)
        _name.cache = {  # type: ignore[attr-defined]
            m.mention_id: m.full_name for p in lib.papers for m in p.authors
        }
    return _name.cache.get(f"{paper}#{pos}", "")  # type: ignore[attr-defined]


def test_patch_2025_adds_the_orcid_to_an_existing_entry(
    lib2025: tuple[Path, str], tmp_path: Path
) -> None:
    data, db = lib2025
    patch = tmp_path / "split.patch"
    (d,) = intake_json(db, REQ / "2025-11" / "fenwick-split.md", extra=("--patch", str(patch)))
    text = patch.read_text()
    assert "   id: jiarui-fenwick-tsinghua\n+  orcid: 0000-0001-8342-771X\n" in text
    assert "degree" not in text  # its entry has an institution already
    before = _owners("2025-11", data / "data", tmp_path)
    after = _owners("2025-11", _apply(data, patch, tmp_path), tmp_path)
    fenwick = {k for k in before if _name(data, *_label(k)) == "Jiarui Fenwick"}
    for p in d["papers"]:
        assert "jiarui-fenwick-tsinghua" in {after[k] for k in fenwick if k.startswith(p + "#")}
    assert all(after[k] == before[k] for k in set(before) - fenwick)


def _label(label: str) -> tuple[str, int]:
    paper, _, pos = label.partition("#")
    return paper, int(pos) if pos.isdigit() else -1


def test_a_different_orcid_is_a_conflict_never_overwritten(
    lib2025: tuple[Path, str], tmp_path: Path
) -> None:
    text = (REQ / "2025-11" / "fenwick-edinburgh.md").read_text()
    text = text.replace("/people/j/jiarui-fenwick/", "/people/jiarui-fenwick-edinburgh/")
    text = text.replace("0000-0003-1415-9269", "0000-0002-7345-6127")
    req = tmp_path / "other-orcid.md"
    req.write_text(text)
    patch = tmp_path / "p.patch"
    (d,) = intake_json(lib2025[1], req, extra=("--patch", str(patch)))
    assert d["person"] == "jiarui-fenwick-edinburgh" and d["needs_review"]
    assert (
        "conflict: the registry gives jiarui-fenwick-edinburgh the ORCID iD 0000-0003-1415-9269, "
        "not 0000-0002-7345-6127; the patch keeps 0000-0003-1415-9269" in one_line(d["reply"])
    )
    assert "whose entry gets" not in d["reply"]
    assert "0000-0002-7345-6127" not in (patch.read_text() if patch.exists() else "")


# ---------------------------------------------------------------------------- 2026 layout


def test_2026_verification_of_a_conflated_page(out2026: dict[str, dict[str, Any]]) -> None:
    d = out2026["marsh-verify"]
    assert d["papers"] == MARSH_EDINBURGH and d["others"] == MARSH_KYOTO
    assert d["person"] == "lena-marsh-edinburgh"  # shared name: slug plus institution
    assert d["needs_review"]
    assert "this page holds 2 people; 3 of its 5 papers are yours" in d["reply"]
    assert "you named the title of 2026.emnlp-main.2" in d["reply"]


def test_2026_openreview_anchor_and_one_person_page(out2026: dict[str, dict[str, Any]]) -> None:
    d = out2026["okafor-verify"]
    assert d["person"] == "ines-okafor" and not d["needs_review"]
    assert d["papers"] == ["2026.emnlp-main.6", "2026.emnlp-main.7"]
    assert "2026.emnlp-main.6 carries your OpenReview id" in d["reply"]
    assert d["confidence"] > 0.8


def test_2026_split_merge_and_name_change(out2026: dict[str, dict[str, Any]]) -> None:
    s = out2026["marsh-split"]
    assert s["kind"] == "split" and s["papers"] == MARSH_KYOTO
    assert s["person"] == "lena-marsh-kyoto" and s["others"] == MARSH_EDINBURGH
    m = out2026["okafor-merge"]
    assert m["kind"] == "merge" and m["pages"] == ["ines-okafor", "ines-m-okafor"]
    assert m["papers"] == ["2026.emnlp-main.6", "2026.emnlp-main.7", "2026.emnlp-main.8"]
    n = out2026["okafor-rename"]
    assert n["kind"] == "name_change" and n["person"] == "ines-okafor-reid"
    assert "Ines Okafor-Reid" in n["reply"]


def test_contradicting_requests_are_left_out_of_the_patch(
    lib2026: tuple[Path, str], tmp_path: Path
) -> None:
    patch = tmp_path / "p.patch"
    files = [REQ / "2026" / f for f in ("marsh-verify.md", "marsh-conflict.md", "okafor-verify.md")]
    docs = intake_json(lib2026[1], *files, extra=("--patch", str(patch)))
    a, b, ok = docs
    assert a["needs_review"] and b["needs_review"] and not ok["needs_review"]
    assert "is claimed by" in a["reply"] and "left out of the patch" in b["reply"]
    text = patch.read_text()
    assert "ines-okafor" in text and "lena-marsh" not in text


@pytest.mark.parametrize("layout", ["2026-json", "2026-yaml"])
def test_patch_2026_verified_by_official_library(layout: str, tmp_path: Path) -> None:
    data, db = _lib2026(tmp_path, layout)
    patch = tmp_path / "intake.patch"
    files = [REQ / "2026" / f for f in ("marsh-verify.md", "okafor-merge.md")]
    marsh, okafor = intake_json(db, *files, extra=("--patch", str(patch)))
    text = patch.read_text()
    reg = "json/people.json" if layout == "2026-json" else "yaml/people.yaml"
    assert f"a/data/{reg}" in text and "0000-0002-9418-3308" in text
    assert "disable_name_matching" in text  # the other Lena Marsh stays unverified
    before = _owners(layout, data / "data", tmp_path)
    after = _owners(layout, _apply(data, patch, tmp_path), tmp_path)
    expected = {
        f"{p}#{i}": marsh["person"]
        for p, i in (("2026.emnlp-main.1", 0), ("2026.emnlp-main.2", 1), ("2026.emnlp-main.3", 0))
    }
    expected.update(
        {f"2026.emnlp-main.{n}#{i}": okafor["person"] for n, i in ((6, 0), (7, 1), (8, 0))}
    )
    assert okafor["person"] == "ines-okafor"
    for label, owner in before.items():
        assert after[label] == expected.get(label, owner), label
    assert after["2026.emnlp-main.4#1"].endswith("/unverified")


@pytest.mark.parametrize("layout", ["2026-json", "2026-yaml"])
def test_2026_patch_adds_orcid_and_degree_to_an_existing_entry(layout: str, tmp_path: Path) -> None:
    data, db = _lib2026(tmp_path, layout)
    patch = tmp_path / "verify.patch"
    (d,) = intake_json(db, REQ / "2026" / "fenwick-verify.md", extra=("--patch", str(patch)))
    assert d["person"] == "jiarui-fenwick-tsinghua"
    assert d["papers"] == ["2026.acl-long.2", "2026.acl-long.3"]
    assert (
        "whose entry gets ORCID iD 0000-0002-7345-6127 and degree institution Tsinghua "
        "University;" in one_line(d["reply"])
    )
    before = _official(layout, data / "data", tmp_path)
    after = _official(layout, _apply(data, patch, tmp_path), tmp_path)
    got = after["persons"]["jiarui-fenwick-tsinghua"]
    assert (got["orcid"], got["degree"]) == ("0000-0002-7345-6127", "Tsinghua University")
    assert got["comment"] == before["persons"]["jiarui-fenwick-tsinghua"]["comment"]
    for label, owner in before["owners"].items():
        want = "jiarui-fenwick-tsinghua" if label == "2026.acl-long.3#0" else owner
        assert after["owners"][label] == want, label
    others = {k: v for k, v in after["persons"].items() if k != "jiarui-fenwick-tsinghua"}
    assert others == {k: before["persons"][k] for k in others}


def test_two_orcids_for_one_person_are_left_out_of_the_patch(
    lib2026: tuple[Path, str], tmp_path: Path
) -> None:
    text = (REQ / "2026" / "fenwick-verify.md").read_text()
    other = tmp_path / "fenwick-other.md"
    other.write_text(text.replace("0000-0002-7345-6127", "0000-0001-8342-771X"))
    patch = tmp_path / "p.patch"
    res = invoke(
        "intake",
        str(REQ / "2026" / "fenwick-verify.md"),
        str(other),
        "--json",
        "--db",
        lib2026[1],
        "--patch",
        str(patch),
    )
    assert res.exit_code == 1  # nothing is left for the patch
    assert "no proposal to write into the patch" in one_line(res.stderr)
    res = invoke(
        "intake", str(REQ / "2026" / "fenwick-verify.md"), str(other), "--json", "--db", lib2026[1]
    )
    a, b = json.loads(res.stdout)
    msg = "jiarui-fenwick-tsinghua is given 2 different ORCID iDs by"
    assert msg in one_line(a["reply"]) and msg in one_line(b["reply"])
    assert a["needs_review"] and b["needs_review"]


# ---------------------------------------------------------------------------- name changes


def _names(doc: dict[str, Any], pid: str) -> list[str]:
    return [" ".join(x for x in n if x) for n in doc["persons"][pid]["names"]]


@pytest.mark.parametrize("layout", ["2026-json", "2026-yaml"])
def test_2026_name_change_of_an_existing_entry(layout: str, tmp_path: Path) -> None:
    """The new name becomes the entry's canonical name, the old one stays a variant, with
    the ORCID iD and degree it lacked; checked with the official library of the layout."""
    data, db = _lib2026(tmp_path, layout)
    patch = tmp_path / "rename.patch"
    (d,) = intake_json(db, REQ / "2026" / "fenwick-rename.md", extra=("--patch", str(patch)))
    assert d["kind"] == "name_change" and d["person"] == "jiarui-fenwick-tsinghua"
    assert d["papers"] == ["2026.acl-long.2", "2026.acl-long.3"]
    assert (
        "the existing person `jiarui-fenwick-tsinghua` (Jiarui Fenwick-Reid), whose entry gets "
        "ORCID iD 0000-0002-7345-6127, degree institution Tsinghua University and the name "
        "Jiarui Fenwick-Reid as its canonical name (Jiarui Fenwick kept as a variant);"
        in one_line(d["reply"])
    )
    assert "by hand" not in d["reply"]
    before = _official(layout, data / "data", tmp_path)
    after = _official(layout, _apply(data, patch, tmp_path), tmp_path)
    assert _names(after, "jiarui-fenwick-tsinghua") == [
        "Jiarui Fenwick-Reid",
        *_names(before, "jiarui-fenwick-tsinghua"),
    ]
    got = after["persons"]["jiarui-fenwick-tsinghua"]
    assert (got["orcid"], got["degree"]) == ("0000-0002-7345-6127", "Tsinghua University")
    for label, owner in before["owners"].items():
        want = "jiarui-fenwick-tsinghua" if label == "2026.acl-long.3#0" else owner
        assert after["owners"][label] == want, label


def test_2025_name_change_of_an_existing_entry(lib2025: tuple[Path, str], tmp_path: Path) -> None:
    """name_variants.yaml: the new name replaces ``canonical``, the old one is the first
    variant, and the entry, whose id was its old name's slug, gets ``id`` written out."""
    data, db = lib2025
    patch = tmp_path / "rename.patch"
    req = REQ / "2025-11" / "kilbride-rename.md"
    (d,) = intake_json(db, req, extra=("--patch", str(patch)))
    assert d["person"] == "morag-kilbride" and not d["needs_review"]
    assert "the name Morag Kilbride-Shaw as its canonical name (Morag Kilbride kept as a " in (
        one_line(d["reply"])
    )
    text = patch.read_text()
    assert "-- canonical: {first: Morag, last: Kilbride}\n" in text
    assert "+- canonical: {first: Morag, last: Kilbride-Shaw}\n+  id: morag-kilbride\n" in text
    assert "   variants:\n+  - {first: Morag, last: Kilbride}\n" in text
    before = _official("2025-11", data / "data", tmp_path)
    after = _official("2025-11", _apply(data, patch, tmp_path), tmp_path)
    assert _names(after, "morag-kilbride")[:3] == [
        "Morag Kilbride-Shaw",
        "Morag Kilbride",
        "Morag E. Kilbride",
    ]
    assert after["owners"] == before["owners"]  # the papers were hers by name: nobody moves


def _renamed_request(tmp_path: Path, src: Path, name: str, stem: str) -> Path:
    """``src`` as a name change to ``name``."""
    text = src.read_text()
    text = text.replace("- [x] Verification", "- [ ] Verification")
    text = text.replace("- [ ] Name change", "- [x] Name change")
    text = text.replace("### Preferred author name\n\n_No response_", "### Preferred author name")
    for old in ("Jiarui Fenwick-Reid\n", "Ines Okafor-Reid\n"):
        text = text.replace(f"### Preferred author name\n\n{old}", "### Preferred author name")
    text = text.replace("### Preferred author name", f"### Preferred author name\n\n{name}\n")
    out = tmp_path / f"{stem}.md"
    out.write_text(text)
    return out


def test_2025_name_change_without_registry_entry(lib2025: tuple[Path, str], tmp_path: Path) -> None:
    """No entry yet: the patch creates one with the new name canonical and the name on the
    papers as its variant, and gives the papers its id."""
    data, db = lib2025
    req = _renamed_request(
        tmp_path, REQ / "2025-11" / "achterberg.md", "Gordon Achterberg-Lund", "rename"
    )
    patch = tmp_path / "new.patch"
    (d,) = intake_json(db, req, extra=("--patch", str(patch)))
    assert d["person"] == "gordon-achterberg-lund" and d["papers"] == ["2024.acl-long.4"]
    assert "the name on your papers, Gordon Achterberg, kept as a variant" in one_line(d["reply"])
    text = patch.read_text()
    assert "+- canonical: {first: Gordon, last: Achterberg-Lund}\n" in text
    assert "+  variants:\n+  - {first: Gordon, last: Achterberg}\n" in text
    before = _official("2025-11", data / "data", tmp_path)
    after = _official("2025-11", _apply(data, patch, tmp_path), tmp_path)
    assert _names(after, "gordon-achterberg-lund")[:2] == [
        "Gordon Achterberg-Lund",
        "Gordon Achterberg",
    ]
    for label, owner in before["owners"].items():
        want = "gordon-achterberg-lund" if label == "2024.acl-long.4#0" else owner
        assert after["owners"][label] == want, label


@pytest.mark.parametrize("layout", ["2026-json", "2026-yaml"])
def test_2026_name_change_without_registry_entry(layout: str, tmp_path: Path) -> None:
    data, db = _lib2026(tmp_path, layout)
    patch = tmp_path / "new.patch"
    (d,) = intake_json(db, REQ / "2026" / "okafor-rename.md", extra=("--patch", str(patch)))
    assert d["person"] == "ines-okafor-reid"
    assert "the name on your papers, Ines Okafor, kept as a variant" in one_line(d["reply"])
    before = _official(layout, data / "data", tmp_path)
    after = _official(layout, _apply(data, patch, tmp_path), tmp_path)
    assert _names(after, "ines-okafor-reid")[:2] == ["Ines Okafor-Reid", "Ines Okafor"]
    assert after["persons"]["ines-okafor-reid"]["orcid"] == "0000-0003-2290-6551"
    hers = ("2026.emnlp-main.6#0", "2026.emnlp-main.7#1")
    for label, owner in before["owners"].items():
        assert after["owners"][label] == ("ines-okafor-reid" if label in hers else owner), label


def test_a_name_change_to_another_persons_name_is_a_conflict(
    lib2026: tuple[Path, str], tmp_path: Path
) -> None:
    req = _renamed_request(
        tmp_path, REQ / "2026" / "fenwick-rename.md", "Tobias Lindqvist", "taken"
    )
    patch = tmp_path / "p.patch"
    (d,) = intake_json(lib2026[1], req, extra=("--patch", str(patch)))
    assert d["person"] == "jiarui-fenwick-tsinghua" and d["needs_review"]
    assert (
        "conflict: the name Tobias Lindqvist is already a name of tobias-lindqvist; the patch "
        "leaves the name change out" in one_line(d["reply"])
    )
    assert "as its canonical name" not in d["reply"]
    text = patch.read_text()  # the papers and the ORCID iD are still in it
    assert "0000-0002-7345-6127" in text and "Lindqvist" not in text


def test_two_new_names_for_one_person_are_left_out_of_the_patch(
    lib2026: tuple[Path, str], tmp_path: Path
) -> None:
    other = _renamed_request(
        tmp_path, REQ / "2026" / "fenwick-rename.md", "Jiarui Fenwick-Lee", "other"
    )
    res = invoke("intake", str(REQ / "2026" / "fenwick-rename.md"), str(other), "--json",
                 "--db", lib2026[1])  # fmt: skip
    a, b = json.loads(res.stdout)
    msg = "jiarui-fenwick-tsinghua is given 2 different new names by"
    assert msg in one_line(a["reply"]) and msg in one_line(b["reply"])
    assert "left out of the patch" in one_line(a["reply"])
    assert a["needs_review"] and b["needs_review"]


# ---------------------------------------------------------------------------- --record


def test_record_stores_decisions_that_split_honours(
    lib2025: tuple[Path, str], tmp_path: Path
) -> None:
    from byline.store import connect
    from byline.store.decisions import active_decisions

    db = _ingest(lib2025[0], tmp_path)  # a store of its own: decisions are written
    req = REQ / "2025-11" / "fenwick-edinburgh.md"
    res = invoke("intake", str(req), "--db", db, "--record")
    assert res.exit_code == 0, res.output
    assert "1 decision recorded for 1 of 1 request\n" in res.stderr
    (d,) = active_decisions(connect(db, create=False))
    assert d.kind == "assign" and d.person == "jiarui-fenwick-edinburgh" and d.actor == "intake"
    assert d.slug == "jiarui-fenwick" and "fenwick-edinburgh.md" in d.note
    res = invoke("split", "Jiarui Fenwick", "--json", "--db", db)
    persons = {
        p["person"]: {r["paper_id"] for r in p["papers"]} for p in json.loads(res.stdout)["persons"]
    }
    assert persons["jiarui-fenwick-edinburgh"] == set(FENWICK_A)


def test_record_is_one_action_per_request_all_or_nothing(
    lib2025: tuple[Path, str], tmp_path: Path
) -> None:
    """A merge request decides on two names in ONE transaction: when the second name moved
    since it was read, nothing is written on the first either."""
    from byline.engine import load_engine
    from byline.sources.requests import read_requests
    from byline.store.decisions import active_decisions, decided_state, record
    from byline.tasks.intake import propose_batch, record_proposals

    db = _ingest(lib2025[0], tmp_path)
    engine = load_engine(db)
    (p,) = propose_batch(engine, read_requests([str(REQ / "2025-11" / "kilbride-merge.md")]))
    store = engine.store
    assert store is not None
    mine = [m for m in p.requester.mention_ids if m.startswith("P19-1003")]
    # another maintainer decides on morag-kilbride (written after morag-e-kilbride) meanwhile
    record(store, slug="morag-kilbride", kind="confirm", mention_ids=mine,
           person="morag-kilbride", actor="ann")  # fmt: skip
    (r,) = record_proposals(engine, [p])  # type: ignore[list-item]
    assert r.decisions == [] and r.error and "changed since you loaded it" in r.error
    assert active_decisions(store, "morag-e-kilbride") == []
    assert [d.actor for d in active_decisions(store)] == ["ann"]
    engine.decisions = decided_state(store)  # read again: the whole request is written
    (r,) = record_proposals(engine, [p])  # type: ignore[list-item]
    assert r.error is None
    assert sorted(d.slug for d in r.decisions) == ["morag-e-kilbride", "morag-kilbride"]
    assert {d.person for d in r.decisions} == {"morag-kilbride"}


def test_record_leaves_contradicting_requests_out(tmp_path: Path) -> None:
    from byline.store import connect
    from byline.store.decisions import active_decisions

    _, db = _lib2026(tmp_path, "2026-json")
    files = [REQ / "2026" / f for f in ("marsh-verify.md", "marsh-conflict.md", "okafor-verify.md")]
    res = invoke("intake", *map(str, files), "--db", db, "--record")
    assert res.exit_code == 1
    err = one_line(res.stderr)
    assert "marsh-verify.md: not recorded" in err and "contradicts another request" in err
    assert "1 decision recorded for 1 of 3 requests" in err
    (d,) = active_decisions(connect(db, create=False))
    assert d.slug == "ines-okafor" and d.person.startswith("ines-okafor/")  # a new person


def test_plain_output_shows_the_reply(lib2025: tuple[Path, str]) -> None:
    res = invoke("intake", str(REQ / "2025-11" / "achterberg.md"), "--db", lib2025[1])
    assert res.exit_code == 0, res.output
    text = one_line(res.stdout)
    assert "verification of gordon-achterberg -> gordon-achterberg-2048" in text
    assert "Thank you for your request" in text
