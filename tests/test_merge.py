"""`byline merge`: name variants across names, candidates without all-pairs, evidence, apply."""

from __future__ import annotations

import hashlib
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from byline.engine import Engine, load_engine
from byline.features.name_match import blocking_keys, compare_names
from byline.model import MergeModel, PairwiseModel
from byline.sources.records import Mention, Paper, Person
from byline.store import connect
from byline.store.corpus import Corpus
from byline.store.decisions import active_decisions, decided_state
from byline.store.ingest import ingest
from byline.tasks.merge import (
    MAX_GROUP,
    apply_merges,
    build_units,
    find_merges,
    generate_candidates,
    registry_view,
)

# (first, last) of the two names, the kind of variation expected
VARIANTS = [
    (("Felicia", "Körner"), ("Felicia", "Koerner"), "transliteration"),
    (("J.", "Smithson"), ("John", "Smithson"), "initials"),
    (("John A.", "Whitcombe"), ("John", "Whitcombe"), "middle"),
    (("Steve", "Abney"), ("Steven", "Abney"), "nickname"),
    (("Chew-Lim", "Tan"), ("ChewLim", "Tan"), "spelling"),
    (("Kranti", "Chalamalasetti"), ("Chalamalasetti", "Kranti"), "swapped"),
    (("Artem", "Sokolov"), ("Artem", "Sokokov"), "typo"),
    (("Kumiko", "Tanaka-Ishii"), ("Kumiko", "Tanaka"), "family_part"),
]


def _letters(i: int) -> str:
    h = hashlib.sha1(str(i).encode()).hexdigest()
    return "".join(chr(97 + int(c, 16) % 26) for c in h[:7]).capitalize()


def _paper(pid: str, year: int, title: str, authors: list[tuple[str, str]]) -> Paper:
    p = Paper(paper_id=pid, title=title, year=year, venues=("acl",), source="xml/T.xml")
    p.authors = [Mention(pid, i, f, last) for i, (f, last) in enumerate(authors)]
    return p


def _corpus(papers: list[Paper], persons: list[Person] | None = None) -> Corpus:
    return Corpus(
        papers={p.paper_id: p for p in papers}, persons={p.person_id: p for p in persons or []}
    )


def test_name_evidence_of_each_kind_of_variant() -> None:
    for a, b, kind in VARIANTS:
        m = compare_names(a, b)
        assert m is not None and kind in m.kinds, (a, b, m)
        assert blocking_keys(*a) & blocking_keys(*b), (a, b)
    # different people with similar names are not variants
    assert compare_names(("Wei", "Zhang"), ("Wen", "Zhang")) is None
    assert compare_names(("J.", "Smith"), ("A.", "Smith")) is None
    assert compare_names(("John", "Smith"), ("Mary", "Smith")) is None
    # a married name only when asked for (pairs found through shared co-authors)
    assert compare_names(("Laura Ana", "Oberländer"), ("Laura Ana", "Bostan")) is None
    married = compare_names(("Laura Ana", "Oberländer"), ("Laura Ana", "Bostan"), True)
    assert married is not None and married.kinds == ("family_differs",)


def test_every_kind_of_variant_becomes_a_candidate() -> None:
    papers = []
    for i, (a, b, _) in enumerate(VARIANTS):
        papers.append(_paper(f"2020.x-{i}.1", 2020, f"Paper {i} one", [a, ("Ann", f"Co{i}")]))
        papers.append(_paper(f"2020.x-{i}.2", 2021, f"Paper {i} two", [b, ("Bob", f"Co{i}")]))
    # married name: same given name, other family name, a co-author in common
    papers.append(
        _paper("2020.y-1.1", 2015, "Married one", [("Laura", "Oberlander"), ("Ida", "Kohl")])
    )
    papers.append(_paper("2020.y-1.2", 2019, "Married two", [("Laura", "Bostan"), ("Ida", "Kohl")]))
    # same given name, other family name, nothing in common: no candidate
    papers.append(_paper("2020.y-2.1", 2015, "Other", [("Laura", "Pinto"), ("Eve", "Roth")]))
    corpus = _corpus(papers)
    units = build_units(corpus)
    gen = generate_candidates(corpus, units)
    found = {
        frozenset(n for u in (p.a, p.b) for n in units[u].names): p.match.kinds for p in gen.pairs
    }
    for a, b, kind in VARIANTS:
        assert kind in found.get(frozenset({a, b}), ()), (a, b)
    assert found[frozenset({("Laura", "Oberlander"), ("Laura", "Bostan")})] == ("family_differs",)
    assert not any(("Laura", "Pinto") in k for k in found)


def test_registry_links_and_hard_evidence_filter_candidates() -> None:
    papers = [
        _paper("2020.a-1.1", 2020, "T1", [("Steve", "Abney")]),
        _paper("2020.a-1.2", 2020, "T2", [("Steven", "Abney")]),
        # two units on one paper are two people
        _paper("2020.a-1.3", 2020, "T3", [("Wei", "Zhang"), ("Zhang", "Wei")]),
    ]
    reg = [Person("steven-abney", [n for n in (_name("Steven", "Abney"), _name("Steve", "Abney"))])]
    corpus = _corpus(papers, reg)
    units = build_units(corpus)
    view = registry_view(corpus.persons.values())
    assert generate_candidates(corpus, units, view).pairs == []
    known = generate_candidates(corpus, units, view, include_known=True).pairs
    assert len(known) == 1 and known[0].known


def _name(first: str, last: str):  # type: ignore[no-untyped-def]
    from byline.sources.records import Name

    return Name(first, last)


def _many_names(k: int, family_of, given_of) -> Corpus:  # type: ignore[no-untyped-def]
    papers = []
    for i in range(k):
        first = f"{given_of(i)} {chr(65 + i % 7)}."
        papers.append(_paper(f"2020.z-{i}.1", 2020, f"T{i}", [(first, family_of(i))]))
    return _corpus(papers)


def test_comparisons_grow_linearly() -> None:
    """As the library grows (more family and given names), comparisons grow ~4x for
    4x the names; all pairs would grow 16x."""
    gen = [
        generate_candidates(c, build_units(c))
        for c in (
            _many_names(k, lambda i: _letters(i // 8), lambda i: _letters(-1 - i // 4)[:5])
            for k in (400, 1600)
        )
    ]
    assert gen[1].comparisons < 5 * gen[0].comparisons


def test_comparisons_are_capped_in_the_worst_case() -> None:
    """1,000 names of one family name: capped key groups, far from all pairs."""
    corpus = _many_names(1000, lambda i: "Zhang", lambda i: ["Wei", "Li", "Jun", "Ming"][i % 4])
    g = generate_candidates(corpus, build_units(corpus))
    assert g.comparisons <= max(MAX_GROUP.values()) * g.memberships
    assert g.comparisons < 1000 * 999 / 2 / 10


# --------------------------------------------------------------------------- scored, on a store

TOPIC_PARSE = "Dependency parsing of German newspaper text with a neural graph parser"
TOPIC_SPEECH = "Acoustic models for accented speech recognition in noisy call centres"
TOPIC_LAW = "Retrieval of legal documents for court decisions with citation graphs"
# other papers of the library (the statistics need more than a handful of documents)
FILLERS = [
    (
        2000 + i,
        f"{topic} study number {i}",
        [(_letters(100 + i), _letters(200 + i)), ("Common", "Helper")],
    )
    for i, topic in enumerate(
        [
            "Machine translation of tweets",
            "Sentiment of product reviews",
            "Question answering over tables",
            "Summarisation of meeting transcripts",
            "Named entity recognition for biomedicine",
            "Morphological analysis of Finnish",
            "Dialogue state tracking",
            "Coreference in novels",
            "Semantic role labelling",
            "Language models for code",
            "Speech synthesis prosody",
            "Corpus annotation guidelines",
        ]
    )
]


def _library(tmp_path: Path) -> Path:
    """A tiny Anthology data folder (Nov 2025 layout) with variants and decoys."""
    papers = [
        # one person, two spellings, same co-authors and topic
        (2019, TOPIC_PARSE, [("Felicia", "Körner"), ("Ulrike", "Brandtner"), ("Jonas", "Weidl")]),
        (2020, TOPIC_PARSE + " II", [("Felicia", "Körner"), ("Ulrike", "Brandtner")]),
        (2021, TOPIC_PARSE + " III", [("Felicia", "Koerner"), ("Jonas", "Weidl")]),
        # two different people: similar names, disjoint co-authors, topics and decades
        (2021, TOPIC_SPEECH, [("John", "Whitcombe"), ("Ana", "Lopezz")]),
        (2022, TOPIC_SPEECH + " II", [("John", "Whitcombe"), ("Ana", "Lopezz")]),
        (1994, TOPIC_LAW, [("John A.", "Whitcombe"), ("Na", "Lihua")]),
        (1995, TOPIC_LAW + " II", [("John A.", "Whitcombe"), ("Na", "Lihua")]),
        *FILLERS,
    ]
    data = tmp_path / "data"
    (data / "xml").mkdir(parents=True)
    (data / "yaml").mkdir()
    (data / "yaml" / "name_variants.yaml").write_text(
        "- canonical: {first: Ulrike, last: Brandtner}\n"
    )
    # one volume per paper, so that each paper carries its own year
    vols = []
    for i, (year, title, authors) in enumerate(papers, 1):
        auth = "".join(
            f"<author><first>{escape(f)}</first><last>{escape(la)}</last></author>"
            for f, la in authors
        )
        vols.append(
            f'<volume id="{i}"><meta><booktitle>Proc</booktitle><year>{year}</year>'
            f'<venue>acl</venue></meta><paper id="1"><title>{escape(title)}</title>{auth}'
            f"<abstract>{escape(title)}.</abstract></paper></volume>"
        )
    (data / "xml" / "2020.tst.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><collection id="2020.tst">{"".join(vols)}'
        "</collection>",
        encoding="utf-8",
    )
    return tmp_path


@pytest.fixture
def library(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/m.sqlite"
    ingest(connect(url), _library(tmp_path))
    return url


def test_true_variant_ranks_above_different_people_with_similar_names(library: str) -> None:
    engine = load_engine(library)
    engine.use_embeddings = False
    cands = find_merges(engine, MergeModel.load())
    by_names = {frozenset((c.source_name, c.target_name)): c for c in cands}
    true = by_names[frozenset(("Felicia Körner", "Felicia Koerner"))]
    false = by_names[frozenset(("John Whitcombe", "John A. Whitcombe"))]
    assert true.score > false.score
    assert true.evidence.coauthors and not false.evidence.coauthors
    assert "transliteration" in true.evidence.name
    assert true.target_name == "Felicia Körner"  # the larger unit is the target


def test_apply_records_assign_decisions_that_split_honours(library: str) -> None:
    engine = load_engine(library)
    engine.use_embeddings = False
    cands = [
        c
        for c in find_merges(engine, MergeModel.load())
        if {c.source_name, c.target_name} == {"Felicia Körner", "Felicia Koerner"}
    ]
    units = build_units(engine.corpus, engine.previous, engine.decisions)
    written = apply_merges(engine.store, cands, units, actor="tester")
    assert [(d.kind, d.slug, d.actor) for d in written] == [("assign", "felicia-koerner", "tester")]
    target = cands[0].target
    assert active_decisions(engine.store)[0].person == target
    # a following split of the source name puts its mention under the target's key
    after = load_engine(library)
    assert set(decided_state(after.store).assignments().values()) == {target}
    res = after.split_block("felicia-koerner")
    assert set(res.keys) == {target}
    # and the pair is no longer a candidate: the two names are one person now
    again = find_merges(after, MergeModel.load())
    assert not any(
        {c.source_name, c.target_name} == {"Felicia Körner", "Felicia Koerner"} for c in again
    )


def test_merge_needs_no_store_for_scoring() -> None:
    papers = [
        _paper("2020.q-1.1", 2020, TOPIC_PARSE, [("Steve", "Abneyx"), ("Ida", "Kohl")]),
        _paper("2020.q-1.2", 2021, TOPIC_PARSE, [("Steven", "Abneyx"), ("Ida", "Kohl")]),
    ]
    papers += [_paper(f"2020.f-{i}.1", y, t, a) for i, (y, t, a) in enumerate(FILLERS)]
    engine = Engine(_corpus(papers), PairwiseModel.load())
    (c,) = [c for c in find_merges(engine, MergeModel.load()) if "Abneyx" in c.source_name]
    assert c.kinds == ["nickname"] and c.evidence.coauthors == ["Ida Kohl"]
    assert 0.0 <= c.score <= 1.0
