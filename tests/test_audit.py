"""`byline audit`: page and paper ranking on a synthetic library with controlled pairwise
probabilities, the calibration, the benchmark's labels and ranking metrics, and the CLI's
CSV / JSON output on the known-split fixture."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from byline.cli import app
from byline.cluster import Constraints, cluster_block
from byline.engine import BlockResult, evidence_constraints
from byline.errors import BylineError
from byline.model.audit import Calibration, fit_calibration
from byline.sources.records import Mention, Paper
from byline.store.corpus import Corpus
from byline.tasks.audit import (
    PAGE_COLUMNS,
    PAPER_COLUMNS,
    audit_page,
    page_signals,
    rank_pages,
    ranking_scores,
    top_k_mask,
)
from byline.training.audit import gold_targets

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
runner = CliRunner()

# --- a synthetic library -------------------------------------------------------------------

# name -> list of (co-author, explicit id or None) per paper
NAMES = {
    ("Ana", "Lopez"): [("Kim Ito", None)] * 5 + [("Raj Patel", None)],  # the 6th is another Ana
    ("Bo", "Chen"): [("Lea Roy", None)] * 5,
    ("Cy", "Dahl"): [("Max Ott", None)] * 3,
    ("Ed", "Fox"): [("Kim Ito", None)],
}


def library(ids: dict[str, str] | None = None) -> Corpus:
    """One paper per mention: the name first, one co-author second. ``ids``: mention id ->
    explicit id to put on that mention."""
    ids = ids or {}
    papers = {}
    for (first, last), rows in NAMES.items():
        for k, (co, _) in enumerate(rows):
            pid = f"2024.{last.lower()}-{k}"
            co_first, co_last = co.split()
            papers[pid] = Paper(
                paper_id=pid,
                title=f"Paper {k} of {first} {last}",
                year=2020 + k,
                authors=[
                    Mention(pid, 0, first, last, person_id=ids.get(f"{pid}#0")),
                    Mention(pid, 1, co_first, co_last),
                ],
            )
    return Corpus(papers=papers, persons={})


def probabilities(slug: str, n: int) -> np.ndarray:
    """Controlled P(same): ana-lopez's last mention is far from the other five (0.05),
    everything else is close (0.9-0.97)."""
    rng = np.random.default_rng(len(slug))
    P = rng.uniform(0.9, 0.97, size=(n, n))
    if slug == "ana-lopez":
        P[-1, :] = P[:, -1] = 0.05
    return P[np.triu_indices(n, 1)]


def results(corpus: Corpus) -> list[BlockResult]:
    out = []
    for slug, mentions in sorted(corpus.blocks.items()):
        if slug in ("kim-ito", "lea-roy", "max-ott", "raj-patel"):
            continue
        n = len(mentions)
        probs = probabilities(slug, n) if n > 1 else np.zeros(0)
        labels = cluster_block(
            n, probs, 0.5, evidence_constraints(mentions, corpus), link_threshold=0.98
        )
        keys = [f"{slug}/{lab}" for lab in labels]
        out.append(BlockResult(slug, mentions, labels, np.ones(n), keys, probs))
    return out


ODD = "2024.lopez-5#0"


def test_conflated_page_first_and_odd_paper_first_inside() -> None:
    corpus = library()
    cal = Calibration.load()
    pages = rank_pages(audit_page(r, corpus, cal) for r in results(corpus))
    assert [p.slug for p in pages][0] == "ana-lopez"
    top = pages[0]
    # one clear outlier among six is a likely conflation; clean pages are near zero (the
    # calibration of the pairwise model of issue 11, whose P(same) are lower overall, puts
    # it at 0.28: a weakest link of 0.05 is less surprising than it was)
    assert top.p_conflated > 0.25
    assert all(p.p_conflated < 0.05 and 10 * p.p_conflated < top.p_conflated for p in pages[1:])
    # evidence: two inferred persons of 5 and 1, the weakest cut separates the odd paper
    assert [c for _, c in top.persons] == [5, 1]
    assert sorted(top.weakest_cut) == [1, 5]
    assert top.weakest_link == pytest.approx(0.05, abs=1e-4)
    assert top.isolated_mention == ODD
    # inside the page: the odd paper first, clearly above the others; it shares no
    # co-author with the majority person, the others share one
    assert top.papers[0].mention_id == ODD
    assert top.papers[0].p_wrong > 2 * top.papers[1].p_wrong
    assert top.papers[0].shared_coauthors_with_majority == 0
    assert all(r.shared_coauthors_with_majority == 1 for r in top.papers[1:])
    assert top.papers[0].person != top.papers[0].majority_person
    # a one-mention page cannot conflate
    fox = next(p for p in pages if p.slug == "ed-fox")
    assert fox.p_conflated == 0.0 and fox.papers[0].p_wrong == 0.0


def test_an_explicit_id_does_not_hide_a_misplaced_paper() -> None:
    # the odd paper carries the majority person's explicit id: the split must keep it
    # there (hard constraint), yet the audit still ranks page and paper first
    corpus = library({ODD: "ana-lopez-1", "2024.lopez-0#0": "ana-lopez-1"})
    pages = rank_pages(audit_page(r, corpus, Calibration.load()) for r in results(corpus))
    top = pages[0]
    assert top.slug == "ana-lopez"
    assert top.p_conflated > 0.3 and all(p.p_conflated < 0.05 for p in pages[1:])
    assert top.explicit_ids == ["ana-lopez-1"]
    person = {r.mention_id: r.person for r in top.papers}
    assert person[ODD] == person["2024.lopez-0#0"]  # the shared id is a hard must-link
    assert top.papers[0].mention_id == ODD
    assert top.papers[0].explicit_id == "ana-lopez-1"
    assert top.papers[0].to_majority == pytest.approx(0.05, abs=1e-4)
    assert top.papers[0].p_wrong > 2 * top.papers[1].p_wrong


def test_page_signals_of_a_clean_page() -> None:
    corpus = library()
    bo = next(r for r in results(corpus) if r.slug == "bo-chen")
    sig = page_signals(bo)
    assert sig.n == 5 and sig.features[2] == 0.0  # one inferred person
    assert 0.9 <= sig.top_cut <= 0.97 and 0.9 <= sig.isolated <= 0.97
    assert np.all(sig.to_majority >= 0.9)


# --- calibration ---------------------------------------------------------------------------


def test_fit_calibration_learns_direction_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y = (rng.uniform(size=400) < 0.2).astype(int)
    weak = np.where(y == 1, rng.uniform(0.0, 0.5, 400), rng.uniform(0.4, 1.0, 400))
    X = np.column_stack([np.log(weak + 1e-3), rng.normal(size=(400, 4))])
    PX = np.column_stack([np.log(weak + 1e-3), rng.normal(size=(400, 2))])
    cal = fit_calibration(X, y, PX, np.full(400, 0.5), y, "v1", "abc", seed=1)
    strong, weakest = X[np.argmax(X[:, 0])], X[np.argmin(X[:, 0])]
    assert cal.page_proba(weakest)[0] > 0.5 > cal.page_proba(strong)[0]
    path = tmp_path / "cal.json"
    cal.save(path)
    again = Calibration.load(path)
    assert again.model_fingerprint == "abc" and again.info["page_positives"] == int(y.sum())
    assert np.allclose(again.page_proba(X), cal.page_proba(X))
    doc = json.loads(path.read_text())
    doc["page_features"] = ["something", "else"]
    path.write_text(json.dumps(doc))
    with pytest.raises(BylineError, match="other signals"):
        Calibration.load(path)
    with pytest.raises(BylineError, match="no audit calibration"):
        Calibration.load(tmp_path / "missing.json")
    with pytest.raises(BylineError, match="one class"):
        fit_calibration(X, np.zeros(400, dtype=int), PX, np.full(400, 0.5), y)


# --- benchmark labels and metrics ----------------------------------------------------------


def test_gold_targets() -> None:
    gold = {"a#0": "id:x", "b#0": "id:x", "c#0": "id:y"}
    conflated, odd = gold_targets(["a#0", "b#0", "c#0", "d#0"], gold)
    assert conflated and odd == {"a#0": False, "b#0": False, "c#0": True}
    # a tie: the smallest label is the majority, deterministically
    assert gold_targets(["c#0", "a#0"], gold) == (True, {"c#0": True, "a#0": False})
    assert gold_targets(["a#0", "b#0"], gold) == (False, {"a#0": False, "b#0": False})
    assert gold_targets(["d#0"], gold) == (False, {})


def test_ranking_scores_on_a_hand_computed_example() -> None:
    y = np.array([1, 0, 1, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    r = ranking_scores(y, s, (1, 2, 3, 9))
    # AP: hits at ranks 1 and 3 -> (1/1 + 2/3) / 2; AUC: 5 of 6 positive/negative pairs
    assert r["average_precision"] == pytest.approx(0.8333, abs=1e-4)
    assert r["roc_auc"] == pytest.approx(0.8333, abs=1e-4)
    assert (r["p@1"], r["p@2"], r["p@3"]) == (1.0, 0.5, pytest.approx(0.6667, abs=1e-4))
    assert "p@9" not in r and r["positives"] == 2 and r["items"] == 5
    # ties are broken by name, so P@k is deterministic
    tied = np.array([0.5, 0.5, 0.1])
    assert top_k_mask(tied, 1, ["b", "a", "c"]).tolist() == [False, True, False]
    assert ranking_scores(np.array([0, 1, 0]), tied, (1,), ["b", "a", "c"])["p@1"] == 1.0
    assert ranking_scores(np.array([1, 0, 0]), tied, (1,), ["b", "a", "c"])["p@1"] == 0.0


# --- the command on the fixture ------------------------------------------------------------


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('audit')}/s.sqlite"
    res = runner.invoke(app, ["ingest", str(FIXTURE), "--db", url])
    assert res.exit_code == 0, res.output
    return url


def test_cli_csv_and_json(db: str, tmp_path: Path) -> None:
    pages_csv, papers_csv = tmp_path / "pages.csv", tmp_path / "papers.csv"
    res = runner.invoke(
        app,
        ["audit", "--db", db, "--top", "3", "--csv", str(pages_csv), "--papers-csv",
         str(papers_csv)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "P(2+)" in res.stdout and "top 3 of 9" in res.stdout
    with open(pages_csv, encoding="utf-8") as fh:
        pages = list(csv.DictReader(fh))
    assert tuple(pages[0].keys()) == PAGE_COLUMNS
    assert len(pages) == 9  # every name of the fixture, not only the top 3
    probs = [float(p["p_conflated"]) for p in pages]
    assert probs == sorted(probs, reverse=True)
    fenwick = next(p for p in pages if p["slug"] == "jiarui-fenwick")
    assert fenwick["mentions"] == "9"
    assert fenwick["explicit_ids"] == "jiarui-fenwick-edinburgh; jiarui-fenwick-tsinghua"
    with open(papers_csv, encoding="utf-8") as fh:
        papers = list(csv.DictReader(fh))
    assert tuple(papers[0].keys()) == PAPER_COLUMNS
    assert len({r["mention_id"] for r in papers}) == len(papers) == 28
    for rank in {r["page_rank"] for r in papers}:
        inside = [float(r["p_wrong"]) for r in papers if r["page_rank"] == rank]
        assert inside == sorted(inside, reverse=True)

    res = runner.invoke(app, ["audit", "--db", db, "--top", "2", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["summary"]["pages"] == 9 and doc["summary"]["mentions"] == 28
    assert [p["rank"] for p in doc["pages"]] == [1, 2]
    assert [p["slug"] for p in doc["pages"]] == [p["slug"] for p in pages[:2]]
    first = doc["pages"][0]
    assert {"p_conflated", "persons", "weakest_link", "weakest_cut", "papers"} <= set(first)
    assert {"mention_id", "p_wrong", "to_majority", "shared_coauthors_with_majority"} <= set(
        first["papers"][0]
    )


def test_cli_missing_calibration(db: str, tmp_path: Path) -> None:
    res = runner.invoke(app, ["audit", "--db", db, "--calibration", str(tmp_path / "no.json")])
    assert res.exit_code == 1
    assert "no audit calibration" in " ".join(res.stderr.split())
    assert "Traceback" not in res.output


def test_constraints_type_is_what_the_engine_builds() -> None:
    # the synthetic results above use the engine's own evidence constraints
    corpus = library({ODD: "ana-lopez-1", "2024.lopez-0#0": "ana-lopez-1"})
    c = evidence_constraints(corpus.blocks["ana-lopez"], corpus)
    assert isinstance(c, Constraints) and (0, 5) in c.must
