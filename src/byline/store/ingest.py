"""Ingest: bring the store in line with a library on disk, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from byline.errors import BylineError, DataError
from byline.sources import read_anthology
from byline.sources.anthology import SourceFile
from byline.store import Store
from byline.store import schema as t
from byline.store.changed import record_changed

_CHUNK = 5000
# Meta key of the absolute path the store was last ingested from (`byline export`'s default).
DATA_PATH = "data_path"


@dataclass
class IngestReport:
    layout: str
    files_total: int
    files_changed: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    registry_changed: bool = False
    papers_written: int = 0
    mentions_written: int = 0
    # names whose block this ingest changed, now pending for `byline split --changed`
    names_changed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.files_changed or self.files_removed or self.registry_changed)


def _set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(t.meta).where(t.meta.c.key == key))
    conn.execute(insert(t.meta), {"key": key, "value": value})


def ingested_path(store: Store) -> Path | None:
    """The absolute data path of the last ingest (None for a store of byline 0.1.0)."""
    with store.connect() as conn:
        value = conn.execute(select(t.meta.c.value).where(t.meta.c.key == DATA_PATH)).scalar()
    return Path(value) if value else None


def _chunks(rows: list[dict], size: int = _CHUNK):  # type: ignore[no-untyped-def]
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def ingest(
    store: Store,
    path: str | Path,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Read ``path`` and write what changed since the last ingest.

    Files are compared by SHA-1: unchanged collection files are not even parsed. Everything
    is written in one transaction, so a failure (bad XML, a full disk) leaves the store as
    it was. The absolute ``path`` is recorded (also when nothing changed: the data may have
    moved), as the data ``byline export`` reads by default. So are the names whose blocks
    changed (:mod:`byline.store.changed`), for ``byline split --changed``.
    """
    where = str(Path(path).resolve())
    with store.connect() as conn:
        known = dict(conn.execute(select(t.source_files.c.path, t.source_files.c.digest)).all())

    def unchanged(src: SourceFile) -> bool:
        return known.get(src.path) == src.digest

    lib = read_anthology(path, progress=progress, skip=unchanged)
    registry_path = next(p for p in lib.file_digests if not p.startswith("xml/"))
    report = IngestReport(layout=lib.layout, files_total=len(lib.file_digests))
    report.files_changed = sorted(
        p for p, d in lib.file_digests.items() if known.get(p) != d and p.startswith("xml/")
    )
    report.files_removed = sorted(p for p in known if p not in lib.file_digests)
    report.registry_changed = known.get(registry_path) != lib.file_digests[registry_path]
    if not report.changed:
        with store.begin() as conn:
            _set_meta(conn, DATA_PATH, where)
        return report

    stale_sources = set(report.files_changed) | set(report.files_removed)
    with store.connect() as conn:
        first_source: dict[str, str] = {
            pid: src
            for pid, src in conn.execute(select(t.papers.c.paper_id, t.papers.c.source))
            if src not in stale_sources
        }
    for paper in lib.papers:
        other = first_source.setdefault(paper.paper_id, paper.source)
        if other != paper.source:
            raise DataError(
                paper.source,
                f"paper id {paper.paper_id} is also given by {other}; remove the stray copy "
                "and ingest again (the store is unchanged)",
            )
    try:
        _write(store, lib, report, known, registry_path, where)
    except IntegrityError as exc:
        raise BylineError(
            f"{path}: two collection files give the same paper id ({exc.orig}); remove the "
            "stray copy and ingest again (the store is unchanged)"
        ) from None
    return report


def _write(  # type: ignore[no-untyped-def]
    store: Store, lib, report: IngestReport, known: dict, registry_path: str, where: str
) -> None:
    with store.begin() as conn:
        stale = report.files_changed + [p for p in report.files_removed if p.startswith("xml/")]
        touched: set[str] = set()  # names whose blocks change: before and after
        for i in range(0, len(stale), 500):
            paths = stale[i : i + 500]
            ids = select(t.papers.c.paper_id).where(t.papers.c.source.in_(paths))
            touched.update(
                conn.execute(select(t.mentions.c.slug).where(t.mentions.c.paper_id.in_(ids)))
                .scalars()
                .all()
            )
            conn.execute(delete(t.mentions).where(t.mentions.c.paper_id.in_(ids)))
            conn.execute(delete(t.papers).where(t.papers.c.source.in_(paths)))
        paper_rows = []
        mention_rows = []
        for paper in lib.papers:
            paper_rows.append(
                {
                    "paper_id": paper.paper_id,
                    "source": paper.source,
                    "title": paper.title,
                    "abstract": paper.abstract,
                    "year": paper.year,
                    "venues": "|".join(paper.venues),
                    "booktitle": paper.booktitle,
                    "language": paper.language,
                }
            )
            for m in paper.authors:
                touched.add(m.slug)
                mention_rows.append(
                    {
                        "mention_id": m.mention_id,
                        "paper_id": m.paper_id,
                        "position": m.position,
                        "first": m.first,
                        "last": m.last,
                        "slug": m.slug,
                        "person_id": m.person_id,
                        "orcid": m.orcid,
                        "openreview": m.openreview,
                        "affiliation": m.affiliation,
                        "variant": m.variant,
                    }
                )
        for chunk in _chunks(paper_rows):
            conn.execute(insert(t.papers), chunk)
        for chunk in _chunks(mention_rows):
            conn.execute(insert(t.mentions), chunk)
        report.papers_written = len(paper_rows)
        report.mentions_written = len(mention_rows)

        if report.registry_changed or known.get(registry_path) is None:
            old = {r["person_id"]: dict(r) for r in conn.execute(select(t.persons)).mappings()}
            conn.execute(delete(t.persons))
            rows = [
                {
                    "person_id": p.person_id,
                    "names": [[n.first, n.last] for n in p.names],
                    "orcid": p.orcid,
                    "comment": p.comment,
                    "degree": p.degree,
                    "similar": list(p.similar),
                    "disable_name_matching": p.disable_name_matching,
                    "explicit": p.explicit,
                }
                for p in lib.persons
            ]
            # Registries can list one generated id twice (two entries without id= that share
            # a canonical name); the first entry wins, as in the Anthology's own index.
            seen: set[str] = set()
            rows = [r for r in rows if not (r["person_id"] in seen or seen.add(r["person_id"]))]
            for chunk in _chunks(rows):
                conn.execute(insert(t.persons), chunk)
            # an entry added, removed or edited changes the blocks of the mentions pointing
            # to it (its ORCID iD, whether it is a catch-all)
            new = {r["person_id"]: r for r in rows}
            edited = sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))
            for i in range(0, len(edited), 500):
                touched.update(
                    conn.execute(
                        select(t.mentions.c.slug)
                        .where(t.mentions.c.person_id.in_(edited[i : i + 500]))
                        .distinct()
                    )
                    .scalars()
                    .all()
                )
        report.names_changed = record_changed(conn, touched)

        conn.execute(delete(t.source_files))
        conn.execute(
            insert(t.source_files),
            [{"path": p, "digest": d} for p, d in sorted(lib.file_digests.items())],
        )
        _set_meta(conn, "layout", lib.layout)
        _set_meta(conn, DATA_PATH, where)
