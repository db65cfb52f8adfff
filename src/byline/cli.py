"""Command line: a thin shell over the tasks (`byline --help`)."""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from byline.errors import BylineError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="byline: puts every paper of a scholarly library under the right person.",
)
console = Console(stderr=True, soft_wrap=True)
out = Console()

DEFAULT_DATA = Path("../shared/anthology/acl-anthology-data-2025-11.tar.gz")
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Store URL (default: BYLINE_DB or sqlite:///.byline/byline.sqlite)"),
]
ModelOpt = Annotated[Path | None, typer.Option("--model", help="Model file (default: shipped)")]


@contextmanager
def _progress(enabled: bool = True):  # type: ignore[no-untyped-def]
    """Yields a callback(stage, done, total) drawing one Rich bar per stage."""
    if not enabled:
        yield lambda *_: None
        return
    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def cb(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield cb


def _fail(exc: BylineError) -> None:
    console.print(f"[red]error:[/red] {exc}", highlight=False)
    raise typer.Exit(1)


@app.command()
def ingest(
    path: Annotated[
        Path, typer.Argument(help="Anthology data/ folder or its .tar.gz")
    ] = DEFAULT_DATA,
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Read an Anthology data folder into the store (only what changed since last time)."""
    from byline.store import connect
    from byline.store.ingest import ingest as run
    from byline.store.migrate import schema_version

    try:
        if not path.exists():
            raise BylineError(
                f"{path}: no such file or folder; pass an Anthology data/ folder or its .tar.gz"
            )
        engine = connect(db)
        t = time.perf_counter()
        with _progress(not as_json) as cb:
            report = run(engine, path, progress=lambda d, n: cb("ingest", d, n))
    except BylineError as exc:
        _fail(exc)
    secs = time.perf_counter() - t
    data = {
        "layout": report.layout,
        "files": report.files_total,
        "files_changed": len(report.files_changed),
        "files_removed": len(report.files_removed),
        "registry_changed": report.registry_changed,
        "papers_written": report.papers_written,
        "mentions_written": report.mentions_written,
        "seconds": round(secs, 1),
        "schema": schema_version(engine),  # the store's schema revision
    }
    if as_json:
        out.print_json(json.dumps(data))
    elif report.changed:
        console.print(
            f"ingested {path} ({report.layout} layout): {len(report.files_changed)} "
            f"changed files, {report.papers_written} papers, "
            f"{report.mentions_written} author mentions in {secs:.0f}s"
        )
    else:
        console.print(f"{path}: nothing changed since the last ingest")


def _engine(db: str | None, model_path: Path | None, changed_only: bool = False):  # type: ignore[no-untyped-def]
    from byline.engine import load_engine

    return load_engine(db, model_path, changed_only=changed_only)


def _show_persons(name: str, slug: str, persons: list) -> None:  # type: ignore[type-arg]
    from byline.engine.confidence import LOW_CONFIDENCE

    out.print(
        f"[bold]{name}[/bold] ({slug}): {len(persons)} "
        f"{'person' if len(persons) == 1 else 'persons'} inferred"
    )
    for p in persons:
        ids = ", ".join(p.explicit_ids + [f"ORCID {o}" for o in p.orcids]) or "-"
        years = f"{p.years[0]}–{p.years[1]}" if p.years else "?"
        table = Table(
            title=f"{p.person}: {len(p.papers)} papers, {years}, id: {ids}",
            title_justify="left",
            show_lines=False,
            expand=False,
        )
        table.add_column("conf", justify="right")
        table.add_column("year")
        table.add_column("paper")
        table.add_column("title", overflow="fold", max_width=60)
        for r in p.papers:
            style = "yellow" if r.confidence < LOW_CONFIDENCE else None
            table.add_row(
                f"{r.confidence:.2f}", str(r.year or ""), r.paper_id, r.title, style=style
            )
        out.print(table)
        co = ", ".join(f"{n} ({c})" for n, c in p.top_coauthors) or "-"
        aff = "; ".join(f"{a} ({c})" for a, c in p.affiliations) or "-"
        ven = ", ".join(f"{v} ({c})" for v, c in p.venues)
        out.print(f"  co-authors: {co}\n  affiliations: {aff}\n  venues: {ven}\n", highlight=False)


@app.command()
def split(
    name: Annotated[str | None, typer.Argument(help='A name ("Yang Liu") or slug')] = None,
    all_: Annotated[bool, typer.Option("--all", help="Split every name of the library")] = False,
    changed: Annotated[
        bool,
        typer.Option(
            "--changed",
            help="Split only the names the ingests since the last split changed "
            "(everyone else's predictions stay as stored)",
        ),
    ] = False,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="JSONL output for --all (default preds.jsonl); with --changed, the whole "
            "library's stored predictions",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes for --all/--changed, or for --dask local (default: one per CPU core)",
            min=1,
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            help="Run --all on a Dask cluster: a scheduler address (tcp://host:8786) or "
            "'local' (a LocalCluster of --workers processes); workers open the store by --db",
        ),
    ] = None,
    db: DbOpt = None,
    model: ModelOpt = None,
) -> None:
    """How many people hide behind a name, and which papers belong to each."""
    from byline.engine import remember
    from byline.tasks.split import (
        resolve_name,
        split_all,
        split_changed,
        summaries_json,
        summarize,
    )

    if sum((bool(name), all_, changed)) != 1:
        console.print("[red]error:[/red] give a NAME, or --all --out FILE, or --changed")
        raise typer.Exit(2)
    if dask is not None and not all_:
        console.print("[red]error:[/red] --dask runs --all")
        raise typer.Exit(2)
    try:
        dask_opts = None
        if dask is not None:
            from byline.tasks.dask_split import DaskOptions

            dask_opts = DaskOptions(address=dask.strip(), workers=workers)
        t_load = time.perf_counter()
        engine = _engine(db, model, changed_only=changed)
        load_seconds = round(time.perf_counter() - t_load, 1)
        if all_ or changed:
            target = (out_path or Path("preds.jsonl")) if all_ else out_path
            t = time.perf_counter()
            with _progress(not as_json) as cb:
                if all_:
                    assert target is not None
                    counts = split_all(engine, target, progress=cb, workers=workers, dask=dask_opts)
                else:
                    counts = split_changed(engine, progress=cb, workers=workers, out=target)
            counts["load_seconds"] = load_seconds
            counts["seconds"] = round(time.perf_counter() - t, 1)
            if as_json:
                out.print_json(json.dumps(counts))
            elif all_:
                console.print(
                    f"wrote {target}: {counts['mentions']} mentions of "
                    f"{counts['names']} names in {counts['persons']} persons "
                    f"({counts['seconds']}s)"
                )
            elif counts["names"] or counts["names_gone"]:
                console.print(
                    f"split {counts['names']} changed names again: {counts['mentions']} "
                    f"mentions in {counts['persons']} persons ({counts['mentions_new']} new, "
                    f"{counts['mentions_moved']} moved to another person"
                    + (f", {counts['names_gone']} names gone" if counts["names_gone"] else "")
                    + f"; {counts['seconds']}s)"
                    + (f"; wrote {target}" if target else "")
                )
            else:
                console.print(
                    "no name changed since the last split" + (f"; wrote {target}" if target else "")
                )
            if changed and counts["predictions_of_other_models"] and not as_json:
                console.print(
                    f"[yellow]note:[/yellow] {counts['predictions_of_other_models']} stored "
                    "predictions of other names come from "
                    f"{', '.join(counts['other_model_versions'])}, not from the model in use "
                    f"({counts['model_version']}); `byline split --all` splits every name with it"
                )
            return
        assert name is not None
        slug = resolve_name(engine.corpus, name)
        result = engine.split_blocks([slug])[0]  # a giant name on candidate pairs
        remember(engine, [result])
        persons = summarize(result, engine.corpus)
        shown = result.mentions[0].full_name
        if as_json:
            sys.stdout.write(summaries_json(slug, shown, persons) + "\n")
        else:
            _show_persons(shown, slug, persons)
    except BylineError as exc:
        _fail(exc)


@app.command()
def train(
    fit_pairwise: Annotated[
        bool, typer.Option("--pairwise", help="Fit the pairwise model")
    ] = False,
    fit_merge: Annotated[bool, typer.Option("--merge", help="Fit the merge model")] = False,
    fit_audit: Annotated[bool, typer.Option("--audit", help="Fit the audit calibration")] = False,
    db: DbOpt = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", help="Pairwise model to fit for, without --pairwise (default: shipped)"
        ),
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Pairwise model file to write (default: shipped)")
    ] = None,
    merge_out: Annotated[
        Path | None,
        typer.Option("--merge-out", help="Merge model file to write (default: shipped)"),
    ] = None,
    calibration_out: Annotated[
        Path | None,
        typer.Option("--calibration-out", help="Audit calibration to write (default: shipped)"),
    ] = None,
    metrics: Annotated[Path, typer.Option(help="Metrics file of the pairwise model")] = Path(
        "bench/results/train-metrics.json"
    ),
    seed: Annotated[int, typer.Option(help="Random seed")] = 13,
    embedder: Annotated[
        str | None,
        typer.Option(
            help="Title embedder of the pairwise model's embedding feature: static (distilled "
            "from the packaged MiniLM, about 70x faster, a little less accurate) or minilm (the "
            "transformer; the default)"
        ),
    ] = None,
) -> None:
    """Fit byline's models on train blocks (all of them unless some are picked): the pairwise
    model (thresholds tuned on dev), the merge model (threshold tuned on dev) and the audit
    calibration, the last two for the pairwise model just fitted (else --model)."""
    from byline.features.embeddings import DEFAULT_EMBEDDER, get_embedder
    from byline.model import (
        PairwiseModel,
        default_calibration_path,
        default_merge_model_path,
        default_model_path,
    )
    from byline.store import connect
    from byline.store.corpus import load_corpus

    if not (fit_pairwise or fit_merge or fit_audit):
        fit_pairwise = fit_merge = fit_audit = True
    try:
        if embedder is not None:
            get_embedder(embedder)  # an unknown name fails before anything is loaded
        store = connect(db, create=False)
        corpus = load_corpus(store)
        if fit_pairwise:
            from byline.training.pairwise import train as run

            with _progress() as cb:
                pair, m = run(
                    corpus,
                    store,
                    out_path or default_model_path(),
                    metrics,
                    seed,
                    cb,
                    embedder=embedder or DEFAULT_EMBEDDER,
                )
            d = m["dev_at_threshold"]
            console.print(
                f"model {pair.version}: {m['train_pairs']} pairs from {m['train_blocks']} "
                f"train blocks; thresholds link={pair.link_threshold} merge={pair.threshold}; "
                f"dev B³ F1 ambiguous {d['ambiguous_b3_f1']:.3f}, all {d['all_b3_f1']:.3f}"
            )
        else:
            pair = PairwiseModel.load(model)
        if fit_merge:
            from byline.tasks.merge import training_candidates
            from byline.training.merge import train as run_merge

            path = merge_out or default_merge_model_path()
            with _progress() as cb:
                mm, mm_m = run_merge(
                    corpus, store, training_candidates, pair, path, seed, progress=cb
                )
            dev = mm_m["dev_at_threshold"]
            console.print(
                f"merge model {mm.version}: {mm_m['train_pairs']} train pairs "
                f"({mm_m['train_positives']} one person); threshold {mm.threshold}; dev links "
                f"precision {dev['precision']:.3f}, recall {dev['recall']:.3f}; written {path}"
            )
        if fit_audit:
            from byline.tasks.audit import page_signals
            from byline.training.audit import train as run_audit

            path = calibration_out or default_calibration_path()
            with _progress() as cb:
                cal, info = run_audit(corpus, store, pair, page_signals, path, seed, cb)
            console.print(
                f"audit calibration for {cal.model_version} ({cal.model_fingerprint}): "
                f"{info['page_rows']} train pages ({info['page_positives']} with 2+ people), "
                f"{info['paper_rows']} gold mentions; written {path}"
            )
    except BylineError as exc:
        _fail(exc)


@app.command("eval")
def evaluate(
    partition: Annotated[
        str, typer.Option("--split", help="Benchmark partition: dev or test")
    ] = "dev",
    db: DbOpt = None,
    model: ModelOpt = None,
    s2and: Annotated[
        bool, typer.Option(help="Run the S2AND peer (needs bench/setup_s2and.sh)")
    ] = True,
    results: Annotated[Path, typer.Option(help="Folder for the figures")] = Path("bench/results"),
) -> None:
    """Benchmark on dev or test blocks (gold hidden), byline beside its peers."""
    from byline.evaluation.run import markdown_table, run_eval, write_result
    from byline.model import PairwiseModel
    from byline.store import connect

    try:
        store = connect(db, create=False)
        with _progress() as cb:
            result = run_eval(
                store, partition, PairwiseModel.load(model), with_s2and=s2and, progress=cb
            )
    except BylineError as exc:
        _fail(exc)
    path = write_result(result, results)
    out.print(markdown_table(result))
    console.print(f"figures written to {path}")


@app.command()
def serve(
    db: DbOpt = None,
    model: ModelOpt = None,
    host: Annotated[str, typer.Option(help="Address to bind (default: this machine only)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(help="Maintainers log in with this token (default: BYLINE_TOKEN, or none)"),
    ] = None,
) -> None:
    """The review page: maintainers check byline's persons and record their decisions."""
    import os

    import uvicorn

    from byline.web.app import create_app

    token = token or os.environ.get("BYLINE_TOKEN") or None
    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        console.print(
            f"[yellow]warning:[/yellow] serving on {host} without --token: anyone who reaches "
            "it can record decisions"
        )
    try:
        t = time.perf_counter()
        console.print("loading the library, its statistics and the model ...")
        web = create_app(db, token, model_path=model)
    except BylineError as exc:
        _fail(exc)
    console.print(
        f"ready in {time.perf_counter() - t:.0f}s: http://{host}:{port}/"
        + (" (login token required)" if token else "")
    )
    uvicorn.run(web, host=host, port=port, log_level="warning")


@app.command()
def assign(
    path: Annotated[Path, typer.Argument(help="New papers: .jsonl, .bib or Anthology .xml")],
    kind: Annotated[
        str | None, typer.Option("--kind", help="jsonl, bibtex or xml (default: from the file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per mention")] = False,
    record_: Annotated[
        bool, typer.Option("--record", help="Store the assignments as decisions")
    ] = False,
    db: DbOpt = None,
    model: ModelOpt = None,
) -> None:
    """Put each author of new papers under an existing person or a new one (no re-split)."""
    from byline.sources.new_papers import read_new_papers
    from byline.tasks.assign import assign_papers, assignments_table, record_assignments

    try:
        papers = read_new_papers(path, kind)  # a bad file fails before the library loads
        engine = _engine(db, model)
        with _progress(not as_json) as cb:
            results = assign_papers(engine, papers, progress=cb)
        recorded = 0
        if record_:
            recorded = record_assignments(engine, results, note=f"byline assign {path}")
    except BylineError as exc:
        _fail(exc)
    if as_json:
        for r in results:
            sys.stdout.write(json.dumps(r.as_json(), ensure_ascii=False) + "\n")
    else:
        out.print(assignments_table(results))
        new = sum(r.new_person for r in results)
        console.print(
            f"{len(results)} author mentions of {len(papers)} papers: "
            f"{len(results) - new} to existing persons, {new} to new ones"
            + (f"; {recorded} decisions recorded" if record_ else "")
        )


@app.command("export")
def export_cmd(
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Anthology data/ folder or .tar.gz (default: the ingested)"),
    ] = None,
    to: Annotated[
        Path | None, typer.Option("--to", help="Write a changed copy of data/ to DIR/data")
    ] = None,
    patch: Annotated[
        Path | None, typer.Option("--patch", help="Write a unified diff (git apply / patch -p1)")
    ] = None,
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Write the maintainers' decisions as the Anthology's own change (ids + person entries)."""
    from byline.export import unified_patch, write_copy
    from byline.export.run import export_decisions
    from byline.store import connect

    if (to is None) == (patch is None):
        console.print("[red]error:[/red] give one of --to DIR or --patch FILE")
        raise typer.Exit(2)
    try:
        result = export_decisions(connect(db, create=False), data, DEFAULT_DATA)
        if patch is not None:
            patch.parent.mkdir(parents=True, exist_ok=True)
            patch.write_text(unified_patch(result), encoding="utf-8")
            written = str(patch)
        else:
            assert to is not None
            written = str(write_copy(result, to))
    except BylineError as exc:
        _fail(exc)
    summary = result.summary()
    summary["written"] = written
    if as_json:
        out.print_json(json.dumps(summary))
        return
    n_xml = len([f for f in summary["files_changed"] if f.startswith("xml/")])
    reg = "changed" if result.registry_path in result.files else "unchanged"
    console.print(
        f"{written}: {summary['ids_edited']} id= edits in {n_xml} collection files, "
        f"{result.registry_path} {reg} ({result.layout} layout, {summary['seconds']}s)",
        highlight=False,
    )
    for p in summary["persons"]:
        flags = [
            w
            for w, on in (
                ("new", p["new"]),
                ("catch-all", p["catch_all"]),
                ("disable_name_matching", p["disable_name_matching_set"]),
            )
            if on
        ]
        out.print(
            f"[bold]{p['id']}[/bold] ({p['name']}{', ' + ', '.join(flags) if flags else ''}): "
            f"+{len(p['papers_in'])} -{len(p['papers_out'])} papers"
            + (f", {p['kept_by_id']} kept by an explicit id" if p["kept_by_id"] else "")
        )
        for m in p["papers_in"]:
            out.print(f"  + {m['label']} {m['name']} (from {m['before']})", highlight=False)
        for m in p["papers_out"]:
            out.print(f"  - {m['label']} {m['name']} (to {m['after']})", highlight=False)


@app.command()
def merge(
    name: Annotated[
        str | None, typer.Option("--name", help="Only candidates involving this name")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Show the N best candidates")] = 20,
    apply: Annotated[
        bool, typer.Option("--apply", help="Record the accepted ones (shown) as decisions")
    ] = False,
    known: Annotated[
        bool, typer.Option("--include-known", help="Also pairs the registry already links")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    actor: Annotated[str, typer.Option(help="Who decides (recorded with --apply)")] = "cli",
    db: DbOpt = None,
    model: ModelOpt = None,
) -> None:
    """One person behind different names: ranked merge candidates with evidence."""
    from dataclasses import asdict

    from byline.model import MergeModel
    from byline.tasks.merge import candidates_table, merge_report

    try:
        engine = _engine(db, model)
        with _progress(not as_json) as cb:
            cands, written = merge_report(
                engine, MergeModel.load(), name, top, known, apply, actor, progress=cb
            )
    except BylineError as exc:
        _fail(exc)
    if as_json:
        data = {
            "candidates": [c.to_json() for c in cands],
            "decisions": [asdict(d) for d in written],
        }
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    if not engine.previous:
        console.print("no stored predictions: units are whole names (run `split --all` first)")
    out.print(candidates_table(cands))
    accepted = sum(c.accept for c in cands)
    if apply:
        console.print(f"recorded {len(written)} assign decisions for {accepted} accepted merges")
    else:
        console.print(f"{accepted} of {len(cands)} shown are accepted; --apply records them")


@app.command()
def audit(
    top: Annotated[int, typer.Option("--top", help="Pages shown (0: all)")] = 20,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write every page, ranked, to this CSV")
    ] = None,
    papers_csv: Annotated[
        Path | None, typer.Option("--papers-csv", help="Write every paper, ranked, to this CSV")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the top pages as JSON")] = False,
    calibration: Annotated[
        Path | None, typer.Option("--calibration", help="Audit calibration (default: shipped)")
    ] = None,
    db: DbOpt = None,
    model: ModelOpt = None,
) -> None:
    """Rank author pages by P(they conflate 2+ people), and their papers by P(wrong person)."""
    from byline.model import Calibration
    from byline.tasks.audit import audit_all, pages_json, pages_table, write_csv

    try:
        cal = Calibration.load(calibration)
        t = time.perf_counter()
        engine = _engine(db, model)
        load_seconds = round(time.perf_counter() - t, 1)
        with _progress(not as_json) as cb:  # refused for another pairwise model's signals
            pages, summary = audit_all(engine, cal, progress=cb)
        summary["load_seconds"] = load_seconds
        if csv_path or papers_csv:
            write_csv(pages, csv_path or Path("audit-pages.csv"), papers_csv)
    except BylineError as exc:
        _fail(exc)
    summary["pages_over_0.5"] = sum(p.p_conflated > 0.5 for p in pages)
    if as_json:
        sys.stdout.write(pages_json(pages, top, summary) + "\n")
        return
    out.print(pages_table(pages, top))
    console.print(
        f"{summary['pages']} pages, {summary['mentions']} mentions; "
        f"{summary['pages_over_0.5']} pages with P(2+ people) > 0.5"
        + (f"; written {csv_path or 'audit-pages.csv'}" if csv_path or papers_csv else "")
        + (f" and {papers_csv}" if papers_csv else "")
    )


@app.command()
def intake(
    requests: Annotated[
        list[str],
        typer.Argument(help="Requests: Markdown issue forms, GitHub issue JSON, or - (stdin)"),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array")] = False,
    patch: Annotated[
        Path | None, typer.Option("--patch", help="Write one patch for the whole batch")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Anthology data/ folder or .tar.gz (default: the ingested)"),
    ] = None,
    record_: Annotated[
        bool, typer.Option("--record", help="Store the proposals as decisions")
    ] = False,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="Store the proposals as pending requests for the review page, where a "
            "maintainer accepts or edits each (no decision is recorded here)",
        ),
    ] = False,
    actor: Annotated[
        str, typer.Option(help="Who decides (recorded with --record) or queues (--queue)")
    ] = "intake",
    db: DbOpt = None,
    model: ModelOpt = None,
) -> None:
    """Author-page requests (the Anthology's issue form): proposal, reply and patch."""
    from byline.export import unified_patch
    from byline.export.intake import intake_patch, name_persons, stored_layout
    from byline.sources.requests import RequestError, read_requests
    from byline.tasks.intake import Proposal, propose_batch, write_reply

    if record_ and queue:
        console.print(
            "[red]error:[/red] --record stores the proposals as decisions, --queue as pending "
            "requests for the review page; give one of them"
        )
        raise typer.Exit(2)
    items: list = []  # type: ignore[type-arg]
    written = recorded = queued = None
    try:
        parsed = read_requests(requests)
        if any(not isinstance(r, RequestError) for r in parsed):
            engine = _engine(db, model)
            items = propose_batch(engine, parsed)
        else:
            items = list(parsed)
        proposals = [p for p in items if isinstance(p, Proposal)]
        if proposals:
            assert engine.store is not None
            name_persons(proposals, engine.corpus, stored_layout(engine.store))
            if patch is not None:
                result = intake_patch(engine.store, proposals, data, DEFAULT_DATA)
                patch.parent.mkdir(parents=True, exist_ok=True)
                patch.write_text(unified_patch(result), encoding="utf-8")
                written = str(patch)
            for p in proposals:
                p.reply = write_reply(p)
            if record_:
                from byline.tasks.intake import record_proposals

                recorded = record_proposals(engine, proposals, actor=actor)
            if queue:
                from byline.tasks.intake import queue_proposals

                queued = queue_proposals(engine, proposals, actor=actor)
    except BylineError as exc:
        _fail(exc)
    errors: list[RequestError | str] = [e for e in items if isinstance(e, RequestError)]
    for r in recorded or []:
        if r.error:
            errors.append(
                f"{r.proposal.request.label}: not recorded, nothing of it was written: {r.error}"
            )
    if as_json:
        doc = [
            p.as_json() if isinstance(p, Proposal) else {"request": p.source, "error": str(p)}
            for p in items
        ]
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        for p in items:
            if isinstance(p, RequestError):
                continue
            flag = "needs review" if p.needs_review else "ready"
            out.print(
                f"[bold]{p.request.label}[/bold]: {p.kind} of {', '.join(p.pages)} -> "
                f"{p.requester.pid} ({len(p.papers)} papers, confidence {p.confidence:.2f}, "
                f"{flag})",
                highlight=False,
            )
            out.print(p.reply, markup=False, highlight=False)
    for e in errors:
        console.print(f"[red]error:[/red] {e}", highlight=False)
    if written:
        console.print(f"patch written to {written}", highlight=False)
    if recorded is not None:
        n = sum(len(r.decisions) for r in recorded)
        done = sum(bool(r.decisions) for r in recorded)
        console.print(
            f"{n} decision{'' if n == 1 else 's'} recorded for {done} of {len(recorded)} "
            f"request{'' if len(recorded) == 1 else 's'}",
            highlight=False,
        )
    if queued is not None:
        ids = ", ".join(f"#{q.id}" for q in queued)
        console.print(
            f"{len(queued)} requests queued for the review page ({ids}); `byline serve` shows "
            "them on their names' pages",
            highlight=False,
        )
    if errors:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    app()
