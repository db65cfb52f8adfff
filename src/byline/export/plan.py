"""Turn a ChangeSet into the Anthology's own change: ``id=`` edits and registry entries.

The plan keeps every name specification that no decision is about with the owner it had:

1. Decided mentions get the ``id=`` of their person (new persons get a new Anthology id).
2. A ``not_person`` mention that carries the excluded id loses it.
3. Then, until nothing moves: an undecided ``<author>``/``<editor>`` whose owner would change
   (a new person now shares its name) gets the id of its previous owner; in the 2026 layouts
   an unverified mention that would fall to a person by name matching makes that person
   ``disable_name_matching``; in the Nov 2025 layout an implicit person (a name without
   registry entry) that must now be named gets a "May refer to several people" entry, as
   the Anthology does for names it has split.

Only files with a change are rewritten, and each rewrite is checked (only ``id=`` attributes
differ, each as planned; the registry reads back as intended).
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from text_unidecode import unidecode

from byline.errors import BylineError, DataError
from byline.export.changes import ChangeSet
from byline.export.ids import new_person_id
from byline.export.people_files import write_registry
from byline.export.resolve import AMBIGUOUS, UNVERIFIED, Entry, Registry
from byline.export.xml_ids import NameSpec, apply_id_edits, check_edit, scan
from byline.sources.anthology import LAYOUTS, _Folder, detect_layout
from byline.sources.ids import paper_of

CATCH_ALL_COMMENT = "May refer to several people"

_NAME_RE = re.compile(
    rb"<(?:author|editor)\b[^>]*>\s*(?:<first>([^<]*)</first>\s*)?<last>([^<]*)</last>"
)


def _lite_slug(first: str | None, last: str) -> str:
    """A cheap stand-in for the name slug, only used to pick the files worth parsing."""
    full = unidecode(f"{first or ''} {last}").lower()
    return re.sub(r"[^a-z0-9]+", "", full)


@dataclass
class Move:
    """A name specification whose owner changes."""

    label: str  # mention id, or "<volume> editor #n"
    item: str  # paper (or volume) id
    name: str
    before: str
    after: str
    why: str  # "decided" or "not_person"

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass
class PersonChange:
    pid: str
    name: str
    key: str | None = None  # the byline key it was created from
    new: bool = False
    catch_all: bool = False
    names_added: list[str] = field(default_factory=list)
    disable_name_matching_set: bool = False
    fields_set: list[str] = field(default_factory=list)  # "orcid", "degree" added to it
    renamed_from: str | None = None  # its canonical name before this change renamed it
    moved_in: list[Move] = field(default_factory=list)
    moved_out: list[Move] = field(default_factory=list)
    kept: int = 0  # undecided mentions given this person's id so they stay with it


@dataclass
class ExportResult:
    layout: str
    data_path: Path
    registry_path: str
    files: dict[str, tuple[bytes, bytes]]  # rel path under data/ -> (old, new), changed only
    person_ids: dict[str, str]  # key of the ChangeSet -> Anthology id
    persons: list[PersonChange]
    kept: list[str]  # labels of undecided specs given their previous owner's id
    digests_read: dict[str, str] = field(default_factory=dict)
    ids_edited: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "data": str(self.data_path),
            "files_changed": sorted(self.files),
            "ids_edited": self.ids_edited,
            "persons": [
                {
                    "id": p.pid,
                    "name": p.name,
                    "key": p.key,
                    "new": p.new,
                    "catch_all": p.catch_all,
                    "names_added": p.names_added,
                    "disable_name_matching_set": p.disable_name_matching_set,
                    "fields_set": p.fields_set,
                    "renamed_from": p.renamed_from,
                    "papers_in": [m.as_dict() for m in p.moved_in],
                    "papers_out": [m.as_dict() for m in p.moved_out],
                    "kept_by_id": p.kept,
                }
                for p in self.persons
            ],
            "kept_by_id": len(self.kept),
            "seconds": round(self.seconds, 2),
        }


def collection_file(paper_id: str) -> str:
    """``2020.acl-main.1`` -> ``xml/2020.acl.xml``; ``P19-1001`` -> ``xml/P19.xml``."""
    return f"xml/{paper_id.split('-')[0]}.xml"


class _Planner:
    def __init__(self, changes: ChangeSet, folder: _Folder, layout: str) -> None:
        self.changes = changes
        self.folder = folder
        self.layout = layout
        reg_rel, reader = LAYOUTS[layout]
        self.reg_rel = reg_rel
        self.reg_file = folder.read(reg_rel)
        self.digests = {reg_rel: self.reg_file.digest}
        self.persons = reader(self.reg_file.data, folder.label(reg_rel))
        self.before_registry = Registry(layout, self.persons)
        self.registry = Registry(layout, self.persons)
        self.files: dict[str, bytes] = {}
        self.specs: dict[str, list[NameSpec]] = {}

    # -- reading ------------------------------------------------------------------------

    def _load(self, rel: str) -> None:
        if rel in self.specs:
            return
        src = self.folder.read(rel)
        self.files[rel] = src.data
        self.digests[rel] = src.digest
        self.specs[rel] = scan(src.data, rel, self.folder.label(rel))

    def _scan_for(self, slugs: set[str]) -> None:
        """Parse every file that may hold a name specification with one of ``slugs``."""
        wanted = {s.replace("-", "") for s in slugs}
        cache: dict[tuple[bytes | None, bytes], bool] = {}
        for rel in self.folder.xml_files():
            if rel in self.specs:
                continue
            data = self.folder.read(rel).data
            for m in _NAME_RE.finditer(data):
                k = (m.group(1), m.group(2))
                hit = cache.get(k)
                if hit is None:
                    first = k[0].decode("utf-8", "replace") if k[0] is not None else None
                    hit = cache[k] = _lite_slug(first, k[1].decode("utf-8", "replace")) in wanted
                if hit:
                    self._load(rel)
                    break

    @property
    def all_specs(self) -> list[NameSpec]:
        return [s for rel in sorted(self.specs) for s in self.specs[rel]]

    # -- planning -----------------------------------------------------------------------

    def plan(self) -> None:
        ch = self.changes
        reg = self.before_registry
        old = reg.old_layout
        if ch.disable_name_matching and old:
            raise BylineError(
                "disable_name_matching does not exist in the Nov 2025 layout "
                "(yaml/name_variants.yaml); leave it out"
            )
        # 1. the files of the decided mentions, and the mentions themselves
        for mid in sorted(ch.mention_ids):
            rel = collection_file(paper_of(mid))
            if not self.folder.exists(rel):
                raise DataError(
                    self.folder.label(rel),
                    f"a decision refers to mention {mid}, but its collection file is not in "
                    "the data; export against the data the store was ingested from (--data)",
                )
            self._load(rel)
        by_mention = {s.mention_id: s for s in self.all_specs if s.mention_id}
        missing = sorted(m for m in ch.mention_ids if m not in by_mention)
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise BylineError(
                f"a decision refers to mention {missing[0]}{more}, which is not in the data at "
                f"{self.folder.path}; export against the data the store was ingested from "
                "(--data), or undo the decision"
            )
        for pid in sorted(ch.updates):
            if pid not in reg.entries or reg.entries[pid].catch_all:
                raise BylineError(
                    f"{pid!r} is not a person of {self.reg_rel}; an ORCID iD, degree or new "
                    "name is only added to an existing entry (a new person gets them as a new "
                    "entry)"
                )
        for key in set(ch.assign.values()) | ch.disable_name_matching:
            if key not in reg.entries and key not in ch.new_persons:
                if "/" in key and key in ch.assign.values():
                    continue  # a byline key without details: named from its mentions
                raise BylineError(
                    f"unknown person id {key!r}: not in {self.reg_rel}; "
                    "decide with an existing id or a new person key"
                )
        # 2. every file that may hold a name specification these changes touch
        slugs = {reg.slug(by_mention[m].first, by_mention[m].last) for m in ch.mention_ids}
        slugs |= {reg.slug(p.first, p.last) for p in ch.new_persons.values()}
        involved = set(ch.assign.values()) | {p for s in ch.exclude.values() for p in s}
        involved |= ch.disable_name_matching
        for s in list(slugs):
            involved |= reg.ids_with_slug(s)
        for pid in involved:
            if pid in reg.entries:
                slugs |= {reg.slug(*n) for n in reg.entries[pid].names}
        self._scan_for(slugs)
        while True:
            self._resolve(by_mention)
            extra = set()
            for pid in self.touched:
                extra |= {reg.slug(*n) for n in self.registry.entries[pid].names}
            if extra <= slugs:
                break
            slugs |= extra  # a cascade reached names not read yet: read them, plan again
            self._scan_for(slugs)

    def _resolve(self, by_mention: dict[str | None, NameSpec]) -> None:
        ch = self.changes
        self.registry = reg = Registry(self.layout, self.persons)
        old = reg.old_layout
        specs = self.all_specs
        self.before = {s.key: self.before_registry.owner(s.first, s.last, s.id) for s in specs}
        self.touched: set[str] = set()
        # new person ids (a key holding all papers of one registry person is that person)
        self.key_to_id: dict[str, str] = {}
        groups: dict[str, list[NameSpec]] = defaultdict(list)
        for mid, key in ch.assign.items():
            groups[key].append(by_mention[mid])
        direct = {k for k in groups if k in reg.entries}
        adopted: dict[str, str] = {}
        for key in sorted(groups, key=lambda k: (-len(groups[k]), k)):
            if key in reg.entries:
                continue
            owners = {self.before[s.key] for s in groups[key]}
            if len(owners) == 1:
                (p,) = owners
                excluded = any(p in ch.exclude.get(s.mention_id or "", ()) for s in groups[key])
                # only a key holding every paper of P is P (else it is a new person)
                owned = {s.key for s in specs if s.kind == "author" and self.before[s.key] == p}
                if (
                    owned <= {s.key for s in groups[key]}
                    and p in reg.entries
                    and not reg.entries[p].catch_all
                    and p not in direct
                    and p not in adopted.values()
                    and not excluded
                ):
                    adopted[key] = p
        self.key_to_id.update(adopted)
        auto_owners = {
            o
            for o in self.before.values()
            if o not in reg.entries and "/" not in o and o != AMBIGUOUS
        }
        given: set[str] = set()

        def taken(pid: str) -> bool:
            return pid in reg.entries or pid in auto_owners or pid in given

        for key in sorted(groups):
            if key in reg.entries or key in adopted:
                continue
            members = groups[key]
            np = ch.new_persons.get(key)
            counts = Counter((s.first, s.last) for s in members)
            first, last = (np.first, np.last) if np else counts.most_common(1)[0][0]
            slug = reg.slug(first, last)
            member_keys = {s.key for s in members}
            shared = bool(reg.ids_with_slug(slug)) or any(
                reg.slug(s.first, s.last) == slug and s.key not in member_keys for s in specs
            )
            orcids = {s.orcid for s in members if s.orcid}
            if np and np.orcid:
                orcids.add(np.orcid)
            if len(orcids) > 1:
                raise BylineError(
                    f"the mentions decided to be {key} carry different ORCID iDs "
                    f"({', '.join(sorted(orcids))}); split them into separate persons"
                )
            orcid = next(iter(orcids), None)
            affs = Counter(s.affiliation for s in members if s.affiliation)
            comment = (np.comment if np else None) or (affs.most_common(1)[0][0] if affs else None)
            pid = new_person_id(slug, taken, shared=shared, institution=comment, orcid=orcid)
            given.add(pid)
            names = [(first or None, last)]
            if np:
                names += [n for n in ((a or None, b) for a, b in np.variants) if n not in names]
            if not old:
                names += [n for n in ((a or None, b) for a, b in counts) if n not in names]
            degree = np.degree if np else None
            reg.add(
                Entry(pid=pid, names=names, orcid=orcid, comment=comment, degree=degree, new=True)
            )
            self.key_to_id[key] = pid
            self.touched.add(pid)
        # fields existing entries lack (an ORCID iD is never overwritten: Registry.fill)
        # and new canonical names (the old one stays a variant: Registry.rename)
        for pid, up in sorted(ch.updates.items()):
            reg.fill(pid, up.orcid, up.degree)
            if up.name:
                reg.rename(pid, (up.name[0] or None, up.name[1]))
            if reg.entries[pid].fields_set or reg.entries[pid].renamed_from:
                self.touched.add(pid)
        # ORCID iDs must stay unique in the registry
        holders: dict[str, str] = {}
        filled: dict[str, str] = {}
        for e in reg.entries.values():
            if e.orcid and "orcid" in e.fields_set:
                if filled.setdefault(e.orcid, e.pid) != e.pid:
                    raise BylineError(
                        f"ORCID iD {e.orcid} is added to both {filled[e.orcid]} and {e.pid}; "
                        "give it to one person only"
                    )
            elif e.orcid and not e.new:
                holders[e.orcid] = e.pid
        for e in reg.entries.values():
            if e.new and e.orcid and e.orcid in filled:
                raise BylineError(
                    f"ORCID iD {e.orcid} of the new person {e.pid} is also added to "
                    f"{filled[e.orcid]}; give it to one person only"
                )
            if e.new and e.orcid and e.orcid in holders:
                raise BylineError(
                    f"ORCID iD {e.orcid} of the new person {e.pid} already belongs to "
                    f"{holders[e.orcid]}; assign those mentions to {holders[e.orcid]} instead"
                )
        for orcid, pid in filled.items():
            if orcid in holders:
                raise BylineError(
                    f"ORCID iD {orcid} added to {pid} already belongs to {holders[orcid]}; "
                    f"an ORCID iD is one person's: check the request"
                )

        def target(key: str) -> str:
            return key if key in reg.entries else self.key_to_id[key]

        for key in ch.disable_name_matching:
            reg.disable_matching(target(key))
            self.touched.add(target(key))
        # 1./2. decided ids
        self.ids = {s.key: s.id for s in specs}
        self.decided: dict[tuple[str, int], str] = {}
        self.excluded: dict[tuple[str, int], set[str]] = {}
        for mid, key in ch.assign.items():
            s = by_mention[mid]
            pid = target(key)
            self.decided[s.key] = pid
            self.ids[s.key] = pid
            self.touched.add(pid)
            if not old:
                if reg.add_name(pid, (s.first or None, s.last)):
                    self.touched.add(pid)
                if s.orcid and s.orcid != reg.entries[pid].orcid:
                    raise BylineError(
                        f"{mid} carries ORCID iD {s.orcid}, but {pid} has "
                        f"{reg.entries[pid].orcid or 'none'}; the 2026 layout requires them "
                        "to match: correct the ORCID on the paper or the decision"
                    )
        for mid, persons in ch.exclude.items():
            if mid in ch.assign:
                continue
            s = by_mention[mid]
            ex = {target(p) if p in reg.entries or p in self.key_to_id else p for p in persons}
            self.excluded[s.key] = ex
            if s.id in ex:
                self.ids[s.key] = None
        # 3. keep everybody else where they were
        for _ in range(100):
            if not self._settle(specs):
                break
        else:  # pragma: no cover
            raise BylineError("internal error: the export plan does not settle")
        self._check(specs)

    def _settle(self, specs: list[NameSpec]) -> bool:
        reg = self.registry
        old = reg.old_layout
        changed = False
        for s in specs:
            k = s.key
            if k in self.decided:
                continue
            o = reg.owner(s.first, s.last, self.ids[k])
            ex = self.excluded.get(k)
            if ex:
                if o not in ex and o != AMBIGUOUS:
                    continue
                changed = True
                if not old:
                    if s.orcid and self.ids[k] is None:
                        raise BylineError(
                            f"{s.label} carries ORCID iD {s.orcid}: the 2026 layout cannot leave "
                            "it without an id; assign it to a person instead of only excluding"
                        )
                    reg.disable_matching(o)
                    self.touched.add(o)
                else:
                    self.ids[k] = self._catch_all_for(s, ex)
                continue
            b = self.before[k]
            if o == b:
                continue
            changed = True
            if reg.is_person(b):
                self.ids[k] = b
                if not old:
                    reg.add_name(b, (s.first or None, s.last))
                self.touched.add(b)
            elif not old and b.endswith(UNVERIFIED) and reg.is_person(o):
                reg.disable_matching(o)
                self.touched.add(o)
            elif old and b != AMBIGUOUS:
                # an implicit person (no registry entry) must now be named to keep its papers
                self._add_catch_all(b, s)
                self.ids[k] = b
            else:
                raise BylineError(
                    f"{s.label} ({s.full_name}) would move from {b} to {o}, and this layout "
                    "has no way to keep it; decide about it too"
                )
        return changed

    def _add_catch_all(self, pid: str, s: NameSpec) -> None:
        """A new "May refer to several people" entry for the name of ``s``."""
        self.registry.add(
            Entry(
                pid=pid,
                names=[(s.first or None, s.last)],
                comment=CATCH_ALL_COMMENT,
                catch_all=True,
                new=True,
            )
        )
        self.touched.add(pid)

    def _catch_all_for(self, s: NameSpec, ex: set[str]) -> str:
        """Nov 2025 layout: the catch-all id a mention that is none of ``ex`` can carry."""
        reg = self.registry
        slug = reg.slug(s.first, s.last)
        for pid in sorted(reg.ids_with_slug(slug)):
            if reg.entries[pid].catch_all and pid not in ex:
                return pid
        if slug not in reg.entries and slug not in ex:
            self._add_catch_all(slug, s)
            return slug
        raise BylineError(
            f"{s.label}: the Nov 2025 layout cannot say that {s.full_name} is not "
            f"{', '.join(sorted(ex))} ({slug} is that person's own id, so no catch-all id is "
            "free); assign the mention to a person instead"
        )

    def _check(self, specs: list[NameSpec]) -> None:
        reg = self.registry
        self.after = {s.key: reg.owner(s.first, s.last, self.ids[s.key]) for s in specs}
        per_item: dict[str, Counter[str]] = defaultdict(Counter)
        for s in specs:
            k = s.key
            o = self.after[k]
            if k in self.decided:
                ok = o == self.decided[k]
            elif k in self.excluded:
                ok = o not in self.excluded[k] and o != AMBIGUOUS
            else:
                ok = o == self.before[k]
            if not ok:  # pragma: no cover - a bug in the plan
                raise BylineError(f"internal error: {s.label} would resolve to {o}")
            if o in reg.entries and s.kind == "author":
                per_item[s.item][o] += 1
        for item, counts in per_item.items():
            for pid, n in counts.items():
                if n > 1 and reg.entries[pid].new:
                    raise BylineError(
                        f"{item}: {n} authors of one paper would be {pid}; one paper cannot "
                        "list a person twice, correct the decision"
                    )

    # -- output -------------------------------------------------------------------------

    def result(self, data_path: Path) -> ExportResult:
        reg = self.registry
        changed: dict[str, tuple[bytes, bytes]] = {}
        n_edits = 0
        for rel, specs in sorted(self.specs.items()):
            edits = {s.index: self.ids[s.key] for s in specs if self.ids[s.key] != s.id}
            if not edits:
                continue
            old = self.files[rel]
            new = apply_id_edits(old, specs, edits)
            check_edit(old, new, rel, edits)
            n_edits += len(edits)
            changed[rel] = (old, new)
        if any(e.edited for e in reg.entries.values()):
            new_reg = write_registry(self.layout, self.reg_file.data, reg)
            changed[self.reg_rel] = (self.reg_file.data, new_reg)
        persons: dict[str, PersonChange] = {}

        def person(pid: str) -> PersonChange:
            if pid not in persons:
                e = reg.entries.get(pid)
                name = " ".join(x for x in (e.names[0] if e else (None, pid)) if x)
                persons[pid] = PersonChange(
                    pid=pid,
                    name=name,
                    new=bool(e and e.new),
                    catch_all=bool(e and e.catch_all),
                    names_added=[" ".join(x for x in n if x) for n in (e.added_names if e else [])],
                    disable_name_matching_set=bool(e and e.flag_set),
                    fields_set=list(e.fields_set) if e else [],
                    renamed_from=(
                        " ".join(x for x in e.renamed_from if x) if e and e.renamed_from else None
                    ),
                )
            return persons[pid]

        for key, pid in self.key_to_id.items():
            person(pid).key = key
        for pid in sorted(self.touched):
            person(pid)
        real = lambda pid: pid != AMBIGUOUS  # noqa: E731
        kept = []
        for s in self.all_specs:
            b, a = self.before[s.key], self.after[s.key]
            if b != a:
                why = "decided" if s.key in self.decided else "not_person"
                mv = Move(s.label, s.item, s.full_name, b, a, why)
                if real(a):
                    person(a).moved_in.append(mv)
                if real(b):
                    person(b).moved_out.append(mv)
            elif self.ids[s.key] != s.id:
                kept.append(s.label)
                person(a).kept += 1
        order = sorted(persons.values(), key=lambda p: (not p.new, p.pid))
        return ExportResult(
            layout=self.layout,
            data_path=data_path,
            registry_path=self.reg_rel,
            files=changed,
            person_ids=dict(self.key_to_id),
            persons=order,
            kept=kept,
            digests_read=dict(self.digests),
            ids_edited=n_edits,
        )


def build_export(changes: ChangeSet, data: str | Path) -> ExportResult:
    """Plan and check the change of the data folder (or .tar.gz) at ``data``; writes nothing."""
    t0 = time.perf_counter()
    path = Path(data)
    folder = _Folder(path)
    try:
        layout = detect_layout(folder)
        planner = _Planner(changes, folder, layout)
        planner.plan()
        result = planner.result(path)
    finally:
        folder.close()
    result.seconds = time.perf_counter() - t0
    return result
