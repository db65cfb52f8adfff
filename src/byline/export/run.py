"""``byline export``: the store's decisions, checked against the data they were made on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from byline.errors import BylineError
from byline.export.changes import ChangeSet, changes_from_decisions
from byline.export.plan import ExportResult, build_export
from byline.store import Store
from byline.store import schema as t
from byline.store.ingest import ingested_path


def export_decisions(store: Store, data: Path | None, default: Path) -> ExportResult:
    """Plan the export of every active decision against ``data`` (else the ingested data).

    The files read must be those the store holds (same SHA-1): mention positions are only
    meaningful for the data the decisions were made on.
    """
    path = data_path(store, data, default)
    changes = changes_from_decisions(store)
    if changes.empty:
        raise BylineError("no decisions to export; record some first (nothing was written)")
    return export_changes(store, changes, path)


def data_path(store: Store, data: Path | None, default: Path) -> Path:
    """The data to export against: ``data``, else where the store was ingested from."""
    recorded = None if data else ingested_path(store)
    if recorded is not None and not recorded.exists():
        raise BylineError(
            f"{recorded}: the store was ingested from here, but it no longer exists; pass the "
            "data with --data (or `byline ingest` it from where it is now)"
        )
    path = data or recorded or default
    if not path.exists():
        raise BylineError(
            f"{path}: no such file or folder; pass the Anthology data/ folder (or .tar.gz) "
            "the store was ingested from with --data"
        )
    return path


def export_changes(store: Store, changes: ChangeSet, path: Path) -> ExportResult:
    """Plan ``changes`` (stored decisions, or proposed ones such as ``byline intake``'s)
    against the data at ``path``, checked to be the data the store holds."""
    result = build_export(changes, path)
    with store.connect() as conn:
        known = dict(conn.execute(select(t.source_files.c.path, t.source_files.c.digest)).all())
    stale = sorted(
        rel for rel, digest in result.digests_read.items() if known.get(rel) not in (None, digest)
    )
    decided_files = {rel for rel in result.digests_read if rel.startswith("xml/")}
    unknown = sorted(rel for rel in decided_files if rel not in known)
    if stale or unknown:
        rel = (stale or unknown)[0]
        raise BylineError(
            f"{path}: data/{rel} is not the file the store was ingested from; run "
            f"`byline ingest {path}` first, or pass the ingested data with --data"
        )
    return result
