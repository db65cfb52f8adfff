"""``byline intake --patch``: the proposals of a batch of requests as one Anthology change.

The proposals become a :class:`ChangeSet` (the requester's mentions assigned to the proposed
person, a new person entry with ``orcid`` and ``degree`` (and, for a name change, the new name
canonical with the names on the papers as variants), or the ``orcid`` and ``degree`` an
existing entry lacks and a name change's new canonical name) and go through the same planner
as
``byline export``: byte-minimal ``id=`` edits, the registry in the data's layout, everyone
else kept where they were (``disable_name_matching`` in the 2026 layouts where other people
stay on the name). Proposals the batch check left out (contradictions) are not in it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from byline.errors import BylineError
from byline.export.changes import ChangeSet, NewPerson, PersonUpdate
from byline.export.ids import new_person_id
from byline.export.plan import ExportResult
from byline.export.run import data_path, export_changes
from byline.names import name_slug
from byline.sources.anthology import Layout
from byline.store import Store
from byline.store import schema as t
from byline.store.corpus import Corpus
from byline.tasks.intake import Proposal


def name_persons(proposals: list[Proposal], corpus: Corpus, layout: str | None) -> None:
    """Give every new proposed person the Anthology id the export will give it: the name
    slug, or slug plus institution or ORCID suffix when the name is shared or taken (in the
    Nov 2025 layout a name without entry is an implicit person whose id is its slug)."""
    taken_ids = set(corpus.persons)
    if layout == Layout.NAME_VARIANTS:
        taken_ids |= set(corpus.blocks)
    given: dict[str, str] = {}
    for p in proposals:
        for person in p.persons:
            if not person.new:
                continue
            if person.key not in given:
                given[person.key] = new_person_id(
                    name_slug(person.first, person.last),
                    lambda x: x in taken_ids or x in given.values(),
                    shared=person.shared,
                    institution=person.comment,
                    orcid=person.orcid,
                )
            person.pid = given[person.key]


def stored_layout(store: Store) -> str | None:
    """The registry layout of the data the store was ingested from."""
    with store.connect() as conn:
        return conn.execute(select(t.meta.c.value).where(t.meta.c.key == "layout")).scalar()


def intake_changes(proposals: list[Proposal]) -> ChangeSet:
    """The ChangeSet of the proposals that stay in the patch."""
    changes = ChangeSet()
    for p in proposals:
        if not p.patched:
            continue
        persons = p.persons if p.kind == "split" else [p.requester]
        for person in persons:
            for mid in person.mention_ids:
                changes.assign[mid] = person.key
            if not person.new and (person.add_orcid or person.add_degree or person.add_name):
                changes.updates[person.key] = PersonUpdate(
                    person.key, person.add_orcid, person.add_degree, person.add_name
                )
            if person.new:
                changes.new_persons[person.key] = NewPerson(
                    key=person.key,
                    first=person.first,
                    last=person.last,
                    orcid=person.orcid,
                    comment=person.comment,
                    degree=person.degree,
                    variants=list(person.variants),
                )
    return changes


def intake_patch(
    store: Store, proposals: list[Proposal], data: Path | None, default: Path
) -> ExportResult:
    """Plan the batch's change against ``data`` (else the ingested data); the proposals'
    person ids are set to those the plan gave."""
    changes = intake_changes(proposals)
    if changes.empty:
        raise BylineError("no proposal to write into the patch (nothing was written)")
    result = export_changes(store, changes, data_path(store, data, default))
    for p in proposals:
        for person in p.persons:
            if person.key in result.person_ids:
                person.pid = result.person_ids[person.key]
    return result
