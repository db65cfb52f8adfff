"""`byline split`: for one name, how many people and which papers belong to each."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from byline.engine import BlockResult, Engine
from byline.errors import BylineError
from byline.names import name_slug
from byline.store.corpus import Corpus
from byline.store.predictions import save_predictions


class UnknownName(BylineError):
    def __init__(self, query: str, suggestions: list[str]) -> None:
        self.query = query
        self.suggestions = suggestions
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"no author named {query!r} in the library{hint}")


@dataclass
class PaperRow:
    mention_id: str
    paper_id: str
    title: str
    year: int | None
    venue: str
    affiliation: str | None
    coauthors: list[str]
    confidence: float
    url: str


@dataclass
class PersonSummary:
    person: str
    papers: list[PaperRow]
    years: tuple[int, int] | None
    top_coauthors: list[tuple[str, int]]
    affiliations: list[tuple[str, int]]
    venues: list[tuple[str, int]]
    orcids: list[str]
    explicit_ids: list[str]
    confidence: float = field(default=1.0)


def display_names(corpus: Corpus) -> dict[str, str]:
    """The most frequent spelling of each name slug."""
    out = {}
    for slug, ms in corpus.blocks.items():
        out[slug] = Counter(m.full_name for m in ms).most_common(1)[0][0]
    return out


def resolve_name(corpus: Corpus, query: str, limit: int = 5) -> str:
    """A name ("Yang Liu") or slug ("yang-liu") to the block slug; UnknownName otherwise."""
    q = query.strip()
    for cand in (q, name_slug(q, "")):
        if cand in corpus.blocks:
            return cand
    names = display_names(corpus)
    choices = {slug: f"{name} ({slug})" for slug, name in names.items()}
    hits = process.extract(q, {s: names[s] for s in names}, scorer=fuzz.WRatio, limit=limit)
    raise UnknownName(query, [choices[h[2]] for h in hits])


def summarize(result: BlockResult, corpus: Corpus) -> list[PersonSummary]:
    """Per inferred person: papers with confidence and the evidence a maintainer reads."""
    persons = []
    for key, idx in result.groups().items():
        rows = []
        co: Counter[str] = Counter()
        aff: Counter[str] = Counter()
        ven: Counter[str] = Counter()
        orcids, ids = set(), set()
        for i in idx:
            m = result.mentions[i]
            p = corpus.papers[m.paper_id]
            others = [a.full_name for a in p.authors if a.position != m.position]
            co.update(others)
            if m.affiliation:
                aff[m.affiliation] += 1
            venue = p.venues[0] if p.venues else p.paper_id.split("-")[0]
            ven[venue] += 1
            if m.orcid:
                orcids.add(m.orcid)
            if pid := corpus.explicit_id(m):
                ids.add(pid)
            rows.append(
                PaperRow(
                    mention_id=m.mention_id,
                    paper_id=p.paper_id,
                    title=p.title,
                    year=p.year,
                    venue=venue,
                    affiliation=m.affiliation,
                    coauthors=others,
                    confidence=round(float(result.confidence[i]), 4),
                    url=f"https://aclanthology.org/{p.paper_id}/",
                )
            )
        rows.sort(key=lambda r: (-(r.year or 0), r.paper_id))
        years = [r.year for r in rows if r.year]
        persons.append(
            PersonSummary(
                person=key,
                papers=rows,
                years=(min(years), max(years)) if years else None,
                top_coauthors=co.most_common(5),
                affiliations=aff.most_common(3),
                venues=ven.most_common(3),
                orcids=sorted(orcids),
                explicit_ids=sorted(ids),
                confidence=round(sum(r.confidence for r in rows) / len(rows), 4),
            )
        )
    persons.sort(key=lambda s: (-len(s.papers), s.person))
    return persons


def summaries_json(slug: str, name: str, persons: list[PersonSummary]) -> str:
    return json.dumps(
        {"name": name, "slug": slug, "persons": [asdict(p) for p in persons]},
        ensure_ascii=False,
        indent=2,
    )


_WORKER_ENGINE: Engine | None = None
Row = tuple[str, str, str, float]


def _init_worker() -> None:
    # the forked child must not share the parent's database connections
    if _WORKER_ENGINE is not None and _WORKER_ENGINE.store is not None:
        _WORKER_ENGINE.store.dispose(close=False)


def _split_chunk(slugs: list[str]) -> list[tuple[str, list[Row]]]:
    assert _WORKER_ENGINE is not None
    out = []
    for slug in slugs:
        res = _WORKER_ENGINE.split_block(slug)
        out.append(
            (
                slug,
                [
                    (m.mention_id, slug, key, float(conf))
                    for m, key, conf in zip(res.mentions, res.keys, res.confidence, strict=True)
                ],
            )
        )
    return out


def _split_sequential(engine: Engine, slugs: list[str]) -> Iterator[tuple[str, list[Row]]]:
    global _WORKER_ENGINE
    _WORKER_ENGINE = engine
    try:
        for slug in slugs:
            yield from _split_chunk([slug])
    finally:
        _WORKER_ENGINE = None


def _split_parallel(
    engine: Engine, slugs: list[str], workers: int, chunk: int = 400
) -> Iterator[tuple[str, list[Row]]]:
    """Blocks are independent: split them in forked workers that share the loaded engine
    (copy-on-write), results in the input order."""
    global _WORKER_ENGINE
    _WORKER_ENGINE = engine
    chunks = [slugs[i : i + chunk] for i in range(0, len(slugs), chunk)]
    try:
        with mp.get_context("fork").Pool(workers, initializer=_init_worker) as pool:
            for done in pool.imap(_split_chunk, chunks):
                yield from done
    finally:
        _WORKER_ENGINE = None


def split_all(
    engine: Engine,
    out: Path,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
) -> dict[str, float]:
    """Split every block and write one JSON line per mention (the prediction contract).

    ``workers`` processes split the blocks (default: one per CPU core; 1 = in this
    process). Written to a temporary file and renamed at the end: an interrupted run
    leaves no half-written prediction file behind.
    """
    slugs = sorted(engine.corpus.blocks)
    workers = workers or os.cpu_count() or 1
    t0 = time.perf_counter()
    engine.prepare(slugs, progress=lambda d, n: progress and progress("embed", d, n))
    t1 = time.perf_counter()
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    persons = mentions = 0
    rows: list[Row] = []
    results = (
        _split_parallel(engine, slugs, workers)
        if workers > 1 and "fork" in mp.get_all_start_methods()
        else _split_sequential(engine, slugs)
    )
    with open(tmp, "w", encoding="utf-8") as fh:
        for i, (_slug, block_rows) in enumerate(results):
            for mention_id, _s, key, conf in block_rows:
                fh.write(
                    json.dumps(
                        {"mention_id": mention_id, "person": key, "confidence": round(conf, 4)}
                    )
                    + "\n"
                )
            rows.extend(block_rows)
            persons += len({r[2] for r in block_rows})
            mentions += len(block_rows)
            if progress:
                progress("split", i + 1, len(slugs))
    tmp.replace(out)
    if engine.store is not None:
        version = engine.model.version if engine.model else ""
        save_predictions(engine.store, rows, version)
    return {
        "names": len(slugs),
        "persons": persons,
        "mentions": mentions,
        "workers": workers,
        "embed_seconds": round(t1 - t0, 1),
        "cluster_seconds": round(time.perf_counter() - t1, 1),
    }
