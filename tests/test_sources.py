"""Readers of the Anthology data folder: every layout, folder and tarball, and the errors."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from byline.errors import BylineError, DataError
from byline.sources import read_anthology
from byline.sources.anthology import LAYOUTS, Layout, Library, iter_source_files
from byline.sources.ids import (
    is_anthology_paper_id,
    is_person_id,
    mention_id,
    paper_full_id,
    paper_of,
    parse_mention_id,
)
from byline.sources.people import read_name_variants, read_people_json, read_people_yaml
from byline.sources.records import Mention, Name, Person

REAL_DATA = Path(__file__).parents[1] / ".." / "shared" / "anthology"
REAL_TARBALL = REAL_DATA / "acl-anthology-data-2025-11.tar.gz"

ORCID_A = "0000-0003-1415-9269"
MakeTarball = Callable[[str | Path], Path]


def mentions(lib: Library) -> dict[str, Mention]:
    return {m.mention_id: m for p in lib.papers for m in p.authors}


def copy_fixture(fixtures_dir: Path, name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(fixtures_dir / name, dest)
    return dest


# --- paper ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("collection", "volume", "paper", "expected"),
    [
        ("2024.acl", "long", "12", "2024.acl-long.12"),
        ("2024.findings", "emnlp", "3", "2024.findings-emnlp.3"),
        ("P19", "1", "12", "P19-1012"),
        ("J89", "1", "1", "J89-1001"),
        ("W19", "32", "12", "W19-3212"),
        ("W19", "1", "2", "W19-0102"),
        ("C69", "1", "2", "C69-0102"),
        ("D19", "1", "12", "D19-1012"),
        # EMNLP 2019 workshop volumes are numbered like W volumes (acl-anthology build_id)
        ("D19", "54", "9", "D19-5409"),
    ],
)
def test_paper_full_id(collection: str, volume: str, paper: str, expected: str) -> None:
    assert paper_full_id(collection, volume, paper) == expected
    assert is_anthology_paper_id(expected)


def test_mention_ids_build_and_parse() -> None:
    mid = mention_id("2024.acl-long.12", 3)
    assert mid == "2024.acl-long.12#3"
    assert parse_mention_id(mid) == ("2024.acl-long.12", 3)
    assert paper_of(mid) == "2024.acl-long.12"
    assert parse_mention_id(mention_id("P19-1012", 0)) == ("P19-1012", 0)
    for bad in ["P19-1012", "P19-1012#", "#3", "P19-1012#x"]:
        with pytest.raises(ValueError, match="not a mention id"):
            parse_mention_id(bad)
    assert not is_anthology_paper_id("new-paper-1")


def test_person_ids() -> None:
    assert is_person_id("jiarui-fenwick") and is_person_id("yang-liu-edinburgh")
    assert not is_person_id("Jiarui-Fenwick") and not is_person_id("1-fenwick")
    assert not is_person_id("j") and not is_person_id("jiarui fenwick")


# --- Nov 2025 layout ---------------------------------------------------------------------


@pytest.fixture
def lib2025(fixtures_dir: Path) -> Library:
    return read_anthology(fixtures_dir / "anthology-2025-11")


def test_2025_layout_and_papers(lib2025: Library) -> None:
    assert lib2025.layout == "2025-11"
    ids = [p.paper_id for p in lib2025.papers]
    assert ids == [
        "2024.acl-long.1",
        "2024.acl-long.2",
        "2024.acl-long.3",
        "2024.acl-long.4",
        "2024.acl-short.1",
        "P19-1001",
        "P19-1002",
        "P19-1003",
        "W19-3201",
        "W19-3212",
    ]
    assert sum(len(p.authors) for p in lib2025.papers) == 28
    assert set(lib2025.file_digests) == {
        "yaml/name_variants.yaml",
        "xml/2024.acl.xml",
        "xml/P19.xml",
        "xml/W19.xml",
    }
    by_id = {p.paper_id: p for p in lib2025.papers}
    p = by_id["P19-1002"]
    assert p.year == 2019
    assert p.venues == ("acl",)
    assert p.source == "xml/P19.xml"
    assert p.booktitle.startswith("Proceedings of the 57th Annual Meeting")
    assert p.title == "Acoustic Model Adaptation for Accented Mandarin Speech Recognition"
    assert p.abstract.startswith("Speech recognisers trained on standard Mandarin")
    assert by_id["W19-3212"].venues == ("ws",)
    assert by_id["2024.acl-short.1"].booktitle.endswith("(Volume 2: Short Papers)")


def test_2025_markup_and_escaped_characters(lib2025: Library) -> None:
    paper = next(p for p in lib2025.papers if p.paper_id == "2024.acl-long.4")
    assert paper.title == (
        "BERTScore < Human Judgments: Revisiting Metric Validity for MT Evaluation"
    )
    assert paper.abstract.endswith(r"show where \rho < 0.3.")


def test_2025_positions_exclude_editors_and_frontmatter(lib2025: Library) -> None:
    by_id = {p.paper_id: p for p in lib2025.papers}
    shared = by_id["2024.acl-long.3"].authors
    assert [(m.position, m.full_name) for m in shared] == [
        (0, "Jiarui Fenwick"),
        (1, "Morag Kilbride"),
        (2, "Wenjie Dalby"),
        (3, "Jiarui Fenwick"),
    ]
    assert [m.mention_id for m in shared] == [f"2024.acl-long.3#{i}" for i in range(4)]
    names = {m.full_name for m in mentions(lib2025).values()}
    assert "Priya Ramaswamy" not in names  # only ever a volume editor
    for p in lib2025.papers:
        assert [m.position for m in p.authors] == list(range(len(p.authors)))
    # front matter (2024.acl-long.0, P19-1000, W19-3200) is not a paper
    assert not {"2024.acl-long.0", "P19-1000", "W19-3200"} & set(by_id)


def test_2025_mention_attributes(lib2025: Library) -> None:
    ms = mentions(lib2025)
    a1 = ms["2024.acl-long.1#0"]
    assert (a1.first, a1.last) == ("Jiarui", "Fenwick")
    assert a1.person_id == "jiarui-fenwick-edinburgh"
    assert a1.orcid == ORCID_A
    assert a1.affiliation == "University of Edinburgh"
    assert a1.openreview is None
    assert a1.slug == "jiarui-fenwick"
    # ORCID without id: the must-link of the known split
    a2 = ms["P19-1001#0"]
    assert (a2.person_id, a2.orcid, a2.affiliation) == (None, ORCID_A, None)
    assert ms["P19-1002#2"].person_id == "jiarui-fenwick"  # the catch-all id
    assert ms["2024.acl-long.2#1"].affiliation == "Tsinghua University"
    assert ms["2024.acl-short.1#0"].first == "Tobias J."
    assert ms["P19-1001#1"].affiliation == "Uppsala University"


def test_2025_persons(lib2025: Library) -> None:
    persons = {p.person_id: p for p in lib2025.persons}
    assert list(persons) == [
        "jiarui-fenwick",
        "jiarui-fenwick-edinburgh",
        "jiarui-fenwick-tsinghua",
        "morag-kilbride",
        "tobias-lindqvist",
    ]
    assert [p.person_id for p in lib2025.persons if p.catch_all] == ["jiarui-fenwick"]
    edi = persons["jiarui-fenwick-edinburgh"]
    assert edi.orcid == ORCID_A
    assert edi.comment == "University of Edinburgh"
    assert edi.similar == ("jiarui-fenwick-tsinghua",)
    assert edi.explicit and not edi.catch_all and not edi.disable_name_matching
    assert persons["jiarui-fenwick-tsinghua"].degree == "Tsinghua University"  # institution:
    assert persons["tobias-lindqvist"].degree == "Uppsala University"
    morag = persons["morag-kilbride"]
    assert not morag.explicit  # no id: in the registry, id is the canonical name's slug
    assert morag.names == [Name("Morag", "Kilbride"), Name("Morag E.", "Kilbride")]
    assert morag.canonical == Name("Morag", "Kilbride")
    assert all(p.script_names == () for p in lib2025.persons)


def test_2025_expected_md_lists_every_fenwick_mention(
    lib2025: Library,
    fixtures_dir: Path,
) -> None:
    """EXPECTED.md and the XML stay in step: each Fenwick mention is listed exactly once."""
    text = (fixtures_dir / "anthology-2025-11" / "EXPECTED.md").read_text()
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    gold: dict[str, str] = {}
    for section in sections:
        m = re.match(r"Person \w: `([a-z-]+)`", section)
        if m:
            for mid in re.findall(r"^\| `([^`]+#\d+)` \|", section, flags=re.MULTILINE):
                assert mid not in gold
                gold[mid] = m.group(1)
    fenwick = {mid for mid, m in mentions(lib2025).items() if m.full_name == "Jiarui Fenwick"}
    assert set(gold) == fenwick
    assert sorted(gold.values()).count("jiarui-fenwick-edinburgh") == 5
    assert sorted(gold.values()).count("jiarui-fenwick-tsinghua") == 4
    # explicit ids in the XML agree with EXPECTED.md
    for mid, m in mentions(lib2025).items():
        if mid in gold and m.person_id and m.person_id != "jiarui-fenwick":
            assert m.person_id == gold[mid]


# --- 2026 layouts ------------------------------------------------------------------------


# The XML of each fixture follows the schema of its era: ``openreview=`` (and ``<pdf hash=>``
# instead of ``<url hash=>``, ``<par/>`` in abstracts) only came with acl-anthology 1.3.
@pytest.mark.parametrize(
    ("fixture", "layout", "registry", "openreview"),
    [
        ("anthology-2026-yaml", "2026-yaml", "yaml/people.yaml", False),
        ("anthology-2026-json", "2026-json", "json/people.json", True),
    ],
)
def test_2026_layouts(
    fixtures_dir: Path, fixture: str, layout: str, registry: str, openreview: bool
) -> None:
    lib = read_anthology(fixtures_dir / fixture)
    assert lib.layout == layout
    assert set(lib.file_digests) == {registry, "xml/2026.acl.xml"}
    assert [p.paper_id for p in lib.papers] == [
        "2026.acl-long.1",
        "2026.acl-long.2",
        "2026.acl-long.3",
    ]
    ms = mentions(lib)
    assert len(ms) == 8
    a = ms["2026.acl-long.1#0"]
    assert (a.person_id, a.orcid, a.openreview, a.affiliation) == (
        "jiarui-fenwick-edinburgh",
        ORCID_A,
        "~Jiarui_Fenwick1" if openreview else None,
        "University of Edinburgh",
    )
    assert ms["2026.acl-long.1#2"].orcid == "0000-0002-7182-8185"
    b = ms["2026.acl-long.2#1"]
    assert (b.person_id, b.orcid, b.openreview, b.variant) == (
        "jiarui-fenwick-tsinghua",
        None,
        None,
        "嘉睿 冯",
    )
    assert ms["2026.acl-long.3#1"].openreview == ("~Xiaoyu_Penhale2" if openreview else None)
    assert ms["2026.acl-long.2#0"].openreview == ("~Wenjie_Dalby1" if openreview else None)
    assert lib.papers[1].abstract == (
        "Speakers in Singapore and Hong Kong switch between Mandarin and English within a "
        "sentence. Pretraining on untranscribed code-switched audio halves the gap to "
        "monolingual recognition accuracy."
    )
    assert ms["2026.acl-long.3#0"].person_id is None

    persons = {p.person_id: p for p in lib.persons}
    assert list(persons) == [
        "jiarui-fenwick-edinburgh",
        "jiarui-fenwick-tsinghua",
        "morag-kilbride",
        "tobias-lindqvist",
        "wenjie-dalby",
    ]
    assert all(p.explicit and not p.catch_all for p in lib.persons)
    edi = persons["jiarui-fenwick-edinburgh"]
    assert edi == Person(
        person_id="jiarui-fenwick-edinburgh",
        names=[Name("Jiarui", "Fenwick"), Name("J.", "Fenwick")],
        orcid=ORCID_A,
        comment="University of Edinburgh",
        degree="University of Edinburgh",
        similar=("jiarui-fenwick-tsinghua",),
        disable_name_matching=False,
        explicit=True,
    )
    tsi = persons["jiarui-fenwick-tsinghua"]
    assert tsi.disable_name_matching is True
    assert tsi.names == [Name("Jiarui", "Fenwick")]
    assert tsi.script_names == (("hani", Name("嘉睿", "冯")),)
    assert tsi.comment == "Tsinghua University" and tsi.orcid is None and tsi.degree is None
    assert persons["wenjie-dalby"].orcid == "0009-0004-6626-070X"
    assert persons["tobias-lindqvist"].degree == "Uppsala University"


def test_2026_yaml_and_json_registries_agree(fixtures_dir: Path) -> None:
    from_yaml = read_anthology(fixtures_dir / "anthology-2026-yaml")
    from_json = read_anthology(fixtures_dir / "anthology-2026-json")
    assert from_yaml.persons == from_json.persons
    # same papers; only the json era's XML has openreview= (and <pdf>, <par/>)
    for py, pj in zip(from_yaml.papers, from_json.papers, strict=True):
        assert [replace(m, openreview=None) for m in pj.authors] == py.authors
        assert replace(pj, authors=[]) == replace(py, authors=[])


# --- folder vs tarball -------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture", ["anthology-2025-11", "anthology-2026-yaml", "anthology-2026-json"]
)
def test_folder_and_tarball_read_the_same(
    fixtures_dir: Path, make_tarball: MakeTarball, fixture: str
) -> None:
    from_folder = read_anthology(fixtures_dir / fixture)
    # the data/ folder itself works as well as its parent
    from_data = read_anthology(fixtures_dir / fixture / "data")
    from_tar = read_anthology(make_tarball(fixture))
    for other in (from_data, from_tar):
        assert other.layout == from_folder.layout
        assert other.papers == from_folder.papers
        assert other.persons == from_folder.persons
        assert other.file_digests == from_folder.file_digests


def test_iter_source_files_registry_first(fixtures_dir: Path, make_tarball: MakeTarball) -> None:
    for path in (fixtures_dir / "anthology-2026-json", make_tarball("anthology-2026-json")):
        files = [f.path for f in iter_source_files(path)]
        assert files == ["json/people.json", "xml/2026.acl.xml"]


# --- layout precedence -------------------------------------------------------------------


def test_layouts_newest_first() -> None:
    assert list(LAYOUTS) == ["2026-json", "2026-yaml", "2025-11"]
    assert list(LAYOUTS) == [Layout.PEOPLE_JSON, Layout.PEOPLE_YAML, Layout.NAME_VARIANTS]
    assert LAYOUTS[Layout.NAME_VARIANTS][0] == "yaml/name_variants.yaml"
    assert f"{Layout.NAME_VARIANTS} layout" == "2025-11 layout"  # as messages and --json say


def test_newest_registry_wins(
    fixtures_dir: Path, tmp_path: Path, make_tarball: MakeTarball
) -> None:
    root = copy_fixture(fixtures_dir, "anthology-2026-yaml", tmp_path)
    shutil.copy(
        fixtures_dir / "anthology-2025-11" / "data" / "yaml" / "name_variants.yaml",
        root / "data" / "yaml" / "name_variants.yaml",
    )
    lib = read_anthology(root)
    assert lib.layout == "2026-yaml"
    assert "yaml/name_variants.yaml" not in lib.file_digests
    assert lib.persons == read_anthology(fixtures_dir / "anthology-2026-yaml").persons

    (root / "data" / "json").mkdir()
    shutil.copy(
        fixtures_dir / "anthology-2026-json" / "data" / "json" / "people.json",
        root / "data" / "json" / "people.json",
    )
    for path in (root, make_tarball(root)):
        lib = read_anthology(path)
        assert lib.layout == "2026-json"
        assert set(lib.file_digests) == {"json/people.json", "xml/2026.acl.xml"}


# --- registry readers on their own -------------------------------------------------------


def test_people_name_without_first_and_typed_values() -> None:
    data = b"mausam:\n  names:\n  - {last: Mausam}\n  comment: 2019\n  similar: mausam-x\n"
    (p,) = read_people_yaml(data, "people.yaml")
    assert p.names == [Name("", "Mausam")]
    assert p.comment == "2019"
    assert p.similar == ("mausam-x",)


def test_people_only_script_names_are_kept_as_names() -> None:
    data = b'{"x-y": {"names": [{"first": "A", "last": "B", "script": "hani"}]}}'
    (p,) = read_people_json(data, "p")
    assert p.names == [Name("A", "B")]
    assert p.script_names == (("hani", Name("A", "B")),)


# --- errors ------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(BylineError, match="no such file or folder"):
        read_anthology(tmp_path / "nope")


def test_unreadable_tarball(tmp_path: Path) -> None:
    bad = tmp_path / "data.tar.gz"
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(BylineError, match=r"data\.tar\.gz: cannot read this archive") as exc:
        read_anthology(bad)
    assert "re-download" in str(exc.value)


def test_unknown_layout(fixtures_dir: Path, tmp_path: Path, make_tarball: MakeTarball) -> None:
    root = copy_fixture(fixtures_dir, "anthology-2025-11", tmp_path)
    (root / "data" / "yaml" / "name_variants.yaml").unlink()
    for path in (root, make_tarball(root)):
        with pytest.raises(BylineError) as exc:
            read_anthology(path)
        msg = str(exc.value)
        assert msg.startswith(str(path))
        assert "unknown Anthology data layout" in msg
        for registry in ("json/people.json", "yaml/people.yaml", "yaml/name_variants.yaml"):
            assert registry in msg
        assert "pass the Anthology's data/ folder" in msg


def test_registry_without_collections(fixtures_dir: Path, tmp_path: Path) -> None:
    root = copy_fixture(fixtures_dir, "anthology-2026-json", tmp_path)
    (root / "data" / "xml" / "2026.acl.xml").unlink()
    with pytest.raises(DataError, match="no data/xml/.*collection files found"):
        read_anthology(root)


def _break_line(path: Path, needle: str, replacement: str) -> int:
    """Replace ``needle`` (on exactly one line) and return that line's number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    (idx,) = [i for i, line in enumerate(lines) if needle in line]
    lines[idx] = lines[idx].replace(needle, replacement)
    path.write_text("\n".join(lines), encoding="utf-8")
    return idx + 1


def test_malformed_xml_names_file_and_line(
    fixtures_dir: Path, tmp_path: Path, make_tarball
) -> None:
    root = copy_fixture(fixtures_dir, "anthology-2025-11", tmp_path)
    line = _break_line(
        root / "data" / "xml" / "P19.xml",
        "Coherence in Document-Level Translation</title>",
        "Coherence in Document-Level Translation</titel>",
    )
    with pytest.raises(DataError) as exc:
        read_anthology(root)
    assert exc.value.line == line
    assert f"P19.xml:{line}: malformed XML" in str(exc.value)
    assert str(root / "data" / "xml" / "P19.xml") in str(exc.value)
    with pytest.raises(DataError) as exc:
        read_anthology(make_tarball(root))
    assert f"anthology-2025-11.tar.gz/data/xml/P19.xml:{line}: malformed XML" in str(exc.value)


def test_xml_that_is_not_a_collection(fixtures_dir: Path, tmp_path: Path) -> None:
    root = copy_fixture(fixtures_dir, "anthology-2026-yaml", tmp_path)
    (root / "data" / "xml" / "2026.acl.xml").write_text("<?xml version='1.0'?>\n<volumes/>\n")
    with pytest.raises(DataError, match=r"2026\.acl\.xml:2: not an Anthology collection"):
        read_anthology(root)


@pytest.mark.parametrize(
    ("fixture", "registry", "needle", "replacement", "kind"),
    [
        (
            "anthology-2025-11",
            "yaml/name_variants.yaml",
            "id: tobias-lindqvist",
            "id: [tobias-lindqvist",
            "YAML",
        ),
        (
            "anthology-2026-yaml",
            "yaml/people.yaml",
            "- {first: J., last: Fenwick}",
            "- {first: J., last: Fenwick",
            "YAML",
        ),
        (
            "anthology-2026-json",
            "json/people.json",
            '"degree": "Uppsala University",',
            '"degree": "Uppsala University"',
            "JSON",
        ),
    ],
)
def test_malformed_registry_names_file_and_line(
    fixtures_dir: Path,
    tmp_path: Path,
    fixture: str,
    registry: str,
    needle: str,
    replacement: str,
    kind: str,
) -> None:
    root = copy_fixture(fixtures_dir, fixture, tmp_path)
    line = _break_line(root / "data" / registry, needle, replacement)
    with pytest.raises(DataError) as exc:
        read_anthology(root)
    msg = str(exc.value)
    assert str(root / "data" / registry) in msg
    assert f"malformed {kind}" in msg
    assert exc.value.line is not None
    # parsers report where they noticed the problem: on the broken line or just after it
    assert line <= exc.value.line <= line + 2, msg


@pytest.mark.parametrize(
    ("reader", "data", "message"),
    [
        (read_people_yaml, b"- canonical: {first: A, last: B}\n", "got a list"),
        (read_people_yaml, b"", "got an empty file"),
        (read_people_json, b'[{"names": []}]', "got a list"),
        (read_people_json, b'"people"', "got a str"),
        (read_name_variants, b"a-b:\n  names: []\n", "got a mapping"),
    ],
)
def test_registry_of_the_wrong_shape(
    reader: Callable[[bytes, str], list[Person]], data: bytes, message: str
) -> None:
    with pytest.raises(DataError, match=message) as exc:
        reader(data, "data/some/registry")
    assert str(exc.value).startswith("data/some/registry")


def test_people_yaml_of_the_wrong_shape_in_a_folder(fixtures_dir: Path, tmp_path: Path) -> None:
    root = copy_fixture(fixtures_dir, "anthology-2026-yaml", tmp_path)
    shutil.copy(
        fixtures_dir / "anthology-2025-11" / "data" / "yaml" / "name_variants.yaml",
        root / "data" / "yaml" / "people.yaml",
    )
    with pytest.raises(DataError) as exc:
        read_anthology(root)
    msg = str(exc.value)
    assert str(root / "data" / "yaml" / "people.yaml") in msg
    assert "expected a mapping from person id" in msg
    assert "name_variants.yaml" in msg  # says what the file looks like


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (
            b'{\n  "a-b": {"names": [{"first": "A", "last": "B"}]},\n  "Bad Id": {"names": []}\n}',
            "invalid person id 'Bad Id'",
            3,
        ),
        (
            b'{\n  "a-b": {"names": [{"first": "A", "last": "B"}]},\n  "c-d": {"orcid": "x"}\n}',
            "person 'c-d': 'names' must be a non-empty list",
            3,
        ),
        (b'{\n  "a-b": {\n    "names": ["A B"]\n  }\n}', "person 'a-b': expected a name like", 2),
        (
            b'{"a-b": {"names": [{"last": "B"}], "disable_name_matching": "yes"}}',
            "'disable_name_matching' must be true or false",
            1,
        ),
        (b'{"a-b": ["A B"]}', "person 'a-b': expected", 1),
    ],
)
def test_people_entry_of_the_wrong_shape(data: bytes, message: str, line: int) -> None:
    with pytest.raises(DataError, match=re.escape(message)) as exc:
        read_people_json(data, "json/people.json")
    assert exc.value.line == line
    assert str(exc.value).startswith(f"json/people.json:{line}: ")


def test_people_yaml_entry_error_line() -> None:
    data = b"a-b:\n  names:\n  - {first: A, last: B}\nc-d:\n  names: {first: C, last: D}\n"
    with pytest.raises(DataError, match=r"^people\.yaml:4: person 'c-d'"):
        read_people_yaml(data, "people.yaml")


# --- the real data -----------------------------------------------------------------------


@pytest.mark.skipif(not REAL_TARBALL.is_file(), reason="real Anthology snapshot not present")
def test_real_data_2025_11() -> None:
    lib = read_anthology(REAL_TARBALL)
    assert lib.layout == "2025-11"
    assert len(lib.papers) == 105375
    assert sum(len(p.authors) for p in lib.papers) == 370814
    assert len(lib.persons) == 3687
    assert sum(p.catch_all for p in lib.persons) == 73
    ids = {p.paper_id for p in lib.papers}
    assert len(ids) == len(lib.papers)
    assert {"P19-1001", "W19-0101", "D19-5409", "2024.acl-long.1"} <= ids
