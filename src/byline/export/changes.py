"""What an export writes: a ChangeSet, built by hand or from the maintainers' decisions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from byline.store import Store
from byline.store import schema as t
from byline.store.corpus import Corpus


@dataclass
class NewPerson:
    """A person the registry does not know yet (a byline key such as ``slug/1a2b3c4d``)."""

    key: str
    first: str
    last: str
    orcid: str | None = None
    comment: str | None = None  # what tells this person apart, e.g. the affiliation
    degree: str | None = None  # institution of the highest degree (``degree`` of the entry)
    # more names of the entry after (first, last), e.g. the name on the papers of a person
    # who changed it (the Nov 2025 layout lists no other name by itself)
    variants: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class PersonUpdate:
    """What an EXISTING registry entry gets: the ORCID iD and degree institution it lacks
    (an author-page request that gives the ORCID iD of a person the registry holds without
    one), and a new canonical name (a name change: the old canonical name stays as a
    variant). Never overwrites an ORCID iD and never takes another person's name: the plan
    refuses both."""

    pid: str
    orcid: str | None = None
    degree: str | None = None
    name: tuple[str, str] | None = None  # (first, last) of the new canonical name


@dataclass
class ChangeSet:
    """Decided identities to write into the Anthology's data.

    ``assign``: mention id -> person (an existing Anthology id, or the key of a NewPerson).
    ``exclude``: mention id -> persons it is NOT (``not_person``); when such a mention carries
    the id of one of them and is not assigned elsewhere, the id is removed (and, where the
    layout needs it, replaced by the name's catch-all id).
    ``disable_name_matching``: extra persons (existing ids or keys) to set the flag on (2026
    layouts; the export sets it by itself wherever it is needed).
    ``updates``: existing person id -> the fields its entry lacks and gets
    (:class:`PersonUpdate`).
    """

    assign: dict[str, str] = field(default_factory=dict)
    exclude: dict[str, set[str]] = field(default_factory=dict)
    new_persons: dict[str, NewPerson] = field(default_factory=dict)
    disable_name_matching: set[str] = field(default_factory=set)
    updates: dict[str, PersonUpdate] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.assign or self.exclude or self.disable_name_matching or self.updates)

    @property
    def mention_ids(self) -> set[str]:
        return set(self.assign) | set(self.exclude)


@dataclass(frozen=True)
class _MentionInfo:
    first: str
    last: str
    orcid: str | None
    affiliation: str | None


def _mention_info(
    store: Store, corpus: Corpus | None, mention_ids: set[str]
) -> dict[str, _MentionInfo]:
    if corpus is not None:
        out = {}
        for m in corpus.mentions:
            if m.mention_id in mention_ids:
                out[m.mention_id] = _MentionInfo(m.first, m.last, m.orcid, m.affiliation)
        return out
    out = {}
    ids = sorted(mention_ids)
    c = t.mentions.c
    with store.connect() as conn:
        for i in range(0, len(ids), 500):
            q = select(c.mention_id, c.first, c.last, c.orcid, c.affiliation).where(
                c.mention_id.in_(ids[i : i + 500])
            )
            for row in conn.execute(q):
                out[row[0]] = _MentionInfo(row[1], row[2], row[3], row[4])
    return out


def _known_ids(store: Store, corpus: Corpus | None) -> set[str]:
    if corpus is not None:
        return set(corpus.persons)
    with store.connect() as conn:
        return set(conn.execute(select(t.persons.c.person_id)).scalars())


def changes_from_decisions(store: Store, corpus: Corpus | None = None) -> ChangeSet:
    """The ChangeSet of all active decisions of the store.

    Person keys that are not ids of the Anthology's registry (byline's ``slug/xxxxxxxx``)
    become new persons: named as the decision named them (else by the commonest spelling
    of their mentions), with the ORCID iD their mentions share, if exactly one, and their
    commonest affiliation as the disambiguating comment. ``corpus`` is optional: without it
    the few mentions needed are read from the store.
    """
    from byline.store.decisions import decided_state

    state = decided_state(store)
    changes = ChangeSet(
        assign=state.assignments(),
        exclude={m: set(p) for m, p in state.exclusions().items() if state.person_of(m) is None},
    )
    known = _known_ids(store, corpus)
    info = _mention_info(store, corpus, changes.mention_ids)
    members: dict[str, list[str]] = {}
    for m, key in changes.assign.items():
        members.setdefault(key, []).append(m)
    for key, mids in sorted(members.items()):
        if key in known:
            continue
        rows = [info[m] for m in mids if m in info]
        names = Counter((r.first, r.last) for r in rows)
        first, last = state.display_name(key) or (
            names.most_common(1)[0][0] if names else ("", key.split("/")[0])
        )
        orcids = {r.orcid for r in rows if r.orcid}
        affs = Counter(r.affiliation for r in rows if r.affiliation)
        changes.new_persons[key] = NewPerson(
            key=key,
            first=first,
            last=last,
            orcid=orcids.pop() if len(orcids) == 1 else None,
            comment=affs.most_common(1)[0][0] if affs else None,
        )
    return changes
