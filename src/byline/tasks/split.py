"""`byline split`: for one name, how many people and which papers belong to each."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from byline.engine import BlockResult, Engine
from byline.errors import BylineError
from byline.features.batch import warm_features
from byline.names import name_slug
from byline.store.changed import ChangedNames, changed_names, clear_changed
from byline.store.corpus import Corpus
from byline.store.predictions import (
    load_prediction_rows,
    predictions_by_model,
    save_predictions,
)

if TYPE_CHECKING:
    from byline.tasks.dask_split import DaskOptions


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
# (mention_id, slug, person, confidence): a stored prediction
Row = tuple[str, str, str, float]


def result_rows(res: BlockResult) -> list[Row]:
    """A split block's stored-prediction rows, in the block's mention order."""
    return [
        (m.mention_id, res.slug, key, float(conf))
        for m, key, conf in zip(res.mentions, res.keys, res.confidence, strict=True)
    ]


def block_rows(engine: Engine, slug: str) -> list[Row]:
    """Split one block (:meth:`Engine.split_block`, all pairs: the reference path); its
    stored-prediction rows, in the block's mention order."""
    return result_rows(engine.split_block(slug))


def blocks_rows(engine: Engine, slugs: list[str]) -> list[tuple[str, list[Row]]]:
    """Split blocks together (:meth:`Engine.split_blocks`: the same rows as
    :func:`block_rows`, one feature pass and one model call for all; a giant block on
    candidate pairs); per name its stored-prediction rows."""
    return [(res.slug, result_rows(res)) for res in engine.split_blocks(slugs)]


def prediction_line(row: Row) -> str:
    """One line of the prediction contract (JSON, newline included)."""
    mention_id, _slug, key, conf = row
    return (
        json.dumps({"mention_id": mention_id, "person": key, "confidence": round(conf, 4)}) + "\n"
    )


CHUNK = 400  # names split together (one feature pass, one model call)


def _init_worker() -> None:
    # the forked child must not share the parent's database connections
    if _WORKER_ENGINE is not None and _WORKER_ENGINE.store is not None:
        _WORKER_ENGINE.store.dispose(close=False)


def _split_chunk(slugs: list[str]) -> list[tuple[str, list[Row]]]:
    assert _WORKER_ENGINE is not None
    return blocks_rows(_WORKER_ENGINE, slugs)


def _split_sequential(
    engine: Engine, slugs: list[str], chunk: int = CHUNK
) -> Iterator[tuple[str, list[Row]]]:
    global _WORKER_ENGINE
    _WORKER_ENGINE = engine
    try:
        for i in range(0, len(slugs), chunk):
            yield from _split_chunk(slugs[i : i + chunk])
    finally:
        _WORKER_ENGINE = None


def _split_parallel(
    engine: Engine, slugs: list[str], workers: int, chunk: int = CHUNK
) -> Iterator[tuple[str, list[Row]]]:
    """Blocks are independent: split them in forked workers that share the loaded engine
    (copy-on-write), results in the input order."""
    global _WORKER_ENGINE
    _WORKER_ENGINE = engine
    warm_features(engine.stats)  # built once here, shared by the workers
    chunks = [slugs[i : i + chunk] for i in range(0, len(slugs), chunk)]
    try:
        with mp.get_context("fork").Pool(workers, initializer=_init_worker) as pool:
            for done in pool.imap(_split_chunk, chunks):
                yield from done
    finally:
        _WORKER_ENGINE = None


def _split_local(engine: Engine, slugs: list[str], workers: int) -> Iterator[tuple[str, list[Row]]]:
    """The blocks' rows in the order of ``slugs``: in forked workers, or in this process.
    More than one batch of names is predicted by the compiled forest (compiled or loaded
    once here, before the workers fork; :meth:`BoosterModel.compile`)."""
    if len(slugs) > CHUNK:
        engine.fitted_model().compile()
    if workers > 1 and len(slugs) > 1 and "fork" in mp.get_all_start_methods():
        return _split_parallel(engine, slugs, workers)
    return _split_sequential(engine, slugs)


def _model_version(engine: Engine) -> str:
    return engine.model.version if engine.model else ""


def split_all(
    engine: Engine,
    out: Path,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
    dask: DaskOptions | None = None,
) -> dict[str, Any]:
    """Split every block and write one JSON line per mention (the prediction contract).

    ``workers`` processes split the blocks (default: one per CPU core; 1 = in this
    process); with ``dask``, the workers of a Dask cluster do (see
    :func:`byline.tasks.dask_split.split_on_dask`, same file and store rows). Written to a
    temporary file and renamed at the end: an interrupted run leaves no half-written
    prediction file behind. The store's predictions are replaced by this run's, and the
    names an ingest recorded as changed (:mod:`byline.store.changed`) are cleared.
    """
    if dask is not None:
        from byline.tasks.dask_split import split_on_dask

        return split_on_dask(engine, out, dask, progress=progress)
    slugs = sorted(engine.corpus.blocks)
    pending = changed_names(engine.store) if engine.store is not None else None
    workers = workers or os.cpu_count() or 1
    t0 = time.perf_counter()
    engine.prepare(slugs, progress=lambda d, n: progress and progress("embed", d, n))
    t1 = time.perf_counter()
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    persons = mentions = 0
    kept: list[tuple[str, list[str], array[float]]] = []
    with open(tmp, "w", encoding="utf-8") as fh:
        for i, (slug, block) in enumerate(_split_local(engine, slugs, workers)):
            fh.writelines(prediction_line(r) for r in block)
            kept.append(_kept_rows(engine, slug, block))
            persons += len({r[2] for r in block})
            mentions += len(block)
            if progress:
                progress("split", i + 1, len(slugs))
    tmp.replace(out)
    if engine.store is not None:
        save_predictions(engine.store, _stored_rows(engine, kept), _model_version(engine))
        if pending:
            settle_changed(engine, pending, slugs)
    return {
        "names": len(slugs),
        "persons": persons,
        "mentions": mentions,
        "workers": workers,
        "embed_seconds": round(t1 - t0, 1),
        "cluster_seconds": round(time.perf_counter() - t1, 1),
    }


def _kept_rows(engine: Engine, slug: str, block: list[Row]) -> tuple[str, list[str], array[float]]:
    """A block's rows as ``split --all`` keeps them until they are stored: the keys (one
    string per person) and confidences, without the mention ids, which the corpus gives
    again (:func:`_stored_rows`): a tenth of the memory on a large library."""
    mentions = engine.corpus.blocks[slug]
    if len(block) != len(mentions) or (block and block[0][0] != mentions[0].mention_id):
        raise BylineError(f"{slug}: the split's rows are not in the corpus's mention order")
    return slug, [r[2] for r in block], array("d", (r[3] for r in block))


def _stored_rows(engine: Engine, kept: list[tuple[str, list[str], array[float]]]) -> Iterator[Row]:
    for slug, keys, confidences in kept:
        for m, key, conf in zip(engine.corpus.blocks[slug], keys, confidences, strict=True):
            yield m.mention_id, slug, key, conf


def settle_changed(engine: Engine, pending: ChangedNames, split: Iterable[str]) -> int:
    """Clear the pending changed names this run caught up with: those it split, and those
    with no mention left (their predictions are gone)."""
    assert engine.store is not None
    done = set(split)
    caught = [s for s in pending.slugs if s in done or s not in engine.corpus.blocks]
    return clear_changed(engine.store, caught, pending.seq)


def split_changed(
    engine: Engine,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
    out: Path | None = None,
) -> dict[str, Any]:
    """Split again only the names ``byline ingest`` recorded as changed since the last split.

    Their stored predictions are replaced (a name with no mention left loses them); every
    other name's stay as they are, and so do the keys of the persons of changed names, as
    far as their mentions still vote for them (:func:`byline.engine.keys.assign_keys`). The
    record is cleared for the names split. With ``out``, the whole library's stored
    predictions are written there, in ``split --all``'s order.
    """
    if engine.store is None:
        raise BylineError("split --changed needs a store (the names an ingest changed)")
    pending = changed_names(engine.store)
    present = [s for s in pending.slugs if s in engine.corpus.blocks]
    gone = [s for s in pending.slugs if s not in engine.corpus.blocks]
    workers = workers or os.cpu_count() or 1
    t0 = time.perf_counter()
    engine.prepare(present, progress=lambda d, n: progress and progress("embed", d, n))
    t1 = time.perf_counter()
    rows: list[Row] = []
    persons = 0
    for i, (_slug, block) in enumerate(_split_local(engine, present, workers)):
        rows.extend(block)
        persons += len({r[2] for r in block})
        if progress:
            progress("split", i + 1, len(present))
    t2 = time.perf_counter()
    if pending:
        save_predictions(engine.store, rows, _model_version(engine), slugs=pending.slugs)
        settle_changed(engine, pending, present)
    moved = sum(1 for m, _s, key, _c in rows if engine.previous.get(m) not in (None, key))
    new = sum(1 for m, *_ in rows if m not in engine.previous)
    if out is not None:
        write_stored(engine, out)
    # the other names keep what an earlier model said (after an upgrade): say so
    version = _model_version(engine)
    others = {v: n for v, n in predictions_by_model(engine.store).items() if v != version}
    return {
        "model_version": version,
        "predictions_of_other_models": sum(others.values()),
        "other_model_versions": sorted(others),
        "names": len(present),
        "names_gone": len(gone),
        "persons": persons,
        "mentions": len(rows),
        "mentions_new": new,
        "mentions_moved": moved,
        "workers": workers,
        "embed_seconds": round(t1 - t0, 1),
        "cluster_seconds": round(t2 - t1, 1),
    }


def write_stored(engine: Engine, out: Path) -> int:
    """Write the store's predictions of every mention as the prediction file, in
    ``split --all``'s order (names sorted, mentions as the corpus orders them); a mention
    without a stored prediction is an error (run ``split --all``)."""
    assert engine.store is not None
    stored = load_prediction_rows(engine.store)
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        for slug in sorted(engine.corpus.blocks):
            for m in engine.corpus.blocks[slug]:
                if m.mention_id not in stored:
                    fh.close()
                    tmp.unlink()
                    raise BylineError(
                        f"{m.mention_id} ({slug}) has no stored prediction; run "
                        "`byline split --all` to write the prediction file"
                    )
                key, conf = stored[m.mention_id]
                fh.write(prediction_line((m.mention_id, slug, key, conf)))
                n += 1
    tmp.replace(out)
    return n
