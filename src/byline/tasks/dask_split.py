"""`byline split --all --dask ADDRESS`: the blocks split on a Dask distributed cluster.

Names are independent, so the run is plain data parallelism over batches of names:

- The driver (this process) loads the library, embeds every paper of a name with 2+
  mentions in one batch (reading the store's cache, writing what it computes) and ships
  what every batch needs once per worker (``client.scatter(..., broadcast=True)``): the
  registry, the pairwise model and the maintainers' decisions, a few MB whatever the
  library's size. The SQLAlchemy engine does not pickle: each worker opens the store
  itself, by the ``--db`` URL, once per process.
- A task is a batch of names (400 by default) with its own share of the library
  (:class:`BatchShare`): the papers of its mentions, the library statistics restricted to
  them, its mentions' last predictions and the title vectors it reads. So a worker holds
  only the batches it splits, never the whole library, and what crosses the network does
  not grow with the number of workers (shares overlap, so it is several times the library).
  The driver sends a share straight to a worker (``client.scatter(..., direct=True)``) and
  the task runs where it is; inside the task it would pass through the scheduler, which
  took each share in and passed it on (8–16% of the run at 1×, ``bench/dask_driver.py``).
  A worker never embeds (no torch
  model on the workers) and never writes to the store.
- The driver stores each batch's predictions the moment the batch arrives (one transaction
  per batch), so a lost worker or driver loses no result already stored, and writes the
  prediction file in ``split --all``'s order. A batch that fails, or whose share was lost
  with its worker, is tried again with a freshly cut share (``retries``); one that still
  fails is reported with its names and error, after every other batch has been stored.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.engine import make_url

import byline
from byline.engine import Engine
from byline.errors import BylineError
from byline.features.stats import LibraryStats
from byline.model import PairwiseModel
from byline.names import known_slugs
from byline.sources.records import Paper, Person
from byline.store import Store, connect
from byline.store.changed import changed_names
from byline.store.corpus import Corpus
from byline.store.decisions import DecidedState
from byline.store.predictions import predicted_slugs, save_predictions
from byline.tasks.split import Row, blocks_rows, prediction_line, settle_changed

if TYPE_CHECKING:
    from distributed import Client

LOCAL = "local"


@dataclass
class DaskOptions:
    """Where and how ``split --all --dask`` runs.

    Attributes:
        address: ``local`` (a LocalCluster on this machine) or a scheduler address
            (``tcp://host:8786``).
        workers: worker processes of a local cluster (default: one per CPU core); a
            scheduler's cluster has its own.
        batch: names per task.
        retries: further tries of a failed batch.
        timeout: seconds to wait for the scheduler and its first worker.
        processes: local workers are processes (False: threads of this process, for tests).
    """

    address: str
    workers: int | None = None
    batch: int = 400
    retries: int = 2
    timeout: float = 20.0
    processes: bool = True

    def __post_init__(self) -> None:
        if not self.address:
            raise BylineError("--dask takes a scheduler address (tcp://host:8786) or 'local'")
        if self.address != LOCAL and self.workers is not None:
            raise BylineError(
                f"--workers is for --dask local; the cluster at {self.address} has its own workers"
            )


@dataclass
class SharedState:
    """What every batch needs, shipped to each worker once: small, whatever the library.

    Attributes:
        persons: the registry (explicit ids, catch-alls).
        model: the pairwise model.
        decisions: the maintainers' decisions.
        use_embeddings: whether the title-embedding feature is on.
        db_url: the store, as the workers open it.
    """

    persons: dict[str, Person]
    model: PairwiseModel | None
    decisions: DecidedState | None
    use_embeddings: bool
    db_url: str


@dataclass
class BatchShare:
    """A batch's own share of the library, shipped with its task: what splitting its names
    reads, so that a worker never holds the whole library (:func:`batch_share`).

    Attributes:
        papers: the papers of the batch's mentions, in the library's order (without their
            abstracts: the split reads them only through the statistics' TF-IDF rows).
        stats: the library statistics restricted to them (:meth:`LibraryStats.restricted`).
        previous: the last stored person key of each of the batch's mentions.
        paper_ids, vectors: the title embeddings of the papers the split reads (rows in
            ``paper_ids``' order; names of one mention read none).
        names: (first, last, slug) of the papers' authors, so that the worker need not
            slugify them again.
    """

    papers: dict[str, Paper]
    stats: LibraryStats
    previous: dict[str, str]
    paper_ids: list[str]
    vectors: np.ndarray
    names: list[tuple[str, str, str]]


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def store_url(store: Store) -> str:
    """The store's URL as a worker must use it: password kept, a relative SQLite path made
    absolute (a local worker may start elsewhere)."""
    url = store.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        url = url.set(database=str(Path(url.database).resolve()))
    return url.render_as_string(hide_password=False)


# --------------------------------------------------------------------------- on a worker

_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def _worker_store(url: str) -> Store:
    """The store, opened once per worker process (its connections pooled, thread-safe)."""
    with _STORES_LOCK:
        store = _STORES.get(url)
        if store is None:
            store = _STORES[url] = connect(url, create=False)
        return store


def check_worker(url: str, version: str) -> str | None:
    """Run on every worker before the split: None, or why this worker cannot split."""
    if byline.__version__ != version:
        return f"it runs byline {byline.__version__}, the driver {version}"
    try:
        _worker_store(url)
    except Exception as exc:  # reported, one line per worker
        return f"cannot open the store: {_first_line(exc)}"
    return None


def peak_memory_mb() -> int:
    """This process's peak resident memory (MB) since it started: the kernel's high-water
    mark of its own address space (``VmHWM``), not ``ru_maxrss``, which a spawned worker
    inherits from the process it was forked from."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    import psutil  # a dependency of distributed

    return int(psutil.Process().memory_info().rss) // 2**20


def split_batch(
    state: SharedState, share: BatchShare, slugs: list[str]
) -> list[tuple[str, list[Row]]]:
    """Split a batch of names on a worker, from the batch's own share of the library; per
    name its stored-prediction rows."""
    known_slugs(share.names)
    engine = Engine(
        Corpus(papers=share.papers, persons=state.persons, abstracts=False),
        state.model,
        _worker_store(state.db_url),
        stats=share.stats,
        use_embeddings=state.use_embeddings,
        decisions=state.decisions,
        previous=share.previous,
    )
    engine.vectors.update(zip(share.paper_ids, share.vectors, strict=True))
    # the shared model compiles (or loads from this machine's cache) once per worker
    engine.fitted_model().compile()
    return blocks_rows(engine, slugs)


# --------------------------------------------------------------------------- the driver


@contextmanager
def dask_client(opts: DaskOptions) -> Iterator[Client]:
    """A client of the cluster ``opts.address`` names, with at least one worker; a
    LocalCluster started (and shut down) here for ``local``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover (a dependency)
        raise BylineError(
            "--dask needs the distributed package: pip install 'distributed>=2026.8,<2027'"
        ) from None
    if opts.address == LOCAL:
        n = opts.workers or os.cpu_count() or 1
        with (
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=opts.processes,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(opts.address, timeout=opts.timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BylineError(
            f"cannot reach the Dask scheduler at {opts.address} ({_first_line(exc)}); start "
            f"one (`dask scheduler`, then `dask worker {opts.address}` on each machine), or "
            "use --dask local"
        ) from None
    with client:
        try:
            client.wait_for_workers(1, timeout=opts.timeout)
        except TimeoutError:
            raise BylineError(
                f"the Dask scheduler at {opts.address} has no workers after "
                f"{opts.timeout:.0f}s; start some with `dask worker {opts.address}`"
            ) from None
        yield client


def _preflight(client: Client, url: str) -> int:
    """Every worker runs this byline and opens the store; returns how many workers."""
    answers = client.run(check_worker, url, byline.__version__)
    bad = {w: why for w, why in answers.items() if why}
    if bad:
        worker, why = sorted(bad.items())[0]
        where = make_url(url).render_as_string(hide_password=True)
        raise BylineError(
            f"{len(bad)} of {len(answers)} Dask workers cannot split (worker {worker}: {why}); "
            f"every worker needs this byline installed and the store {where} within reach "
            "(workers on other machines: a PostgreSQL store, --db postgresql+psycopg://...)"
        )
    return len(answers)


def batch_share(engine: Engine, slugs: list[str], order: dict[str, int]) -> BatchShare:
    """What splitting the names ``slugs`` reads of the driver's library (``order``: each
    paper's position in it, so that blocks list their mentions as the library does)."""
    corpus = engine.corpus
    ids = sorted({m.paper_id for s in slugs for m in corpus.blocks[s]}, key=order.__getitem__)
    wanted = {s for s in slugs if len(corpus.blocks[s]) > 1}  # names that read vectors
    read = [
        pid
        for pid in ids
        if pid in engine.vectors and any(m.slug in wanted for m in corpus.papers[pid].authors)
    ]
    papers = {pid: corpus.papers[pid] for pid in ids}
    if corpus.abstracts:  # (load_engine's corpus has none to copy away)
        # the abstracts stay home: a split reads them only through the statistics' TF-IDF rows
        papers = {pid: dataclasses.replace(p, abstract="") for pid, p in papers.items()}
    mention_ids = [m.mention_id for s in slugs for m in corpus.blocks[s]]
    return BatchShare(
        papers=papers,
        stats=engine.stats.restricted(corpus.papers[pid] for pid in ids),
        previous={m: engine.previous[m] for m in mention_ids if m in engine.previous},
        paper_ids=read,
        vectors=(
            np.stack([engine.vectors[p] for p in read])
            if read
            else np.zeros((0, 0), dtype=np.float32)
        ),
        names=sorted({(m.first, m.last, m.slug) for p in papers.values() for m in p.authors}),
    )


def split_on_dask(
    engine: Engine,
    out: Path,
    opts: DaskOptions,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """``split --all`` on a Dask cluster: the same prediction file and store rows as the
    local run, each batch's predictions stored as it arrives (see the module's doc)."""
    if engine.store is None:
        raise BylineError("split --dask needs a store (the workers open it by its URL)")
    store = engine.store
    slugs = sorted(engine.corpus.blocks)
    batches = [slugs[i : i + opts.batch] for i in range(0, len(slugs), opts.batch)]
    pending = changed_names(store)
    version = engine.model.version if engine.model else ""
    url = store_url(store)
    t0 = time.perf_counter()
    with dask_client(opts) as client:
        n_workers = _preflight(client, url)
        engine.prepare(slugs, progress=lambda d, n: progress and progress("embed", d, n))
        t1 = time.perf_counter()
        state = SharedState(
            persons=engine.corpus.persons,
            model=engine.model,
            decisions=engine.decisions,
            use_embeddings=engine.use_embeddings,
            db_url=url,
        )
        shared = client.scatter(state, broadcast=True, hash=False)
        t2 = time.perf_counter()
        result = _run_batches(client, engine, shared, batches, out, store, version, opts,
                              n_workers, progress)  # fmt: skip
        peaks = client.run(peak_memory_mb)
    failed = result["failed"]
    if failed:
        first_i, first_err = failed[0]
        names = batches[first_i]
        raise BylineError(
            f"{len(failed)} of {len(batches)} batches failed after {opts.retries + 1} tries "
            f"(first: names {names[0]} .. {names[-1]}: {first_err}); the other batches' "
            "predictions are stored, no prediction file was written; fix the cause and run "
            "`byline split --all` again"
        )
    gone = predicted_slugs(store) - set(slugs)
    if gone:
        save_predictions(store, [], version, slugs=gone)
    if pending:
        settle_changed(engine, pending, slugs)
    return {
        "names": len(slugs),
        "persons": result["persons"],
        "mentions": result["mentions"],
        "workers": n_workers,
        "dask": opts.address,
        "batches": len(batches),
        "worker_peak_memory_mb": max(peaks.values(), default=0),
        "embed_seconds": round(t1 - t0, 1),
        "ship_seconds": round(t2 - t1, 1),
        "cluster_seconds": round(time.perf_counter() - t2, 1),
    }


def _run_batches(
    client: Client,
    engine: Engine,
    shared: Any,
    batches: list[list[str]],
    out: Path,
    store: Store,
    version: str,
    opts: DaskOptions,
    n_workers: int,
    progress: Callable[[str, int, int], None] | None,
) -> dict[str, Any]:
    """Submit the batches (a bounded number in flight), store each as it arrives, write
    the prediction file in order; the failed batches' indices and errors."""
    from distributed import as_completed

    total = sum(len(b) for b in batches)
    window = max(4, 3 * n_workers)
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    arrived: dict[int, list[tuple[str, list[Row]]]] = {}
    failed: list[tuple[int, str]] = []
    written = names_done = persons = mentions = 0
    index: dict[str, int] = {}
    tries: dict[int, int] = {}

    order = {pid: k for k, pid in enumerate(engine.corpus.papers)}

    def submit(i: int) -> Any:
        # the share goes straight to a worker, not through the scheduler inside the task
        # (a few MB per batch the scheduler would otherwise take in and pass on); a try
        # that fails, or whose share was lost with its worker, gets a freshly cut share
        tries[i] = tries.get(i, 0) + 1
        share = client.scatter(batch_share(engine, batches[i], order), direct=True, hash=False)
        fut = client.submit(
            split_batch, shared, share, batches[i],
            pure=False, key=f"byline-split-{i}-{os.urandom(4).hex()}",
        )  # fmt: skip
        index[fut.key] = i
        return fut

    nxt = min(window, len(batches))
    queue = as_completed([submit(i) for i in range(nxt)], with_results=False)
    with open(tmp, "w", encoding="utf-8") as fh:
        for fut in queue:
            i = index.pop(fut.key)
            if nxt < len(batches):
                queue.add(submit(nxt))
                nxt += 1
            if fut.status != "finished":
                try:
                    err = _first_line(fut.exception())
                except BaseException as exc:  # cancelled: the scheduler lost it
                    err = _first_line(exc)
                fut.release()
                if tries[i] <= opts.retries:
                    queue.add(submit(i))
                else:
                    failed.append((i, err))
                continue
            done = fut.result()
            fut.release()
            rows = [r for _slug, block in done for r in block]
            save_predictions(store, rows, version, slugs=batches[i])
            arrived[i] = done
            names_done += len(batches[i])
            if progress:
                progress("split", names_done, total)
            while written in arrived:  # the file in split --all's order
                for _slug, block in arrived.pop(written):
                    fh.writelines(prediction_line(r) for r in block)
                    persons += len({r[2] for r in block})
                    mentions += len(block)
                written += 1
    if failed:
        tmp.unlink()
        failed.sort()
    else:
        tmp.replace(out)
    return {"failed": failed, "persons": persons, "mentions": mentions}
