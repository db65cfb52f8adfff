"""Split quality (issue 11) on hand-made libraries: how common a name is, affiliations of one
year that differ as evidence of two people, and the pseudo-ambiguous training names."""

from __future__ import annotations

import math

import numpy as np
import pytest

from byline.cluster import cluster_block
from byline.engine import Engine
from byline.features.pairwise import (
    CONFLICT_AFF_COSINE,
    CONFLICT_MIN_SHARING,
    FEATURES,
    block_features,
    evidence_of,
)
from byline.features.stats import compute_stats
from byline.sources.records import Mention, Paper
from byline.store.corpus import Corpus
from byline.training.pairwise import (
    PSEUDO_PAIRS_PER_NAME,
    PSEUDO_SHARING_SCALE,
    PSEUDO_WEIGHT,
    PartnerNames,
    pseudo_ambiguous_block,
    pseudo_training_pairs,
)


def paper(pid: str, year: int, *authors: tuple[str, str, str | None]) -> Paper:
    return Paper(
        paper_id=pid,
        title=f"Title of {pid}",
        year=year,
        authors=[
            Mention(pid, i, f, last, affiliation=aff) for i, (f, last, aff) in enumerate(authors)
        ],
    )


WORDS = "parsing translation speech summarization dialogue retrieval tagging".split()


def library(*papers: Paper) -> Corpus:
    """The papers, and 30 others by other people (TF-IDF needs a few documents)."""
    filler = [
        Paper(
            paper_id=f"f{i}",
            title=f"{WORDS[i % 7]} and {WORDS[(i * 3) % 7]} {i}",
            year=2000,
            authors=[Mention(f"f{i}", 0, "Filler", f"Author{chr(97 + i % 26)}{i}")],
        )
        for i in range(30)
    ]
    return Corpus(papers={p.paper_id: p for p in [*papers, *filler]}, persons={})


# ------------------------------------------------------------------ name commonness


def test_name_sharing_counts_names_not_mentions() -> None:
    # Four names: Wei Wang, Wei Zhang, Li Wang, Ada Lovelace; Wei Wang writes 5 papers.
    papers = [paper(f"p{i}", 2020, ("Wei", "Wang", None)) for i in range(5)]
    papers += [
        paper("q1", 2021, ("Wei", "Zhang", None), ("Li", "Wang", None)),
        paper("q2", 2021, ("Ada", "Lovelace", None)),
    ]
    stats = compute_stats(library(*papers))
    assert stats.names == 4 + 30
    # given name Wei: 2 names; family name Wang: 2 names -> 2 * 2 / 34
    assert stats.name_sharing("Wei", "Wang") == pytest.approx(4 / 34)
    assert stats.name_sharing("Ada", "Lovelace") == pytest.approx(1 / 34)
    # five papers of Wei Wang count once: the mention counts say otherwise
    assert stats.first_count["wei"] == 6 and stats.first_names["wei"] == 2
    assert stats.name_sharing("Unknown", "Person") == 0.0
    assert stats.name_commonness("Wei", "Wang") == pytest.approx(math.log(4 / 34 + 1e-3))
    assert stats.name_commonness("Wéi", "WANG") == stats.name_commonness("Wei", "Wang")


def test_name_commonness_is_a_feature_of_the_block() -> None:
    corpus = library(
        paper("a", 2020, ("Wei", "Wang", None)),
        paper("b", 2021, ("Wei", "Wang", None)),
        paper("c", 2021, ("Wei", "Zhang", None)),
    )
    stats = compute_stats(corpus)
    X = block_features(corpus.blocks["wei-wang"], corpus.papers, stats)
    col = X[:, FEATURES.index("name_commonness")]
    assert col == pytest.approx([stats.name_commonness("Wei", "Wang")])


# ------------------------------------------------------------- affiliation conflicts

EDI, KYO = "Edinburgh Informatics", "Kyoto Chemistry Lab"


def conflict_library(common: bool = True) -> Corpus:
    """Lena Marsh in Edinburgh and in Kyoto; ``common``: other Lenas and other Marshes write
    too, so that "Lena Marsh" is a name several people may share (sharing 9 / 38)."""
    others = (
        [
            paper("o1", 2019, ("Lena", "Park", None), ("Ann", "Marsh", None)),
            paper("o2", 2019, ("Lena", "Xu", None), ("Bob", "Marsh", None)),
        ]
        if common
        else []
    )
    return library(
        paper("e1", 2024, ("Lena", "Marsh", EDI), ("Tom", "Reid", None)),
        paper("k1", 2024, ("Lena", "Marsh", KYO), ("Aki", "Sato", None)),
        paper("k2", 2023, ("Lena", "Marsh", KYO), ("Tom", "Reid", None)),
        paper("e2", 2024, ("Lena", "Marsh", KYO), ("Tom", "Reid", None)),
        paper("e3", 2022, ("Lena", "Marsh", EDI), ("Ian", "Bell", None)),
        *others,
    )


def test_affiliations_of_one_year_that_differ_are_evidence_of_two_people() -> None:
    corpus = conflict_library()
    ms = corpus.blocks["lena-marsh"]
    X = block_features(ms, corpus.papers, compute_stats(corpus))
    ev = evidence_of(X)
    assert ev.dtype == np.int8
    pair = {
        (ms[a].paper_id, ms[b].paper_id): int(ev[e])
        for e, (a, b) in enumerate(zip(*np.triu_indices(len(ms), 1), strict=True))
    }
    # 2024, Edinburgh and Kyoto, nothing shared: two people
    assert pair[("e1", "k1")] == -1
    # Edinburgh in 2022, Kyoto in 2024: not the same year, no conflict, nothing shared
    assert pair[("k1", "e3")] == 0
    # a shared co-author (Tom Reid) outweighs the differing affiliations of 2024
    assert pair[("e1", "e2")] == 1
    # the same affiliation is direct evidence
    assert pair[("k1", "e2")] == 1
    cos = X[:, FEATURES.index("aff_cosine")]
    assert cos[list(pair).index(("e1", "k1"))] < CONFLICT_AFF_COSINE


def test_affiliations_of_one_year_that_differ_on_a_rare_name_are_one_person_away() -> None:
    # Lena Marsh is the library's only Lena and only Marsh (sharing 1 / 34): the same
    # Edinburgh/Kyoto pair of 2024 is no evidence of two people, only of two affiliations.
    corpus = conflict_library(common=False)
    stats = compute_stats(corpus)
    assert stats.name_sharing("Lena", "Marsh") < CONFLICT_MIN_SHARING
    assert compute_stats(conflict_library()).name_sharing("Lena", "Marsh") >= CONFLICT_MIN_SHARING
    ms = corpus.blocks["lena-marsh"]
    X = block_features(ms, corpus.papers, stats)
    ev = evidence_of(X)
    assert not (ev < 0).any()
    e1, k1 = [i for i, m in enumerate(ms) if m.paper_id in ("e1", "k1")]
    row = list(zip(*np.triu_indices(len(ms), 1), strict=True)).index((e1, k1))
    assert ev[row] == 0
    # with no floor on the sharing (the rule before), the conflict is evidence again
    assert evidence_of(X, min_sharing=0.0)[row] == -1


def test_negative_evidence_is_a_cannot_link_and_positive_is_chained() -> None:
    # Three mentions, every pair at P = 0.99; 0-1 carry evidence of two people.
    probs = np.array([0.99, 0.99, 0.99])
    ev = np.array([-1, 0, 0], dtype=np.int8)
    labels = cluster_block(3, probs, 0.5, link_threshold=0.9, evidence=ev, evidence_threshold=0.5)
    assert labels[0] != labels[1]
    # a bool array still means direct evidence only
    labels = cluster_block(3, probs, 0.5, link_threshold=0.9, evidence=ev != 0)
    assert len(set(labels)) == 1
    # no evidence array: the conflict is unknown to the clustering
    assert len(set(cluster_block(3, probs, 0.5, link_threshold=0.9))) == 1


# ---------------------------------------------------------- pseudo-ambiguous names


def pseudo_library() -> Corpus:
    return library(
        paper("h1", 2020, ("Haoyu", "Wang", "PKU"), ("Jing", "Gao", None)),
        paper("h2", 2021, ("Haoyu", "Wang", "PKU"), ("Jing", "Gao", None)),
        # Haoran Wang: a partner (same family name, another given name, 2 mentions)
        paper("r1", 2022, ("Haoran", "Wang", "ZJU"), ("Yu", "Li", None)),
        # a paper of both: left out of the partner's renamed mentions
        paper("r2", 2023, ("Haoran", "Wang", None), ("Haoyu", "Wang", None)),
        paper("r3", 2024, ("Haoran", "Wang", "ZJU"), ("Yu", "Li", None)),
        # not partners: a prefix, an initial, another family name
        paper("x1", 2022, ("Hao", "Wang", None)),
        paper("x2", 2022, ("H.", "Wang", None)),
        paper("x3", 2022, ("Haoran", "Zhang", None)),
    )


def test_partner_names_share_the_family_name_only() -> None:
    corpus = pseudo_library()
    partners = PartnerNames(corpus, sorted(corpus.blocks))
    assert partners.of("haoyu-wang") == ["haoran-wang"]
    # Hao Wang is a prefix of both, H. Wang an initial
    assert partners.of("hao-wang") == []
    assert "h-wang" not in partners.by_family["wang"]


def test_partner_of_very_different_size_is_no_partner() -> None:
    corpus = pseudo_library()
    many = [paper(f"m{i}", 2020, ("Haoran", "Wang", None)) for i in range(10)]
    big = library(*corpus.papers.values(), *many)
    assert PartnerNames(big, sorted(big.blocks)).of("haoyu-wang") == []


def test_pseudo_ambiguous_block_renames_the_partner() -> None:
    corpus = pseudo_library()
    mentions, papers, k = pseudo_ambiguous_block(corpus, "haoyu-wang", "haoran-wang")
    assert k == 3  # h1, h2 and r2 are Haoyu Wang's own
    assert [m.paper_id for m in mentions[k:]] == ["r1", "r3"]
    assert {m.slug for m in mentions} == {"haoyu-wang"}
    # the renamed papers list the renamed mention; the corpus is untouched
    assert papers["r1"].authors[0].slug == "haoyu-wang"
    assert papers["r1"].coauthor_slugs("haoyu-wang") == {"yu-li"}
    assert corpus.papers["r1"].authors[0].slug == "haoran-wang"
    assert papers["h1"] is corpus.papers["h1"]


def test_pseudo_pairs_are_two_people_weighted_by_commonness() -> None:
    corpus = pseudo_library()
    engine = Engine(corpus, None)
    partners = PartnerNames(corpus, sorted(corpus.blocks))
    rng = np.random.default_rng(0)
    rows = pseudo_training_pairs(engine, ["haoyu-wang", "hao-wang"], partners, rng)
    assert len(rows) == 1  # Hao Wang has no partner
    X, y, w = rows[0]
    assert len(X) == 3 * 2 <= PSEUDO_PAIRS_PER_NAME and (y == 0).all()
    sharing = engine.stats.name_sharing("Haoyu", "Wang")
    assert w == pytest.approx(PSEUDO_WEIGHT * sharing / (sharing + PSEUDO_SHARING_SCALE))
    # the rows are the A x B pairs of the joined block's features
    mentions, papers, k = pseudo_ambiguous_block(corpus, "haoyu-wang", "haoran-wang")
    full = block_features(mentions, papers, engine.stats)
    iu = np.triu_indices(len(mentions), 1)
    cross = (iu[0] < k) & (iu[1] >= k)
    np.testing.assert_array_equal(np.nan_to_num(X, nan=-9), np.nan_to_num(full[cross], nan=-9))


def test_pseudo_pairs_are_seeded() -> None:
    corpus = pseudo_library()
    engine = Engine(corpus, None)
    partners = PartnerNames(corpus, sorted(corpus.blocks))

    def run() -> np.ndarray:
        rows = pseudo_training_pairs(engine, ["haoyu-wang"], partners, np.random.default_rng(5))
        return rows[0][0]

    np.testing.assert_array_equal(np.nan_to_num(run(), nan=-9), np.nan_to_num(run(), nan=-9))
