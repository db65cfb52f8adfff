"""`byline train`: the merge model and the audit calibration are estimators in byline.model,
fitted by byline.training (train data only, seeded, deterministic), and each refuses to run
on features or a pairwise model other than the ones it was fitted on."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from byline.cli import app
from byline.errors import BylineError
from byline.evaluation.protocol import partition_of
from byline.model import (
    Calibration,
    MergeModel,
    PairwiseModel,
    default_calibration_path,
    default_model_path,
    model_fingerprint,
)
from byline.model.audit import PAGE_FEATURES, fit_calibration
from byline.model.merge import MERGE_FEATURES
from byline.model.pairwise import CONFLICT_THRESHOLD
from byline.sources.records import Mention, Name, Paper, Person
from byline.store.corpus import Corpus
from byline.tasks.audit import page_signals
from byline.tasks.merge import training_candidates
from byline.training import audit as audit_training
from byline.training import merge as merge_training

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
runner = CliRunner()


def _letters(i: int, n: int = 7) -> str:
    h = hashlib.sha1(f"train-{i}".encode()).hexdigest()
    return "".join(chr(97 + int(c, 16) % 26) for c in h[:n]).capitalize()


# --------------------------------------------------------------------------- estimators


def test_shipped_pairwise_model_round_trips_byte_for_byte(tmp_path: Path) -> None:
    model = PairwiseModel.load()
    model.save(tmp_path / "p.txt")
    shipped = default_model_path()
    assert (tmp_path / "p.txt").read_bytes() == shipped.read_bytes()
    assert (tmp_path / "p.json").read_bytes() == shipped.with_suffix(".json").read_bytes()


def test_conflict_threshold_is_recorded_and_old_models_keep_hard_conflicts(
    tmp_path: Path,
) -> None:
    model = PairwiseModel.load()
    assert model.conflict_threshold == CONFLICT_THRESHOLD == 0.5
    model.conflict_threshold = 0.6
    model.save(tmp_path / "p.txt")
    assert json.loads((tmp_path / "p.json").read_text())["conflict_threshold"] == 0.6
    assert PairwiseModel.load(tmp_path / "p.txt").conflict_threshold == 0.6
    meta = json.loads((tmp_path / "p.json").read_text())
    del meta["conflict_threshold"]  # a model saved before conflicts could be crossed
    (tmp_path / "p.json").write_text(json.dumps(meta))
    assert PairwiseModel.load(tmp_path / "p.txt").conflict_threshold is None


def test_merge_model_records_its_features_and_refuses_others(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, len(MERGE_FEATURES))).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    a = MergeModel(seed=3).fit(X, y)
    b = MergeModel(seed=3).fit(X, y)
    assert a.booster is not None and b.booster is not None
    assert a.booster.model_to_string() == b.booster.model_to_string()
    a.threshold = 0.4
    a.save(tmp_path / "m.txt")
    meta = json.loads((tmp_path / "m.json").read_text())
    assert meta["features"] == list(MERGE_FEATURES) and meta["threshold"] == 0.4
    again = MergeModel.load(tmp_path / "m.txt")
    assert again.threshold == 0.4
    assert np.allclose(again.predict_proba(X), a.predict_proba(X))
    # a matrix of other columns is refused
    with pytest.raises(BylineError, match="takes 25 features, got 3"):
        again.predict_proba(X[:, :3])
    # a file fitted on other features is refused, saying what to run
    meta["features"] = meta["features"][:-1]
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(BylineError, match=r"other features.*byline train --merge"):
        MergeModel.load(tmp_path / "m.txt")
    with pytest.raises(BylineError, match=r"no model at .*byline train --merge"):
        MergeModel.load(tmp_path / "none.txt")


def _calibration(fingerprint: str) -> Calibration:
    rng = np.random.default_rng(1)
    y = (rng.uniform(size=200) < 0.3).astype(int)
    X = np.column_stack([y + rng.normal(size=200), rng.normal(size=(200, 4))])
    PX = np.column_stack([y + rng.normal(size=200), rng.normal(size=(200, 2))])
    return fit_calibration(X, y, PX, np.full(200, 0.5), y, "v", fingerprint, seed=1)


def test_calibration_refuses_another_pairwise_model(tmp_path: Path) -> None:
    model = PairwiseModel.load()
    shipped = Calibration.load(default_calibration_path(), model)  # fitted for it
    assert shipped.model_fingerprint == model_fingerprint(model)
    path = tmp_path / "cal.json"
    _calibration("0123456789ab").save(path)
    doc = json.loads(path.read_text())
    assert doc["page_features"] == list(PAGE_FEATURES) and doc["model_fingerprint"]
    Calibration.load(path)  # without a model: no check
    with pytest.raises(BylineError) as err:
        Calibration.load(path, model)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and "0123456789ab" in msg
    assert model_fingerprint(model) in msg and "byline train --audit" in msg
    # a calibration that records no model is refused too
    _calibration("").save(path)
    with pytest.raises(BylineError, match="none recorded"):
        Calibration.load(path).check(model)


# --------------------------------------------------------------------------- merge training


def _merge_library(persons: int = 48) -> Corpus:
    """Registry persons whose two spellings ("J." / "John") share a co-author, and pairs of
    unlisted names with the same spellings and nothing in common."""
    papers: dict[str, Paper] = {}
    registry: dict[str, Person] = {}

    def paper(pid: str, year: int, authors: list[tuple[str, str]]) -> None:
        p = Paper(paper_id=pid, title=f"Study {pid} of {authors[0][1]}", year=year)
        p.authors = [Mention(pid, i, f, last) for i, (f, last) in enumerate(authors)]
        papers[pid] = p

    for i in range(persons):
        last, co = _letters(i), (_letters(1000 + i, 5), _letters(2000 + i))
        given = ["John", "Maria", "Kenji", "Olga"][i % 4]
        paper(f"2020.p{i}-1", 2020, [(given, last), co])
        paper(f"2020.p{i}-2", 2021, [(f"{given[0]}.", last), co])
        names = [Name(given, last), Name(f"{given[0]}.", last)]
        registry[last.lower()] = Person(last.lower(), names)
        # two different people: the same spellings of another family name, nothing shared
        other = _letters(3000 + i)
        paper(f"2020.n{i}-1", 2000, [(given, other), (_letters(4000 + i, 5), _letters(5000 + i))])
        paper(f"2020.n{i}-2", 2022, [(f"{given[0]}.", other), (_letters(6000 + i, 5), "Zed")])
    return Corpus(papers=papers, persons=registry)


def test_merge_training_fits_on_train_pairs_only_and_is_deterministic(tmp_path: Path) -> None:
    corpus = _merge_library()
    pair = PairwiseModel.load()
    data = merge_training.training_data(corpus, None, training_candidates, pair)
    rows = data["rows"]
    scopes = {r["scope"] for r in rows}
    assert {"train", "dev"} <= scopes
    assert data["X"].shape == (len(rows), len(MERGE_FEATURES))
    # labels come from the full registry; dev/test persons keep one name in the system view
    assert any(r["label"] and r["scope"] == "train" and r["known"] for r in rows)
    assert not any(r["known"] and r["scope"] != "train" for r in rows)
    model, metrics = merge_training.train(
        corpus, None, training_candidates, pair, tmp_path / "a.txt"
    )
    n_train = sum(r["scope"] == "train" for r in rows)
    assert model.info["train_pairs"] == metrics["train_pairs"] == n_train
    assert model.threshold in merge_training.THRESHOLDS
    assert metrics["dev_at_threshold"]["recall"] > 0.5
    # seeded: the same data gives the same files
    merge_training.fit_merge_model(data).save(tmp_path / "b.txt")
    for ext in ("txt", "json"):
        assert (tmp_path / f"a.{ext}").read_bytes() == (tmp_path / f"b.{ext}").read_bytes()
    # the fit reads train rows only: other rows changed, the same trees
    dev = np.array([r["scope"] != "train" for r in rows])
    noisy = dict(data, X=np.where(dev[:, None], 0.5, data["X"]).astype(np.float32))
    refit = merge_training.fit_merge_model(noisy)
    assert refit.booster is not None and model.booster is not None
    assert refit.booster.model_to_string() == model.booster.model_to_string()


def test_merge_training_needs_both_kinds_of_train_pairs() -> None:
    data = {
        "X": np.zeros((3, len(MERGE_FEATURES)), dtype=np.float32),
        "rows": [{"scope": "train", "label": 1}] * 3,
    }
    with pytest.raises(BylineError, match="3 of the 3 candidate pairs of train names"):
        merge_training.fit_merge_model(data)


# --------------------------------------------------------------------------- audit training


def _doc(pages: int = 120) -> dict:  # type: ignore[type-arg]
    """Synthetic page rows: conflated pages have a weak top cut, odd papers a weak link."""
    rng = np.random.default_rng(5)
    out = {}
    for j in range(pages):
        n = 2 + j % 5
        conflated = j % 4 == 0
        odd = {f"p{j}#{i}": conflated and i == n - 1 for i in range(n)}
        cut = rng.uniform(0.0, 0.4) if conflated else rng.uniform(0.5, 1.0)
        weak = np.array([0.1 if v else 0.9 for v in odd.values()]) + rng.normal(0, 0.05, n)
        out[f"page-{j}"] = {
            "signals": SimpleNamespace(
                n=n,
                features=np.array([cut, rng.normal(), 0.0, 0.0, np.log(n)]),
                paper_features=np.column_stack([weak, rng.normal(size=n), np.zeros(n)]),
                to_majority=weak,
            ),
            "mention_ids": list(odd),
            "conflated": conflated,
            "odd": odd,
        }
    # a page with one gold mention says nothing about conflation: left out of the fit
    one = SimpleNamespace(
        n=3, features=np.zeros(5), paper_features=np.zeros((3, 3)), to_majority=np.ones(3)
    )
    out["single"] = {
        "signals": one,
        "mention_ids": ["s#0", "s#1", "s#2"],
        "conflated": True,
        "odd": {"s#0": True},
    }
    return {"model_version": "v", "model_fingerprint": "abc", "pages": out}


def test_audit_calibration_fit_is_seeded_on_pages_with_two_gold_mentions() -> None:
    a = audit_training.fit_on_pages(_doc())
    b = audit_training.fit_on_pages(_doc())
    assert a == b
    assert a.info["page_rows"] == 120 and a.model_fingerprint == "abc"
    assert a.page_coef[0] < 0  # a weaker top cut: more likely conflated
    assert a.paper_coef[0] < 0  # a weaker link to the majority: more likely misplaced


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store with the known-split fixture ingested."""
    url = f"sqlite:///{tmp_path_factory.mktemp('train')}/s.sqlite"
    res = runner.invoke(app, ["ingest", str(FIXTURE), "--db", url])
    assert res.exit_code == 0, res.output
    return url


def test_page_rows_label_the_pages_of_a_split(db: str) -> None:
    from byline.store import connect
    from byline.store.corpus import load_corpus

    corpus = load_corpus(connect(db, create=False))
    model = PairwiseModel.load()
    split = partition_of("jiarui-fenwick")
    doc = audit_training.page_rows(corpus, None, model, split, page_signals)
    assert doc["model_fingerprint"] == model_fingerprint(model)
    page = doc["pages"]["jiarui-fenwick"]
    assert page["conflated"]  # two gold persons behind the name
    assert set(page["odd"]) <= set(page["mention_ids"]) and any(page["odd"].values())
    assert page["signals"].n == len(page["mention_ids"])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_cli_train_picks_models_and_fails_in_one_line(db: str, tmp_path: Path) -> None:
    res = runner.invoke(app, ["train", "--help"])
    assert all(f in _one_line(res.output) for f in ("--pairwise", "--merge", "--audit"))
    out = tmp_path / "merge.txt"
    res = runner.invoke(app, ["train", "--merge", "--db", db, "--merge-out", str(out)])
    assert res.exit_code == 1 and not out.exists()
    assert "merge training:" in _one_line(res.stderr) and "Traceback" not in res.output
    cal = tmp_path / "cal.json"
    res = runner.invoke(app, ["train", "--audit", "--db", db, "--calibration-out", str(cal)])
    assert res.exit_code == 1 and not cal.exists()
    assert "audit calibration" in _one_line(res.stderr)


def test_cli_audit_refuses_a_calibration_of_another_model(db: str, tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    _calibration("0123456789ab").save(path)
    res = runner.invoke(app, ["audit", "--db", db, "--calibration", str(path)])
    assert res.exit_code == 1
    msg = _one_line(res.stderr)
    assert "0123456789ab" in msg and "byline train --audit" in msg
