"""The real Anthology snapshot (Nov 2025): one ingest, a real name split, the prediction
contract on a few real blocks. Skipped when ``../shared/anthology`` is not beside the repo.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from scipy.cluster.hierarchy import DisjointSet
from sqlalchemy import func, select
from typer.testing import CliRunner

from byline.cli import app
from byline.engine import Engine
from byline.model import PairwiseModel
from byline.store import Store, connect
from byline.store import schema as t
from byline.store.corpus import Corpus, load_corpus
from byline.store.ingest import ingest
from byline.tasks.split import split_all

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REAL_TARBALL = SHARED / "anthology" / "acl-anthology-data-2025-11.tar.gz"
PEISONG_PAGE = SHARED / "seeds" / "peisong-wang-author-page.jsonl"

pytestmark = pytest.mark.skipif(
    not REAL_TARBALL.exists(),
    reason=f"real Anthology snapshot not found at {REAL_TARBALL} (../shared beside the repo)",
)


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The real snapshot ingested once (about 30 s) into a temporary store."""
    url = f"sqlite:///{tmp_path_factory.mktemp('real')}/s.sqlite"
    report = ingest(connect(url), REAL_TARBALL)
    assert report.layout == "2025-11"
    assert report.files_total > 1500
    assert report.papers_written > 100_000
    assert report.mentions_written > 350_000
    return url


@pytest.fixture(scope="module")
def store(real_db: str) -> Engine:
    return connect(real_db, create=False)


@pytest.fixture(scope="module")
def engine(store: Store) -> Engine:
    """What `byline split` builds: the corpus, its statistics and the shipped model."""
    return Engine(load_corpus(store), PairwiseModel.load(), store)


def test_store_counts(store: Store) -> None:
    with store.connect() as conn:
        n_papers = conn.execute(select(func.count()).select_from(t.papers)).scalar_one()
        n_mentions = conn.execute(select(func.count()).select_from(t.mentions)).scalar_one()
        n_persons = conn.execute(select(func.count()).select_from(t.persons)).scalar_one()
    assert 100_000 < n_papers < 110_000
    assert 360_000 < n_mentions < 380_000
    assert n_persons > 3000


# --- Peisong Wang ---------------------------------------------------------------------------


def page_titles() -> list[str]:
    with open(PEISONG_PAGE, encoding="utf-8") as fh:
        return [json.loads(line)["title"] for line in fh if line.strip()]


def test_split_peisong_wang(real_db: str, store: Store) -> None:
    titles = page_titles()
    assert len(titles) == 4
    # which of the author page's papers are in the snapshot (2025.acl.xml is not)
    with store.connect() as conn:
        present = {
            title.lower(): conn.execute(
                select(t.papers.c.paper_id).where(func.lower(t.papers.c.title) == title.lower())
            )
            .scalars()
            .all()
            for title in titles
        }
    in_snapshot = {title for title, ids in present.items() if ids}
    assert len(in_snapshot) == 2, present  # the two Findings of ACL 2025 papers
    assert all(len(ids) == 1 for ids in present.values() if ids)

    res = CliRunner().invoke(app, ["split", "Peisong Wang", "--json", "--db", real_db])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["slug"] == "peisong-wang"
    assert doc["name"] == "Peisong Wang"
    assert len(doc["persons"]) >= 1
    person_of_title = {
        row["title"].lower(): p["person"] for p in doc["persons"] for row in p["papers"]
    }
    # every page paper in the snapshot is split under the name, all in one person
    assert in_snapshot <= set(person_of_title), set(person_of_title)
    assert len({person_of_title[title] for title in in_snapshot}) == 1
    for p in doc["persons"]:
        for row in p["papers"]:
            assert 0.0 <= row["confidence"] <= 1.0


# --- the prediction contract on real blocks -----------------------------------------------


def evidence_blocks(corpus: Corpus, limit: int = 3) -> list[str]:
    """A few real names with identity evidence to check: 2+ explicit ids and an ORCID."""
    out = []
    for slug in sorted(corpus.blocks):
        ms = corpus.blocks[slug]
        ids = {pid for m in ms if (pid := corpus.explicit_id(m))}
        if len(ids) >= 2 and any(m.orcid for m in ms) and 15 <= len(ms) <= 80:
            out.append(slug)
    return out[:limit]


@pytest.fixture(scope="module")
def real_preds(engine: Engine, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    corpus = engine.corpus
    slugs = evidence_blocks(corpus) + ["peisong-wang"]
    assert len(slugs) >= 3, slugs
    # split_all over just these blocks (the library's statistics stay those of the whole)
    sub = Corpus(
        papers=corpus.papers,
        persons=corpus.persons,
        blocks={s: corpus.blocks[s] for s in slugs},
    )
    part = Engine(sub, engine.model, engine.store, stats=engine.stats)
    out = tmp_path_factory.mktemp("real-preds") / "preds.jsonl"
    counts = split_all(part, out)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert counts["mentions"] == len(lines)
    return slugs, lines


def test_real_prediction_contract(engine: Engine, real_preds: Any) -> None:
    corpus = engine.corpus
    slugs, lines = real_preds
    expected = {m.mention_id: m for s in slugs for m in corpus.blocks[s]}
    ids = [x["mention_id"] for x in lines]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == set(expected)
    for x in lines:
        assert set(x) == {"mention_id", "person", "confidence"}
        paper_id, pos = re.fullmatch(r"(.+)#(\d+)", x["mention_id"]).groups()  # type: ignore[union-attr]
        author = corpus.papers[paper_id].authors[int(pos)]
        assert author.mention_id == x["mention_id"] and author.position == int(pos)
        assert isinstance(x["confidence"], float) and 0.0 <= x["confidence"] <= 1.0


def test_real_hard_constraints_and_keys(engine: Engine, real_preds: Any) -> None:
    corpus = engine.corpus
    slugs, lines = real_preds
    person = {x["mention_id"]: x["person"] for x in lines}
    checked = {"must": 0, "cannot": 0, "id_key": 0, "hash_key": 0}
    for slug in slugs:
        ms = corpus.blocks[slug]
        uf = DisjointSet()
        ident: dict[str, tuple[str | None, str | None]] = {}
        for m in ms:
            pid = corpus.explicit_id(m)
            reg = corpus.persons.get(pid or "")
            orcid = m.orcid or (reg.orcid if reg else None)
            ident[m.mention_id] = (pid, orcid)
            uf.add(m.mention_id)
            for key in (f"id:{pid}" if pid else None, f"orcid:{orcid}" if orcid else None):
                if key:
                    uf.add(key)
                    uf.merge(m.mention_id, key)
        members: dict[str, list[str]] = defaultdict(list)
        for m in ms:
            members[person[m.mention_id]].append(m.mention_id)
        for i, a in enumerate(ms):
            for b in ms[i + 1 :]:
                same_evidence = uf.connected(a.mention_id, b.mention_id)
                if same_evidence:  # must-link: shared id or ORCID
                    assert person[a.mention_id] == person[b.mention_id], (a, b)
                    checked["must"] += 1
                    continue
                (ida, oa), (idb, ob) = ident[a.mention_id], ident[b.mention_id]
                if (
                    a.paper_id == b.paper_id
                    or (ida and idb and ida != idb)
                    or (oa and ob and oa != ob)
                ):  # cannot-link
                    assert person[a.mention_id] != person[b.mention_id], (a, b)
                    checked["cannot"] += 1
        for key, mids in members.items():
            explicit = {ident[m][0] for m in mids} - {None}
            if len(explicit) == 1:
                assert key == explicit.pop()
                checked["id_key"] += 1
            elif not explicit:
                anchor = min(mids)
                assert key == f"{slug}/{hashlib.sha1(anchor.encode()).hexdigest()[:8]}"
                checked["hash_key"] += 1
    assert all(checked.values()), checked  # each rule was exercised on real data
