"""`byline export`: decisions written as the Anthology's own change, checked byte by byte and
by the official acl-anthology library of each layout (0.5.4, 1.2.x, 1.3.x)."""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from byline.errors import BylineError
from byline.export import (
    ChangeSet,
    NewPerson,
    PersonUpdate,
    build_export,
    unified_patch,
    write_copy,
)
from byline.export.ids import institution_suffix, new_person_id
from byline.export.resolve import AMBIGUOUS, Registry
from byline.export.xml_ids import only_ids_differ, scan
from byline.sources.anthology import LAYOUTS

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
VERIFY = Path(__file__).parent / "export_verify.py"
# The official library of each layout, each in its own folder (installed by .ci/run).
LIBRARY = {"2025-11": "0.5", "2026-yaml": "1.2", "2026-json": "1.3"}
FIXTURE = {
    "2025-11": "anthology-2025-11",
    "2026-yaml": "anthology-2026-yaml",
    "2026-json": "anthology-2026-json",
}

# A second collection for the 2026 layouts: "Tobias Lindqvist" appears without id= (so he
# resolves to tobias-lindqvist by name matching), as an author and as a volume editor.
EXTRA_2026 = """<?xml version='1.0' encoding='UTF-8'?>
<collection id="2026.nlp">
  <volume id="main" ingest-date="2026-05-01" type="proceedings">
    <meta>
      <booktitle>Proceedings of the Nordic NLP Workshop 2026</booktitle>
      <editor><first>Tobias</first><last>Lindqvist</last></editor>
      <publisher>Association for Computational Linguistics</publisher>
      <address>Uppsala, Sweden</address>
      <month>May</month>
      <year>2026</year>
      <venue>nlp</venue>
    </meta>
    <paper id="1">
      <title>Morphology-Aware Tokenisation for Swedish</title>
      <author><first>Tobias</first><last>Lindqvist</last>
        <affiliation>Uppsala University</affiliation></author>
      <author><first>Wenjie</first><last>Dalby</last></author>
      <pages>1-8</pages>
      <bibkey>lindqvist-dalby-2026-morphology</bibkey>
    </paper>
    <paper id="2">
      <title>Dialect Identification of Spoken Norwegian</title>
      <author><first>Tobias</first><last>Lindqvist</last>
        <affiliation>Stockholm University</affiliation></author>
      <pages>9-16</pages>
      <bibkey>lindqvist-2026-dialect</bibkey>
    </paper>
  </volume>
</collection>
"""


def _copy(layout: str, tmp_path: Path) -> Path:
    dest = tmp_path / FIXTURE[layout]
    shutil.copytree(FIXTURES / FIXTURE[layout], dest)
    if layout != "2025-11":
        (dest / "data/xml/2026.nlp.xml").write_text(EXTRA_2026, encoding="utf-8")
    return dest


def _scenario(layout: str) -> tuple[ChangeSet, dict[str, str]]:
    """Decisions for each layout and the Anthology id each decided mention must get."""
    if layout == "2025-11":
        changes = ChangeSet(
            assign={
                # every Jiarui Fenwick mention without id (0.5.4 cannot load them otherwise)
                "2024.acl-long.3#3": "jiarui-fenwick-tsinghua",
                "W19-3212#1": "jiarui-fenwick-tsinghua",
                "P19-1001#0": "jiarui-fenwick-edinburgh",
                "W19-3201#1": "jiarui-fenwick-edinburgh",
                "2024.acl-short.1#1": "jiarui-fenwick/5a5a5a5a",
                # a second Tobias Lindqvist: the other one's unassigned mentions keep him
                "2024.acl-short.1#0": "tobias-lindqvist/77777777",
                # Gordon Achterberg has no registry entry: his editor mentions keep his id
                "2024.acl-long.4#0": "gordon-achterberg/0c0c0c0c",
            },
            exclude={"P19-1003#0": {"morag-kilbride"}},
            new_persons={
                "jiarui-fenwick/5a5a5a5a": NewPerson(
                    "jiarui-fenwick/5a5a5a5a", "Jiarui", "Fenwick", comment="Stockholm University"
                ),
                "tobias-lindqvist/77777777": NewPerson(
                    "tobias-lindqvist/77777777", "Tobias", "Lindqvist", comment="KTH"
                ),
                "gordon-achterberg/0c0c0c0c": NewPerson(
                    "gordon-achterberg/0c0c0c0c",
                    "Gordon",
                    "Achterberg",
                    orcid="0000-0002-1825-0097",
                ),
            },
        )
        expected = {
            "2024.acl-long.3#3": "jiarui-fenwick-tsinghua",
            "W19-3212#1": "jiarui-fenwick-tsinghua",
            "P19-1001#0": "jiarui-fenwick-edinburgh",
            "W19-3201#1": "jiarui-fenwick-edinburgh",
            "2024.acl-short.1#1": "jiarui-fenwick-stockholm",
            "2024.acl-short.1#0": "tobias-lindqvist-kth",
            "2024.acl-long.4#0": "gordon-achterberg-0097",
        }
        return changes, expected
    changes = ChangeSet(
        assign={
            "2026.acl-long.3#0": "jiarui-fenwick-tsinghua",  # unverified -> existing person
            "2026.acl-long.3#1": "xiaoyu-penhale/2c2c2c2c",  # unverified -> new person
            "2026.nlp-main.2#0": "tobias-lindqvist/1b1b1b1b",  # name-matched -> new person
        },
        exclude={"2026.acl-long.1#1": {"morag-kilbride"}},  # explicit id removed
        new_persons={
            "xiaoyu-penhale/2c2c2c2c": NewPerson(
                "xiaoyu-penhale/2c2c2c2c", "Xiaoyu", "Penhale", comment="University of Hong Kong"
            ),
        },
    )
    expected = {
        "2026.acl-long.3#0": "jiarui-fenwick-tsinghua",
        "2026.acl-long.3#1": "xiaoyu-penhale-uhk",
        "2026.nlp-main.2#0": "tobias-lindqvist-stockholm",
    }
    return changes, expected


def _library(layout: str, data: Path, tmp_path: Path) -> dict:
    target = ROOT / ".venv-acl" / LIBRARY[layout]
    if not (target / "acl_anthology").is_dir():
        pytest.skip(
            f"acl-anthology for {layout} not installed in {target} "
            "(bash .ci/run installs it; or pip install --target)"
        )
    out = tmp_path / f"owners-{data.parent.name}-{data.name}.json"
    proc = subprocess.run(
        [sys.executable, "-S", str(VERIFY), str(data), str(out)],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out.read_text())


# ---------------------------------------------------------------------------- the plan


@pytest.mark.parametrize("layout", list(LIBRARY))
def test_export_verified_by_official_library(layout: str, tmp_path: Path) -> None:
    src = _copy(layout, tmp_path)
    changes, expected = _scenario(layout)
    result = build_export(changes, src)
    for key, pid in result.person_ids.items():
        assert (
            changes.assign
            and pid == expected[next(m for m, k in changes.assign.items() if k == key)]
        )
    dest = write_copy(result, tmp_path / "out")
    before = _library(layout, src / "data", tmp_path)
    after = _library(layout, dest, tmp_path)
    assert before["build_error"] is None or layout == "2025-11", before["build_error"]
    assert after["build_error"] is None, after["build_error"]
    assert before["owners"].keys() == after["owners"].keys()
    for label, owner in before["owners"].items():
        if label in expected:
            assert after["owners"][label] == expected[label], label
        elif label in changes.exclude:
            assert after["owners"][label] not in changes.exclude[label], label
            assert not after["owners"][label].startswith("!"), label
        else:  # nobody else changed owner
            assert after["owners"][label] == owner, label
    # the same owners as byline's own resolver predicted
    reg_after = Registry(layout, LAYOUTS[layout][1]((dest / LAYOUTS[layout][0]).read_bytes(), ""))
    for rel in sorted(p.relative_to(dest).as_posix() for p in (dest / "xml").glob("*.xml")):
        for s in scan((dest / rel).read_bytes(), rel):
            if s.mention_id:
                got = reg_after.owner(s.first, s.last, s.id)
                assert got == after["owners"][s.mention_id], s.mention_id


def test_2025_layout_entries_and_pins(tmp_path: Path) -> None:
    src = _copy("2025-11", tmp_path)
    changes, _ = _scenario("2025-11")
    result = build_export(changes, src)
    old, new = result.files["yaml/name_variants.yaml"]
    assert new.startswith(old)  # entries appended, nothing else touched
    added = yaml.safe_load(new[len(old) :])
    by_id = {e["id"]: e for e in added}
    assert by_id["jiarui-fenwick-stockholm"]["comment"] == "Stockholm University"
    assert by_id["gordon-achterberg-0097"]["orcid"] == "0000-0002-1825-0097"
    # the implicit gordon-achterberg (no entry) keeps his editor mentions by a catch-all entry
    assert by_id["gordon-achterberg"]["comment"] == "May refer to several people"
    # "Morag E. Kilbride" is not morag-kilbride: the name's new catch-all takes it
    assert by_id["morag-e-kilbride"]["canonical"] == {"first": "Morag E.", "last": "Kilbride"}
    p19 = result.files["xml/P19.xml"][1].decode()
    assert '<author id="morag-e-kilbride"><first>Morag E.</first>' in p19
    acl = result.files["xml/2024.acl.xml"][1].decode()
    assert '<editor id="gordon-achterberg"><first>Gordon</first>' in acl
    # W19-3201#2 (Tobias Lindqvist, no id) now needs one to stay tobias-lindqvist
    w19 = result.files["xml/W19.xml"][1].decode()
    assert '<author id="tobias-lindqvist"><first>Tobias</first>' in w19
    assert "W19-3201#2" in result.kept
    summary = result.summary()
    persons = {p["id"]: p for p in summary["persons"]}
    assert persons["jiarui-fenwick-stockholm"]["new"]
    assert [m["label"] for m in persons["jiarui-fenwick-stockholm"]["papers_in"]] == [
        "2024.acl-short.1#1"
    ]
    assert persons["tobias-lindqvist"]["kept_by_id"] == 2  # W19-3201#2 and P19-1001#1
    assert {"W19-3201#2", "P19-1001#1"} <= set(result.kept)


@pytest.mark.parametrize("layout", ["2026-yaml", "2026-json"])
def test_2026_layouts_registry_edits(layout: str, tmp_path: Path) -> None:
    src = _copy(layout, tmp_path)
    changes, _ = _scenario(layout)
    result = build_export(changes, src)
    rel = LAYOUTS[layout][0]
    old, new = result.files[rel]
    load = json.loads if layout == "2026-json" else yaml.safe_load
    before, after = load(old), load(new)
    # new persons: the name shared with unassigned mentions -> disable_name_matching
    assert after["xiaoyu-penhale-uhk"] == {
        "names": [{"first": "Xiaoyu", "last": "Penhale"}],
        "comment": "University of Hong Kong",
        "disable_name_matching": True,
    }
    assert after["tobias-lindqvist-stockholm"]["names"] == [
        {"first": "Tobias", "last": "Lindqvist"}
    ]
    assert after["tobias-lindqvist-stockholm"]["comment"] == "Stockholm University"
    # the excluded id would fall back to morag-kilbride by name matching: flag set
    assert after["morag-kilbride"] == {**before["morag-kilbride"], "disable_name_matching": True}
    # every other entry is untouched, and the file keeps its order (sorted)
    untouched = set(before) - {"morag-kilbride"}
    assert all(after[k] == before[k] for k in untouched)
    assert list(after) == sorted(after)
    # line-level minimality: every old line kept in order (JSON may add a comma), only additions
    old_lines = [line.rstrip(",") for line in old.decode().splitlines()]
    new_lines = [line.rstrip(",") for line in new.decode().splitlines()]
    it = iter(new_lines)
    assert all(any(line == n for n in it) for line in old_lines)
    assert len(new_lines) - len(old_lines) <= 16
    # tobias-lindqvist's name-matched author and editor keep him by an explicit id
    nlp = result.files["xml/2026.nlp.xml"][1].decode()
    assert nlp.count('id="tobias-lindqvist"') == 2
    assert '<author id="tobias-lindqvist-stockholm">' in nlp
    acl = result.files["xml/2026.acl.xml"][1].decode()
    assert "<author><first>Morag E.</first><last>Kilbride</last></author>" in acl


ORCID_M, ORCID_T = "0000-0002-1825-0097", "0000-0001-8342-771X"  # valid checksums


@pytest.mark.parametrize("layout", list(LIBRARY))
def test_existing_entries_get_the_orcid_and_degree_they_lack(layout: str, tmp_path: Path) -> None:
    """Two entries without ORCID iD get one (and a degree institution where they have none):
    only the added lines differ, and the official library reads the entries back."""
    src = _copy(layout, tmp_path)
    changes = ChangeSet(
        updates={
            "morag-kilbride": PersonUpdate("morag-kilbride", ORCID_M, "University of Glasgow"),
            "jiarui-fenwick-tsinghua": PersonUpdate(
                "jiarui-fenwick-tsinghua", ORCID_T, "Tsinghua University"
            ),
        }
    )
    result = build_export(changes, src)
    rel = LAYOUTS[layout][0]
    assert list(result.files) == [rel] and result.ids_edited == 0
    old, new = (x.decode() for x in result.files[rel])
    # byte-minimal: every old line kept, in order (JSON may add a comma); only new lines
    diff = [d for d in difflib.ndiff(old.splitlines(), new.splitlines()) if d[:1] in "+-"]
    removed = [d[2:] for d in diff if d.startswith("- ")]
    added = [d[2:] for d in diff if d.startswith("+ ")]
    assert [r + "," for r in removed] == [a for a in added if a.rstrip(",") in removed]
    new_lines = [a for a in added if a.rstrip(",") not in removed]
    assert len(new_lines) == (3 if layout == "2025-11" else 4), new_lines
    assert all(ORCID_M in a or ORCID_T in a or "degree" in a for a in new_lines)
    persons = {p.person_id: p for p in LAYOUTS[layout][1](new.encode(), rel)}
    assert (persons["morag-kilbride"].orcid, persons["morag-kilbride"].degree) == (
        ORCID_M,
        "University of Glasgow",
    )
    assert persons["jiarui-fenwick-tsinghua"].orcid == ORCID_T
    # the Nov 2025 entry has an institution already: no degree added
    assert persons["jiarui-fenwick-tsinghua"].degree == "Tsinghua University"
    summary = {p["id"]: p for p in result.summary()["persons"]}
    assert summary["morag-kilbride"]["fields_set"] == ["orcid", "degree"]
    dest = write_copy(result, tmp_path / "out")
    before = _library(layout, src / "data", tmp_path)
    after = _library(layout, dest, tmp_path)
    # (the Nov 2025 fixture's ambiguous Jiarui Fenwick fails the build before and after)
    assert after["build_error"] == before["build_error"]
    assert after["build_error"] is None or layout == "2025-11", after["build_error"]
    assert after["owners"] == before["owners"]  # nobody moves
    if layout != "2025-11":  # 0.5.x reads no ORCID iD or degree
        got = after["persons"]["morag-kilbride"]
        assert (got["orcid"], got["degree"]) == (ORCID_M, "University of Glasgow")
        got = after["persons"]["jiarui-fenwick-tsinghua"]
        assert (got["orcid"], got["degree"]) == (ORCID_T, "Tsinghua University")
        assert after["persons"]["tobias-lindqvist"] == before["persons"]["tobias-lindqvist"]


@pytest.mark.parametrize("layout", list(LIBRARY))
def test_an_orcid_is_never_overwritten(layout: str, tmp_path: Path) -> None:
    src = _copy(layout, tmp_path)

    def update(pid: str, orcid: str) -> ChangeSet:
        return ChangeSet(updates={pid: PersonUpdate(pid, orcid)})

    theirs = "0000-0003-1415-9269"  # jiarui-fenwick-edinburgh's
    with pytest.raises(BylineError, match="edinburgh already has the ORCID iD .*never overwr"):
        build_export(update("jiarui-fenwick-edinburgh", ORCID_M), src)
    with pytest.raises(BylineError, match="already belongs to jiarui-fenwick-edinburgh"):
        build_export(update("morag-kilbride", theirs), src)
    with pytest.raises(BylineError, match="only added to an existing entry"):
        build_export(update("nobody-known", ORCID_M), src)
    # the same ORCID iD again is no change
    assert build_export(update("jiarui-fenwick-edinburgh", theirs), src).files == {}


RENAMES = {
    "jiarui-fenwick-tsinghua": ("Jiarui", "Fenwick-Reid"),  # a new name
    "morag-kilbride": ("Morag E.", "Kilbride"),  # a variant the entry has becomes canonical
}


def _renamed(layout: str, old: str) -> str:
    """The registry file of ``layout`` with RENAMES (and morag-kilbride's ORCID iD) by hand."""
    if layout == "2025-11":
        edits = [
            (
                "- canonical: {first: Jiarui, last: Fenwick}\n  id: jiarui-fenwick-tsinghua\n"
                "  comment: Tsinghua University\n  institution: Tsinghua University\n",
                "- canonical: {first: Jiarui, last: Fenwick-Reid}\n  id: jiarui-fenwick-tsinghua\n"
                "  comment: Tsinghua University\n  institution: Tsinghua University\n"
                "  variants:\n  - {first: Jiarui, last: Fenwick}\n",
            ),
            (  # its id was the old canonical name's slug: written out
                "- canonical: {first: Morag, last: Kilbride}\n  variants:\n"
                "  - {first: Morag E., last: Kilbride}\n",
                "- canonical: {first: Morag E., last: Kilbride}\n  id: morag-kilbride\n"
                f"  orcid: {ORCID_M}\n  variants:\n  - {{first: Morag, last: Kilbride}}\n",
            ),
        ]
    elif layout == "2026-yaml":
        edits = [
            (
                "  names:\n  - {first: Jiarui, last: Fenwick}\n  - {first: 嘉睿",
                "  names:\n  - {first: Jiarui, last: Fenwick-Reid}\n"
                "  - {first: Jiarui, last: Fenwick}\n  - {first: 嘉睿",
            ),
            (
                "  - {first: Morag, last: Kilbride}\n  - {first: Morag E., last: Kilbride}\n",
                "  - {first: Morag E., last: Kilbride}\n  - {first: Morag, last: Kilbride}\n"
                f"  orcid: {ORCID_M}\n",
            ),
        ]
    else:
        edits = [
            (
                '    "names": [\n      {"first": "Jiarui", "last": "Fenwick"},\n'
                '      {"first": "嘉睿"',
                '    "names": [\n      {"first": "Jiarui", "last": "Fenwick-Reid"},\n'
                '      {"first": "Jiarui", "last": "Fenwick"},\n      {"first": "嘉睿"',
            ),
            (
                '      {"first": "Morag", "last": "Kilbride"},\n'
                '      {"first": "Morag E.", "last": "Kilbride"}\n    ]\n',
                '      {"first": "Morag E.", "last": "Kilbride"},\n'
                '      {"first": "Morag", "last": "Kilbride"}\n    ],\n'
                f'    "orcid": "{ORCID_M}"\n',
            ),
        ]
    for a, b in edits:
        assert old.count(a) == 1, a
        old = old.replace(a, b)
    return old


@pytest.mark.parametrize("layout", list(LIBRARY))
def test_a_name_change_makes_the_new_name_canonical(layout: str, tmp_path: Path) -> None:
    """The new name becomes the entry's canonical name, the old one stays as a variant (the
    first of names / of variants), in each layout's way; the official library reads the new
    canonical name and nobody moves."""
    src = _copy(layout, tmp_path)
    changes = ChangeSet(
        updates={pid: PersonUpdate(pid, name=name) for pid, name in RENAMES.items()}
    )
    changes.updates["morag-kilbride"].orcid = ORCID_M
    result = build_export(changes, src)
    rel = LAYOUTS[layout][0]
    assert list(result.files) == [rel] and result.ids_edited == 0
    old, new = (x.decode() for x in result.files[rel])
    # byte-minimal: the file as a maintainer would edit it by hand
    assert new == _renamed(layout, old)
    summary = {p["id"]: p for p in result.summary()["persons"]}
    assert summary["jiarui-fenwick-tsinghua"]["renamed_from"] == "Jiarui Fenwick"
    assert summary["morag-kilbride"]["renamed_from"] == "Morag Kilbride"
    dest = write_copy(result, tmp_path / "out")
    before = _library(layout, src / "data", tmp_path)
    after = _library(layout, dest, tmp_path)
    assert after["build_error"] == before["build_error"]
    assert after["owners"] == before["owners"]  # nobody moves
    got = after["persons"]["jiarui-fenwick-tsinghua"]["names"]
    assert got[:2] == [["Jiarui", "Fenwick-Reid"], ["Jiarui", "Fenwick"]]
    got = after["persons"]["morag-kilbride"]["names"]
    assert got[:2] == [["Morag E.", "Kilbride"], ["Morag", "Kilbride"]]
    assert len(got) == len(before["persons"]["morag-kilbride"]["names"])  # moved, not added
    others = set(before["persons"]) - set(RENAMES)
    assert {k: after["persons"][k] for k in others} == {k: before["persons"][k] for k in others}
    # the canonical name again is no change
    same = ("Tobias", "Lindqvist")
    again = ChangeSet(updates={"tobias-lindqvist": PersonUpdate("tobias-lindqvist", name=same)})
    assert build_export(again, src).files == {}


@pytest.mark.parametrize("layout", list(LIBRARY))
def test_a_name_change_to_another_persons_name_is_refused(layout: str, tmp_path: Path) -> None:
    src = _copy(layout, tmp_path)
    taken = ChangeSet(
        updates={"morag-kilbride": PersonUpdate("morag-kilbride", name=("Tobias", "Lindqvist"))}
    )
    with pytest.raises(BylineError, match="is a name of tobias-lindqvist; a name change to"):
        build_export(taken, src)


def test_people_json_adds_name_in_collapsed_style(tmp_path: Path) -> None:
    src = _copy("2026-json", tmp_path)
    # "J. Fenwick" is a name of jiarui-fenwick-edinburgh only; giving it to tsinghua adds it
    xml = src / "data/xml/2026.acl.xml"
    xml.write_bytes(
        xml.read_bytes().replace(
            b"<author><first>Jiarui</first><last>Fenwick</last></author>",
            b"<author><first>J.</first><last>Fenwick</last></author>",
        )
    )
    result = build_export(ChangeSet(assign={"2026.acl-long.3#0": "jiarui-fenwick-tsinghua"}), src)
    old, new = result.files["json/people.json"]
    a = [line.rstrip(",") for line in old.decode().splitlines()]
    b = [line.rstrip(",") for line in new.decode().splitlines()]
    changed = [d for d in difflib.ndiff(a, b) if d[:1] in "+-"]
    assert changed == ['+       {"first": "J.", "last": "Fenwick"}']
    assert json.loads(new)["jiarui-fenwick-tsinghua"]["names"][-1] == {
        "first": "J.",
        "last": "Fenwick",
    }


# ---------------------------------------------------------------------------- bytes, patch


@pytest.mark.parametrize("layout", list(LIBRARY))
def test_xml_edits_are_byte_minimal(layout: str, tmp_path: Path) -> None:
    src = _copy(layout, tmp_path)
    changes, _ = _scenario(layout)
    result = build_export(changes, src)
    xml = {rel: on for rel, on in result.files.items() if rel.startswith("xml/")}
    assert xml
    attr = re.compile(rb"""\s+id="[^"]*\"""")
    for rel, (old, new) in xml.items():
        assert (src / "data" / rel).read_bytes() == old
        assert only_ids_differ(old, new)
        a, b = old.split(b"\n"), new.split(b"\n")
        assert len(a) == len(b), rel
        for x, y in zip(a, b, strict=True):
            if x != y:  # a changed line differs only by one id= on an <author>/<editor>
                assert re.search(rb"<(author|editor)", y), y
                assert attr.sub(b"", x, count=1) == attr.sub(b"", y, count=1) or attr.sub(
                    b"", x
                ) == attr.sub(b"", y), (x, y)
    # files without a change are not in the result, and unchanged bytes stay identical
    dest = write_copy(result, tmp_path / "copy")
    for path in (src / "data").rglob("*"):
        if path.is_file():
            rel = path.relative_to(src / "data").as_posix()
            want = result.files[rel][1] if rel in result.files else path.read_bytes()
            assert (dest / rel).read_bytes() == want, rel


@pytest.mark.parametrize("layout", list(LIBRARY))
def test_patch_applies_with_git_and_patch(layout: str, tmp_path: Path) -> None:
    src = _copy(layout, tmp_path)
    changes, _ = _scenario(layout)
    result = build_export(changes, src)
    text = unified_patch(result)
    assert text.startswith("diff --git a/data/")
    assert "--- a/data/xml/" in text and "+++ b/data/xml/" in text
    pfile = tmp_path / "change.patch"
    pfile.write_text(text, encoding="utf-8")
    repo = tmp_path / "checkout"
    shutil.copytree(src, repo)
    if shutil.which("git"):
        proc = subprocess.run(
            ["git", "apply", "--check", str(pfile)], cwd=repo, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
    if not shutil.which("patch"):
        pytest.skip("the patch program is not installed")
    proc = subprocess.run(
        ["patch", "-p1", "-i", str(pfile)], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for rel, (_, new) in result.files.items():
        assert (repo / "data" / rel).read_bytes() == new


def test_export_from_tarball(tmp_path: Path, make_tarball) -> None:  # type: ignore[no-untyped-def]
    tarball = make_tarball("anthology-2025-11")
    changes, expected = _scenario("2025-11")
    result = build_export(changes, tarball)
    dest = write_copy(result, tmp_path / "from-tar")
    assert (dest / "yaml/name_variants.yaml").read_bytes() == result.files[
        "yaml/name_variants.yaml"
    ][1]
    specs = {s.mention_id: s for s in scan((dest / "xml/W19.xml").read_bytes(), "xml/W19.xml")}
    assert specs["W19-3212#1"].id == expected["W19-3212#1"]
    with pytest.raises(BylineError, match="exists already"):
        write_copy(result, tmp_path / "from-tar")


# ---------------------------------------------------------------------------- ids, resolver


def test_new_person_ids_follow_the_convention() -> None:
    taken = {"yang-liu", "yang-liu-edinburgh"}.__contains__
    assert new_person_id("peisong-wang", taken, shared=False) == "peisong-wang"
    assert (
        new_person_id(
            "yang-liu",
            taken,
            shared=True,
            institution="University of Edinburgh",
            orcid="0000-0002-1825-0097",
        )
        == "yang-liu-0097"
    )
    assert new_person_id("yang-liu", taken, shared=True, institution="Tsinghua University") == (
        "yang-liu-tsinghua"
    )
    assert new_person_id("yang-liu", taken, shared=True) == "yang-liu-2"
    # shared name: never the bare slug, even when free
    assert new_person_id("ada-lovelace", taken, shared=True) == "ada-lovelace-2"
    assert institution_suffix("Carnegie Mellon University") == "cmu"
    assert institution_suffix("KAIST; Naver") == "kaist"
    assert institution_suffix(None) is None


@pytest.mark.parametrize("layout", list(LIBRARY))
def test_resolver_agrees_with_official_library(layout: str, tmp_path: Path) -> None:
    src = _copy(layout, tmp_path)
    lib = _library(layout, src / "data", tmp_path)
    reg_rel, reader = LAYOUTS[layout]
    reg = Registry(layout, reader((src / "data" / reg_rel).read_bytes(), reg_rel))
    n = 0
    for path in sorted((src / "data/xml").glob("*.xml")):
        for s in scan(path.read_bytes(), path.name):
            if s.mention_id:
                want = lib["owners"][s.mention_id]
                got = reg.owner(s.first, s.last, s.id)
                assert (AMBIGUOUS if want == "!AmbiguousNameError" else want) == got, s.mention_id
                n += 1
    assert n >= 9


# ---------------------------------------------------------------------------- errors


def test_errors_are_clear(tmp_path: Path) -> None:
    src = _copy("2026-json", tmp_path)
    with pytest.raises(BylineError, match="no such file or folder"):
        build_export(ChangeSet(assign={"x#0": "y"}), tmp_path / "missing")
    odd = tmp_path / "odd" / "data" / "xml"
    odd.mkdir(parents=True)
    (odd / "2026.acl.xml").write_bytes((src / "data/xml/2026.acl.xml").read_bytes())
    with pytest.raises(BylineError, match="unknown Anthology data layout"):
        build_export(ChangeSet(assign={"2026.acl-long.1#0": "morag-kilbride"}), odd.parent)
    with pytest.raises(BylineError, match=r"mention 2026\.acl-long\.9#0"):
        build_export(ChangeSet(assign={"2026.acl-long.9#0": "morag-kilbride"}), src)
    with pytest.raises(BylineError, match=r"mention 2031\.acl-long\.1#0.*not in the data"):
        build_export(ChangeSet(assign={"2031.acl-long.1#0": "morag-kilbride"}), src)
    with pytest.raises(BylineError, match="unknown person id 'nobody-known'"):
        build_export(ChangeSet(assign={"2026.acl-long.3#0": "nobody-known"}), src)
    # a mention with wenjie-dalby's ORCID cannot become a new person holding the same ORCID
    with pytest.raises(BylineError, match="already belongs to wenjie-dalby"):
        build_export(ChangeSet(assign={"2026.acl-long.2#0": "wenjie-dalby/00000001"}), src)
    # ... nor another existing person whose ORCID differs
    with pytest.raises(BylineError, match="ORCID"):
        build_export(ChangeSet(assign={"2026.acl-long.2#0": "tobias-lindqvist"}), src)
    # two authors of one paper cannot be one new person
    with pytest.raises(BylineError, match="one paper cannot list a person twice"):
        build_export(
            ChangeSet(
                assign={"2026.acl-long.3#0": "x/00000001", "2026.acl-long.3#1": "x/00000001"}
            ),
            src,
        )


# ---------------------------------------------------------------------------- store + CLI


def _store_with_decisions(tmp_path: Path, data: Path):  # type: ignore[no-untyped-def]
    from byline.store import connect
    from byline.store.decisions import record
    from byline.store.ingest import ingest

    engine = connect(f"sqlite:///{tmp_path / 'store.sqlite'}")
    ingest(engine, data)
    record(
        engine,
        slug="xiaoyu-penhale",
        kind="assign",
        mention_ids=["2026.acl-long.3#1"],
        person="xiaoyu-penhale/2c2c2c2c",
        display_name=("Xiaoyu", "Penhale"),
    )
    record(
        engine,
        slug="jiarui-fenwick",
        kind="assign",
        mention_ids=["2026.acl-long.3#0"],
        person="jiarui-fenwick-tsinghua",
    )
    record(
        engine,
        slug="morag-e-kilbride",
        kind="not_person",
        mention_ids=["2026.acl-long.1#1"],
        person="morag-kilbride",
    )
    return engine


def test_changes_from_decisions(tmp_path: Path) -> None:
    from byline.export import changes_from_decisions
    from byline.store.corpus import load_corpus

    src = _copy("2026-json", tmp_path)
    engine = _store_with_decisions(tmp_path, src)
    for corpus in (None, load_corpus(engine)):
        changes = changes_from_decisions(engine, corpus)
        assert changes.assign == {
            "2026.acl-long.3#1": "xiaoyu-penhale/2c2c2c2c",
            "2026.acl-long.3#0": "jiarui-fenwick-tsinghua",
        }
        assert changes.exclude == {"2026.acl-long.1#1": {"morag-kilbride"}}
        assert list(changes.new_persons) == ["xiaoyu-penhale/2c2c2c2c"]
        np = changes.new_persons["xiaoyu-penhale/2c2c2c2c"]
        assert (np.first, np.last, np.orcid, np.comment) == ("Xiaoyu", "Penhale", None, None)


def test_cli_export_patch_and_copy(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from byline.cli import app

    src = _copy("2026-json", tmp_path)
    _store_with_decisions(tmp_path, src)
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    runner = CliRunner()
    patch = tmp_path / "decisions.patch"
    res = runner.invoke(
        app, ["export", "--data", str(src), "--patch", str(patch), "--db", db, "--json"]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["written"] == str(patch)
    assert summary["files_changed"] == ["json/people.json", "xml/2026.acl.xml"]
    persons = {p["id"]: p for p in summary["persons"]}
    assert persons["xiaoyu-penhale-2"]["new"]  # no affiliation, no ORCID: numbered
    # 2026.acl-long.2#2 (Xiaoyu Penhale, unassigned) must not fall to the new person
    assert persons["xiaoyu-penhale-2"]["disable_name_matching_set"] is True
    assert [m["label"] for m in persons["jiarui-fenwick-tsinghua"]["papers_in"]] == [
        "2026.acl-long.3#0"
    ]
    assert persons["morag-kilbride"]["disable_name_matching_set"]
    text = patch.read_text()
    assert "+++ b/data/xml/2026.acl.xml" in text and "+++ b/data/json/people.json" in text
    res = runner.invoke(
        app, ["export", "--data", str(src), "--to", str(tmp_path / "o"), "--db", db]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o/data/json/people.json").is_file()
    # one of --to / --patch
    res = runner.invoke(app, ["export", "--data", str(src), "--db", db])
    assert res.exit_code == 2
    # data that is not what the store holds: refused, nothing written
    other = _copy("2026-yaml", tmp_path / "other")
    res = runner.invoke(
        app, ["export", "--data", str(other), "--patch", str(tmp_path / "x.patch"), "--db", db]
    )
    assert res.exit_code == 1
    assert "not the file the store was ingested from" in res.output
    assert not (tmp_path / "x.patch").exists()
