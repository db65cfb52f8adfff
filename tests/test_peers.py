"""The rule peer: co-author or identical affiliation links, cannot-link inside a paper."""

from byline.evaluation.peers import name_only, shared_coauthor_or_affiliation, singletons
from byline.sources.records import Mention, Paper
from byline.store.corpus import Corpus


def _paper(pid: str, authors: list[tuple[str, str, str | None]]) -> Paper:
    p = Paper(paper_id=pid, title=pid, year=2020)
    p.authors = [
        Mention(paper_id=pid, position=i, first=f, last=last, affiliation=aff)
        for i, (f, last, aff) in enumerate(authors)
    ]
    return p


def test_links_follow_coauthors_and_affiliations_transitively() -> None:
    papers = [
        _paper("A", [("Li", "Wei", None), ("Ann", "Smith", None)]),
        _paper("B", [("Li", "Wei", "Uni X"), ("Ann", "Smith", None)]),  # shares Smith with A
        _paper("C", [("Li", "Wei", "Uni X"), ("Bob", "Jones", None)]),  # shares Uni X with B
        _paper("D", [("Li", "Wei", "Uni Y"), ("Carl", "Berg", None)]),  # shares nothing
        _paper("E", [("Li", "Wei", None), ("Li", "Wei", None)]),  # same paper twice
    ]
    corpus = Corpus(papers={p.paper_id: p for p in papers}, persons={})
    blocks = {"li-wei": [m.mention_id for m in corpus.blocks["li-wei"]]}
    pred = shared_coauthor_or_affiliation(corpus, blocks)
    assert pred["A#0"] == pred["B#0"] == pred["C#0"]
    assert pred["D#0"] != pred["A#0"]
    assert pred["E#0"] != pred["E#1"]
    assert len(set(name_only(blocks).values())) == 1
    assert len(set(singletons(blocks).values())) == 6
