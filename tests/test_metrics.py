"""Scores (B³, pairwise, block-macro) on hand-computed examples, and the benchmark protocol."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from byline.evaluation.metrics import (
    ambiguous_blocks,
    compare_blocks,
    group_by_block,
    paper_moves,
    score,
)
from byline.evaluation.protocol import blocks_in, gold_labels, partition_of, scored_mentions
from byline.sources import read_anthology
from byline.sources.records import Mention, Paper, Person
from byline.store.corpus import Corpus

# Block 1: gold {a, b, c} = G1, {d, e} = G2; predicted {a, b}, {c, d, e}.
#   B³ precision per mention (overlap / predicted cluster size):
#     a 2/2, b 2/2, c 1/3, d 2/3, e 2/3  -> sum 11/3 -> P = 11/15
#   B³ recall per mention (overlap / gold cluster size):
#     a 2/3, b 2/3, c 1/3, d 2/2, e 2/2  -> sum 11/3 -> R = 11/15, F1 = 11/15
#   pairs: gold 3 + 1 = 4, predicted 1 + 3 = 4, shared: (a,b), (d,e) = 2 -> P = R = F1 = 1/2
GOLD1 = {"a": "G1", "b": "G1", "c": "G1", "d": "G2", "e": "G2"}
PRED1 = {"a": "P1", "b": "P1", "c": "P2", "d": "P2", "e": "P2"}

# Block 2: gold {f, g, h, i} = G3 (one person); predicted {f, g}, {h}, {i}.
#   B³ precision: every predicted cluster is pure -> P = 1
#   B³ recall: f 2/4, g 2/4, h 1/4, i 1/4 -> sum 3/2 -> R = 3/8
#   F1 = 2 * 1 * 3/8 / (1 + 3/8) = 6/11
#   pairs: gold 6, predicted 1, shared 1 -> P = 1, R = 1/6, F1 = 2 * 1/6 / (7/6) = 2/7
GOLD2 = {"f": "G3", "g": "G3", "h": "G3", "i": "G3"}
PRED2 = {"f": "P3", "g": "P3", "h": "P4", "i": "P5"}


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r)


def test_b3_and_pairwise_one_block() -> None:
    s = score({"b1": GOLD1}, PRED1)
    assert s.blocks == 1 and s.mentions == 5
    assert s.b3_precision == pytest.approx(11 / 15)
    assert s.b3_recall == pytest.approx(11 / 15)
    assert s.b3_f1 == pytest.approx(11 / 15)
    assert s.pairwise_precision == pytest.approx(0.5)
    assert s.pairwise_recall == pytest.approx(0.5)
    assert s.pairwise_f1 == pytest.approx(0.5)
    assert s.block_macro_b3_f1 == pytest.approx(11 / 15)


def test_b3_and_pairwise_under_merged_gold() -> None:
    s = score({"b2": GOLD2}, PRED2)
    assert s.b3_precision == pytest.approx(1.0)
    assert s.b3_recall == pytest.approx(3 / 8)
    assert s.b3_f1 == pytest.approx(6 / 11)
    assert s.pairwise_precision == pytest.approx(1.0)
    assert s.pairwise_recall == pytest.approx(1 / 6)
    assert s.pairwise_f1 == pytest.approx(2 / 7)


def test_micro_and_block_macro_over_two_blocks() -> None:
    s = score({"b1": GOLD1, "b2": GOLD2}, {**PRED1, **PRED2})
    assert s.blocks == 2 and s.mentions == 9
    # micro B³: P = (11/3 + 4) / 9 = 23/27, R = (11/3 + 3/2) / 9 = 31/54
    assert s.b3_precision == pytest.approx(23 / 27)
    assert s.b3_recall == pytest.approx(31 / 54)
    assert s.b3_f1 == pytest.approx(f1(23 / 27, 31 / 54))
    # pairwise over both blocks: shared 2 + 1 = 3, predicted 4 + 1 = 5, gold 4 + 6 = 10
    assert s.pairwise_precision == pytest.approx(3 / 5)
    assert s.pairwise_recall == pytest.approx(3 / 10)
    assert s.pairwise_f1 == pytest.approx(f1(3 / 5, 3 / 10))
    # block-macro: the mean of the two blocks' B³ F1
    assert s.block_macro_b3_f1 == pytest.approx((11 / 15 + 6 / 11) / 2)
    assert s.as_dict()["block_macro_b3_f1"] == pytest.approx((11 / 15 + 6 / 11) / 2)


def test_paper_moves_by_best_one_to_one_matching() -> None:
    # Block 1: P1 = {a, b} -> G1 keeps 2, P2 = {c, d, e} -> G2 keeps 2: move c.
    assert paper_moves(GOLD1, PRED1) == 1
    # Block 2: one predicted person can keep G3: the best keeps 2 of 4.
    assert paper_moves(GOLD2, PRED2) == 2
    # One person per name: the whole block is matched to G1; d and e move.
    assert paper_moves(GOLD1, {m: "all" for m in GOLD1}) == 2
    # A mention missing from the prediction is a singleton of its own.
    assert paper_moves(GOLD1, {m: "x" + g for m, g in GOLD1.items() if m != "c"}) == 1
    assert paper_moves({}, {}) == 0
    s = score({"b1": GOLD1, "b2": GOLD2}, {**PRED1, **PRED2})
    assert s.paper_moves == 3 and s.as_dict()["paper_moves"] == 3


def test_compare_blocks_orders_wins_and_losses() -> None:
    gold = {"b1": GOLD1, "b2": GOLD2}
    perfect = {m: f"x{g}" for m, g in {**GOLD1, **GOLD2}.items()}
    ours = {**PRED1, **{m: f"x{g}" for m, g in GOLD2.items()}}
    out = compare_blocks(gold, ours, {**PRED1, **PRED2})
    assert [b for b, *_ in out["wins"]] == ["b2"] and out["losses"] == []
    assert out["wins"][0][1] == pytest.approx(1.0)
    out = compare_blocks(gold, {**PRED1, **PRED2}, perfect)
    # b2 loses more (6/11 against 1.0) than b1 (11/15): it comes first.
    assert [b for b, *_ in out["losses"]] == ["b2", "b1"]


def test_perfect_and_worst_predictions() -> None:
    perfect = score({"b1": GOLD1}, {m: f"x{g}" for m, g in GOLD1.items()})
    assert perfect.b3_f1 == pytest.approx(1.0) and perfect.pairwise_f1 == pytest.approx(1.0)
    # everyone in one predicted person: B³ P = (3*3/5 + 2*2/5) / 5 = 13/25, R = 1
    lumped = score({"b1": GOLD1}, dict.fromkeys(GOLD1, "x"))
    assert lumped.b3_precision == pytest.approx(13 / 25)
    assert lumped.b3_recall == pytest.approx(1.0)
    # pairs: predicted 10, gold 4, shared 4
    assert lumped.pairwise_precision == pytest.approx(4 / 10)
    assert lumped.pairwise_recall == pytest.approx(1.0)


def test_blocks_are_scored_separately() -> None:
    # the same predicted label in two blocks does not merge them (and gold labels neither)
    gold = {"x": {"a": "G1", "b": "G2"}, "y": {"c": "G1", "d": "G2"}}
    pred = {"a": "p", "b": "q", "c": "q", "d": "p"}
    s = score(gold, pred)
    assert s.b3_f1 == pytest.approx(1.0)
    assert s.pairwise_precision == pytest.approx(1.0)
    assert s.pairwise_recall == pytest.approx(1.0)


def test_only_gold_mentions_are_scored() -> None:
    # extra predicted mentions (without gold) do not change a score
    extra = {**PRED1, "z1": "P1", "z2": "P2"}
    assert score({"b1": GOLD1}, extra) == score({"b1": GOLD1}, PRED1)


def test_missing_predictions_count_as_singletons() -> None:
    gold = {"b": {"a": "G", "b": "G", "c": "G"}}
    # nothing predicted: three singletons, not one lump of "missing"
    s = score(gold, {})
    assert s.b3_precision == pytest.approx(1.0)
    assert s.b3_recall == pytest.approx(1 / 3)
    assert s.pairwise_recall == pytest.approx(0.0)
    # a and b predicted together, c missing: R = (2/3 + 2/3 + 1/3) / 3 = 5/9
    s = score(gold, {"a": "p", "b": "p"})
    assert s.b3_recall == pytest.approx(5 / 9)
    assert s.pairwise_recall == pytest.approx(1 / 3)
    assert s.pairwise_precision == pytest.approx(1.0)


def test_empty_blocks_are_skipped() -> None:
    s = score({"empty": {}, "b2": GOLD2}, PRED2)
    assert s.blocks == 1 and s.mentions == 4
    none = score({}, {})
    assert none.blocks == 0 and none.mentions == 0 and none.b3_f1 == 0.0


def test_ambiguous_blocks() -> None:
    gold = {
        "one-person": {"a": "G1", "b": "G1"},
        "two-persons": {"c": "G1", "d": "G2"},
        "single": {"e": "G3"},
        "empty": {},
    }
    assert ambiguous_blocks(gold) == {"two-persons": {"c": "G1", "d": "G2"}}


def test_group_by_block() -> None:
    grouped = group_by_block({"a": "G1", "b": "G2", "c": "G1"}, {"a": "x", "b": "y", "c": "x"})
    assert grouped == {"x": {"a": "G1", "c": "G1"}, "y": {"b": "G2"}}


# --- protocol ------------------------------------------------------------------------------

SLUGS = [
    "yang-liu",
    "yue-zhang",
    "jiarui-fenwick",
    "zhihao-zhang",
    "peisong-wang",
    "wei-wang",
    "christopher-d-manning",
    "kevin-knight",
    "hinrich-schutze",
    "noah-a-smith",
]


def expected_partition(slug: str) -> str:
    rem = int(hashlib.sha1(slug.encode("utf-8")).hexdigest(), 16) % 4
    return {0: "train", 1: "dev", 2: "train", 3: "test"}[rem]


def test_partition_of_follows_the_documented_rule() -> None:
    remainders = {int(hashlib.sha1(s.encode()).hexdigest(), 16) % 4 for s in SLUGS}
    assert remainders == {0, 1, 2, 3}  # the sample covers every case of the rule
    for slug in SLUGS:
        assert partition_of(slug) == expected_partition(slug), slug
    # a few spelled out
    assert partition_of("yang-liu") == "train"  # remainder 2
    assert partition_of("yue-zhang") == "train"  # remainder 0
    assert partition_of("jiarui-fenwick") == "dev"  # remainder 1
    assert partition_of("peisong-wang") == "test"  # remainder 3


def fixture_corpus(fixtures_dir: Path) -> Corpus:
    lib = read_anthology(fixtures_dir / "anthology-2025-11")
    return Corpus(
        papers={p.paper_id: p for p in lib.papers},
        persons={p.person_id: p for p in lib.persons},
    )


def with_mentions(corpus: Corpus, changes: dict[str, dict]) -> Corpus:
    """A copy of ``corpus`` whose mentions ``{mention_id: {field: value}}`` are changed."""
    papers: dict[str, Paper] = {}
    for pid, p in corpus.papers.items():
        authors = [
            dataclasses.replace(m, **changes[m.mention_id]) if m.mention_id in changes else m
            for m in p.authors
        ]
        papers[pid] = dataclasses.replace(p, authors=authors)
    return Corpus(papers=papers, persons=corpus.persons)


def test_gold_labels_on_the_fixture(fixtures_dir: Path) -> None:
    gold = gold_labels(fixture_corpus(fixtures_dir))
    # catch-all id="jiarui-fenwick" (2024.acl-long.3#0, P19-1002#2) is no gold; ORCID-only
    # P19-1001#0 is; Lindqvist's explicit id is
    assert set(gold) == {
        "2024.acl-long.1#0",
        "P19-1001#0",
        "2024.acl-long.2#1",
        "2024.acl-long.1#2",
    }
    # id + ORCID on one mention, the same ORCID alone on another: one person
    assert gold["2024.acl-long.1#0"] == gold["P19-1001#0"]
    labels = {gold["2024.acl-long.1#0"], gold["2024.acl-long.2#1"], gold["2024.acl-long.1#2"]}
    assert len(labels) == 3


def test_gold_labels_registry_orcid_unifies(fixtures_dir: Path) -> None:
    # the mention with id= loses its orcid=: only the registry entry of
    # jiarui-fenwick-edinburgh (orcid 0000-0003-1415-9269) ties it to the ORCID-only mention
    corpus = with_mentions(fixture_corpus(fixtures_dir), {"2024.acl-long.1#0": {"orcid": None}})
    gold = gold_labels(corpus)
    assert gold["2024.acl-long.1#0"] == gold["P19-1001#0"]
    # without the registry's ORCID they would be two persons
    persons = dict(corpus.persons)
    persons["jiarui-fenwick-edinburgh"] = dataclasses.replace(
        persons["jiarui-fenwick-edinburgh"], orcid=None
    )
    gold = gold_labels(Corpus(papers=corpus.papers, persons=persons))
    assert gold["2024.acl-long.1#0"] != gold["P19-1001#0"]


def test_gold_labels_orcid_when_id_is_catch_all(fixtures_dir: Path) -> None:
    # a catch-all id with an ORCID: the ORCID is the gold, shared with the ORCID-only mention
    corpus = with_mentions(
        fixture_corpus(fixtures_dir), {"2024.acl-long.3#0": {"orcid": "0000-0003-1415-9269"}}
    )
    gold = gold_labels(corpus)
    assert gold["2024.acl-long.3#0"] == gold["P19-1001#0"] == gold["2024.acl-long.1#0"]
    assert "P19-1002#2" not in gold  # still only the catch-all id


def test_gold_labels_orcid_without_registry_entry() -> None:
    # two mentions with only an (unregistered) ORCID are one gold person; a third with a
    # different ORCID is another; a mention with nothing is not gold
    paper = Paper(paper_id="X-1", title="t", year=2020)
    other = Paper(paper_id="X-2", title="u", year=2021)
    paper.authors = [
        Mention("X-1", 0, "Ann", "Lee", orcid="0000-0000-0000-0001"),
        Mention("X-1", 1, "Bo", "Kim"),
    ]
    other.authors = [
        Mention("X-2", 0, "Ann", "Lee", orcid="0000-0000-0000-0001"),
        Mention("X-2", 1, "Ann", "Lee", orcid="0000-0000-0000-0002"),
    ]
    corpus = Corpus(papers={"X-1": paper, "X-2": other}, persons={})
    gold = gold_labels(corpus)
    assert set(gold) == {"X-1#0", "X-2#0", "X-2#1"}
    assert gold["X-1#0"] == gold["X-2#0"] != gold["X-2#1"]


def test_gold_labels_id_and_orcid_chain_across_mentions() -> None:
    # id A + ORCID O on one mention, ORCID O on a second, id A on a third: all one person
    persons = {"ann-lee": Person("ann-lee", names=[], explicit=True)}
    p = Paper(paper_id="Y-1", title="t", year=2020)
    q = Paper(paper_id="Y-2", title="t", year=2020)
    r = Paper(paper_id="Y-3", title="t", year=2020)
    p.authors = [Mention("Y-1", 0, "Ann", "Lee", person_id="ann-lee", orcid="0000-0000-0000-0009")]
    q.authors = [Mention("Y-2", 0, "Ann", "Lee", orcid="0000-0000-0000-0009")]
    r.authors = [Mention("Y-3", 0, "Ann", "Lee", person_id="ann-lee")]
    gold = gold_labels(Corpus(papers={"Y-1": p, "Y-2": q, "Y-3": r}, persons=persons))
    assert gold["Y-1#0"] == gold["Y-2#0"] == gold["Y-3#0"]


def test_scored_mentions_and_blocks_in(fixtures_dir: Path) -> None:
    corpus = fixture_corpus(fixtures_dir)
    gold = gold_labels(corpus)
    assert "jiarui-fenwick" in blocks_in(corpus, "dev")
    for partition in ("train", "dev", "test"):
        for slug in blocks_in(corpus, partition):
            assert expected_partition(slug) == partition
    dev = scored_mentions(corpus, gold, "dev")
    assert sorted(dev["jiarui-fenwick"]) == ["2024.acl-long.1#0", "2024.acl-long.2#1", "P19-1001#0"]
    for partition in ("train", "test"):
        assert "jiarui-fenwick" not in scored_mentions(corpus, gold, partition)


def test_eval_table_shows_paper_moves_and_the_rule_comparison() -> None:
    from byline.evaluation.run import markdown_table

    def row(f1: float, moves: int) -> dict:
        s = score({"b1": GOLD1}, PRED1).as_dict()
        return {"all": s, "ambiguous": {**s, "b3_f1": f1, "paper_moves": moves}}

    result = {
        "split": "dev",
        "blocks": 2,
        "ambiguous_blocks": 2,
        "mentions": 9,
        "systems": {"name_only": row(0.5, 40), "rule": row(0.9, 10), "byline": row(0.95, 4)},
        "ambiguous_against_rule": {
            "wins": [{"block": "b2", "byline": 1.0, "rule": 0.5}],
            "losses": [],
        },
    }
    md = markdown_table(result)
    assert "| byline | 0.950 |" in md and "| 4 (0.10) |" in md and "| 40 (1.00) |" in md
    assert "wins 1, loses 0, ties 1" in md and "b2 1.00 vs 0.50" in md
