"""OpenReview ids as evidence (issue 12): one id on two mentions is one person (a must-link);
two different ids weigh against a merge (P(same) capped at 0.5 before clustering) without
forbidding it; the benchmark's masking hides them. On a hand-made four-paper library."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np

from byline.engine import Engine, evidence_constraints
from byline.engine.constraints import OPENREVIEW_CAP, cap_pairs
from byline.features.stats import LibraryStats
from byline.model import PairwiseModel
from byline.sources.records import Mention, Paper
from byline.store.corpus import Corpus
from byline.store.decisions import DecidedState

# paper -> the OpenReview id of its Ana Lopez (None: none given)
IDS = {"2026.x-1": "~Ana_Lopez1", "2026.x-2": "~Ana_Lopez1", "2026.x-3": "~Ana_Lopez2"}


def library(ids: dict[str, str | None] = IDS) -> Corpus:
    papers = {
        pid: Paper(
            paper_id=pid,
            title=f"Paper {pid}",
            year=2026,
            authors=[
                Mention(pid, 0, "Ana", "Lopez", openreview=oid),
                Mention(pid, 1, "Kim", f"Ito{k}"),
            ],
        )
        for k, (pid, oid) in enumerate(ids.items())
    }
    return Corpus(papers=papers, persons={})


def block(corpus: Corpus) -> list[Mention]:
    return corpus.blocks["ana-lopez"]


def engine(corpus: Corpus, decisions: DecidedState | None = None) -> Engine:
    model = PairwiseModel(threshold=0.65, link_threshold=0.9)
    stats = cast(LibraryStats, SimpleNamespace())  # clustering reads no statistics
    return Engine(corpus, model, None, stats, use_embeddings=False, decisions=decisions)


# P(same) in triu order of (0,1), (0,2), (1,2): the model doubts the two papers that share
# an OpenReview id and is sure of the third, which carries another id
PROBS = np.array([0.1, 0.95, 0.95], dtype=np.float32)
NO_EVIDENCE = np.zeros(3, dtype=bool)


def test_shared_id_is_a_must_link_different_ids_are_soft_apart() -> None:
    c = evidence_constraints(block(library()), library())
    assert c.must == [(0, 1)]
    assert c.apart_soft == [(0, 2), (1, 2)]
    assert c.cannot == []  # different ids are no proof


def test_the_engine_caps_p_of_different_ids_before_clustering() -> None:
    corpus = library()
    labels = engine(corpus).cluster(block(corpus), PROBS, NO_EVIDENCE)
    assert labels[0] == labels[1]  # the shared id, against P = 0.1
    assert labels[2] != labels[0]  # 0.95 capped to 0.5: neither chained nor averaged in
    # the same P without OpenReview ids: one person
    plain = library(dict.fromkeys(IDS))
    assert len(set(engine(plain).cluster(block(plain), PROBS, NO_EVIDENCE))) == 1
    # the caller's probabilities are not changed
    assert PROBS.tolist() == np.array([0.1, 0.95, 0.95], dtype=np.float32).tolist()


def test_direct_evidence_still_joins_different_ids() -> None:
    corpus = library()
    evidence = np.array([False, True, False])  # (0, 2) share a co-author or an affiliation
    labels = engine(corpus).cluster(block(corpus), PROBS, evidence)
    assert len(set(labels)) == 1  # not proof of two people: the evidence chains at 0.5


def test_masking_hides_the_ids() -> None:
    corpus = library()
    masked = corpus.masked({m.mention_id for m in block(corpus)})
    assert all(m.openreview is None for m in block(masked))
    c = evidence_constraints(block(masked), masked)
    assert c.must == [] and c.apart_soft == []
    assert len(set(engine(masked).cluster(block(masked), PROBS, NO_EVIDENCE))) == 1


def test_a_decision_replaces_the_mentions_own_id() -> None:
    corpus = library()
    third = block(corpus)[2].mention_id
    c = evidence_constraints(block(corpus), corpus, DecidedState(assigned={third: "p"}))
    assert c.apart_soft == []  # the decided mention's OpenReview id no longer counts


def test_cap_pairs_in_triu_order() -> None:
    probs = np.arange(6, dtype=np.float64) / 5  # n = 4: (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
    out = cap_pairs(4, probs, [(3, 1), (0, 2)])
    assert out.tolist() == [0.0, 0.2, 0.4, 0.6, OPENREVIEW_CAP, 1.0]
    assert cap_pairs(4, probs, []) is probs
