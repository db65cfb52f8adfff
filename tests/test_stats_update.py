"""Library statistics brought up to date in place after an ingest (issue 13): an update that
reads only the changed papers must give exactly what a rebuild from scratch gives."""

from __future__ import annotations

import dataclasses
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from byline.errors import BylineError
from byline.features import stats as stats_module
from byline.features.stats import LibraryStats, compute_stats, library_stats
from byline.sources.records import Mention, Paper
from byline.store import connect
from byline.store.corpus import Corpus, load_corpus
from byline.store.ingest import ingest

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
WORDS = (
    "parsing translation speech summarization dialogue retrieval tagging grammar lexicon "
    "morphology semantics discourse corpus annotation embedding transformer evaluation"
).split()
NAMES = [
    ("Wei", "Wang"),
    ("Wei", "Zhang"),
    ("Li", "Wang"),
    ("Ada", "Lovelace"),
    ("Ana", "Núñez"),
    ("Ana", "Nunez"),
    ("See Kiong", "Ng"),
    ("See-Kiong", "Ng"),
]
AFFS = [None, "Tsinghua University", "University of Edinburgh", "IBM Research"]


def random_paper(rng: random.Random, pid: str) -> Paper:
    authors = [
        Mention(pid, i, *rng.choice(NAMES), affiliation=rng.choice(AFFS))
        for i in range(rng.randint(1, 4))
    ]
    return Paper(
        paper_id=pid,
        title=" ".join(rng.sample(WORDS, 4)),
        year=2000 + rng.randint(0, 20),
        abstract=" ".join(rng.choices(WORDS, k=rng.randint(0, 12))),
        authors=authors,
    )


def assert_same(got: LibraryStats, want: LibraryStats) -> None:
    assert got.differences(want) == []
    for pid in want.paper_row:  # row for row, to the bit (rows may be in another order)
        a = got.text_matrix[got.paper_row[pid]]
        b = want.text_matrix[want.paper_row[pid]]
        assert np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data), pid
    texts = ["speech parsing of a new kind", "nothing known here"]
    assert (got.text_vectorizer.transform(texts) != want.text_vectorizer.transform(texts)).nnz == 0


def test_differences_name_what_differs() -> None:
    rng = random.Random(5)
    papers = {f"p{i}": random_paper(rng, f"p{i}") for i in range(30)}
    for pid in ("p0", "p1"):  # a term of two papers: in the vocabulary
        papers[pid] = dataclasses.replace(papers[pid], abstract="quokka numbat")
    stats = compute_stats(Corpus(papers=dict(papers), persons={}))
    assert stats.differences(stats) == []
    papers["p0"] = dataclasses.replace(papers["p0"], abstract="quokka quokka quokka numbat")
    assert compute_stats(Corpus(papers=dict(papers), persons={})).differences(stats) == [
        "text rows"
    ]
    papers["p2"] = dataclasses.replace(papers["p2"], abstract="wombat", authors=[])
    papers["p3"] = dataclasses.replace(papers["p3"], abstract="wombat")
    other = compute_stats(Corpus(papers=papers, persons={}))
    assert {"text vocabulary", "slug_count", "mentions"} <= set(stats.differences(other))


def test_an_update_gives_what_a_rebuild_gives() -> None:
    rng = random.Random(7)
    papers = {f"p{i}": random_paper(rng, f"p{i}") for i in range(60)}
    stats = compute_stats(Corpus(papers=dict(papers), persons={}))
    for step in range(4):
        for pid in rng.sample(sorted(papers), 8):  # removed
            del papers[pid]
        for pid in rng.sample(sorted(papers), 5):  # edited: another title, author or name
            p = papers[pid]
            papers[pid] = dataclasses.replace(
                p,
                abstract=p.abstract + " lexicon",
                authors=[dataclasses.replace(p.authors[0], first="Ana", last="Nunez")]
                + p.authors[1:],
            )
        for i in range(10):  # added
            pid = f"n{step}-{i}"
            papers[pid] = random_paper(rng, pid)
        corpus = Corpus(papers=dict(papers), persons={})
        assert stats.update(corpus) == 8 + 5 + 10
        assert_same(stats, compute_stats(corpus))
    assert stats.update(corpus) == 0


def test_a_name_gone_and_a_spelling_counted_once() -> None:
    papers = {
        "a": Paper("a", "speech parsing", 2020, authors=[Mention("a", 0, "See-Kiong", "Ng")]),
        "b": Paper(
            "b",
            "speech tagging",
            2021,
            authors=[Mention("b", 0, "See Kiong", "Ng"), Mention("b", 1, "Ada", "Lovelace")],
        ),
    }
    stats = compute_stats(Corpus(papers=dict(papers), persons={}))
    # one name, two spellings: counted under the smaller one only
    assert stats.names == 2 and stats.first_names == {"see kiong": 1, "ada": 1}
    del papers["b"]
    corpus = Corpus(papers=dict(papers), persons={})
    stats.update(corpus)
    assert stats.first_names == {"see-kiong": 1} and "ada-lovelace" not in stats.slug_count
    assert (
        "ada-lovelace" not in stats.coauthor_graph and stats.coauthor_graph["see-kiong-ng"] == set()
    )
    assert_same(stats, compute_stats(corpus))


def test_a_large_change_is_left_to_a_rebuild() -> None:
    rng = random.Random(3)
    papers = {f"p{i}": random_paper(rng, f"p{i}") for i in range(40)}
    stats = compute_stats(Corpus(papers=dict(papers), persons={}))
    before = stats.mentions
    half = {pid: p for pid, p in papers.items() if pid < "p3"}
    assert stats.update(Corpus(papers=half, persons={}), max_changed=0.2) is None
    assert stats.mentions == before  # left as it was
    view = dataclasses.replace(stats, basis=None)
    with pytest.raises(ValueError, match="cannot be updated"):
        view.update(Corpus(papers=half, persons={}))


def test_the_store_updates_its_cached_statistics_after_an_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "lib"
    shutil.copytree(FIXTURE, data)
    store = connect(f"sqlite:///{tmp_path}/a.sqlite")
    ingest(store, data)
    library_stats(load_corpus(store), store)  # built and cached
    xml = data / "data" / "xml" / "W19.xml"
    text = xml.read_text()
    start = text.index('<paper id="12">')
    xml.write_text(text[:start] + text[text.index("</paper>", start) + len("</paper>") :])
    ingest(store, data)
    corpus = load_corpus(store)

    def no_rebuild(corpus: Corpus) -> LibraryStats:
        raise AssertionError("rebuilt instead of updated")

    monkeypatch.setattr(stats_module, "compute_stats", no_rebuild)
    updated = library_stats(corpus, store)
    monkeypatch.undo()
    assert_same(updated, compute_stats(corpus))
    # the updated statistics are cached for this state of the library
    monkeypatch.setattr(stats_module, "compute_stats", no_rebuild)
    again = library_stats(corpus, store)
    assert again.mentions == updated.mentions and again.paper_row == updated.paper_row


def test_a_restricted_share_gives_the_same_features(tmp_path: Path) -> None:
    """What a Dask task carries (the papers of its names and the statistics restricted to
    them) gives every feature of those names exactly as the whole library does."""
    from byline.features.batch import batch_features

    store = connect(f"sqlite:///{tmp_path}/a.sqlite")
    ingest(store, FIXTURE)
    corpus = load_corpus(store)
    stats = compute_stats(corpus)
    slugs = sorted(
        (s for s, ms in corpus.blocks.items() if len(ms) > 1), key=lambda s: len(corpus.blocks[s])
    )[:2]
    assert slugs
    papers = {m.paper_id: corpus.papers[m.paper_id] for s in slugs for m in corpus.blocks[s]}
    share = stats.restricted(papers.values())
    assert len(share.paper_row) < len(stats.paper_row) and share.basis is None
    blocks = [corpus.blocks[s] for s in slugs]
    whole = batch_features(blocks, corpus.papers, stats)
    part = batch_features(blocks, papers, share)
    for a, b in zip(whole, part, strict=True):
        assert np.array_equal(a, b, equal_nan=True)


def test_split_loads_without_abstracts_and_reads_them_only_to_build_or_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What every task loads (``load_engine``): a corpus without abstracts, and from a valid
    cache statistics without the basis only an update reads. Both come back when needed:
    the statistics still equal a rebuild's, after a build and after an update."""
    data = tmp_path / "lib"
    shutil.copytree(FIXTURE, data)
    store = connect(f"sqlite:///{tmp_path}/a.sqlite")
    ingest(store, data)
    lean = load_corpus(store, abstracts=False)
    assert not lean.abstracts and all(p.abstract == "" for p in lean.papers.values())
    with pytest.raises(BylineError, match="abstract"):
        compute_stats(lean)  # never silently without them
    built = library_stats(lean, store)  # reads the abstracts in to build
    full = load_corpus(store)
    assert lean.abstracts and any(p.abstract for p in full.papers.values())
    assert {p: q.abstract for p, q in lean.papers.items()} == {
        p: q.abstract for p, q in full.papers.items()
    }
    assert_same(built, compute_stats(full))
    assert built.basis is not None  # the run that built them keeps what it built

    again = library_stats(load_corpus(store, abstracts=False), store)
    assert again.basis is None  # a valid cache comes without its basis
    assert_same(again, built)

    xml = data / "data" / "xml" / "W19.xml"
    text = xml.read_text()
    start = text.index('<paper id="12">')
    xml.write_text(text[:start] + text[text.index("</paper>", start) + len("</paper>") :])
    ingest(store, data)

    def no_rebuild(corpus: Corpus) -> LibraryStats:
        raise AssertionError("rebuilt instead of updated")

    monkeypatch.setattr(stats_module, "compute_stats", no_rebuild)
    updated = library_stats(load_corpus(store, abstracts=False), store)
    monkeypatch.undo()
    assert_same(updated, compute_stats(load_corpus(store)))
