"""`byline intake`: an author-page request (the Anthology's issue form) to a proposal.

For each request: resolve its pages to name blocks and split them with the engine (decisions
honoured); find the requester among the persons by anchors (mentions that carry the ORCID
iD or the OpenReview id, the registry person holding the ORCID iD, papers the supporting
text names by Anthology id or by title, the institution against the papers' affiliations);
propose the action of the request's type; say how sure byline is, whether a maintainer must
look (and why), and write the reply to post on the issue.

The proposed Anthology id of a new person is given by the export stage
(:func:`byline.export.intake.name_persons`), the patch by :func:`byline.export.intake`.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from byline.engine import BlockResult, Engine
from byline.errors import BylineError
from byline.names import fold, name_slug
from byline.sources.ids import paper_of
from byline.sources.records import Mention
from byline.sources.requests import PageRef, Request, RequestError
from byline.store.corpus import Corpus
from byline.store.decisions import DecidedState, Decision
from byline.store.intake_queue import QueuedRequest
from byline.store.intents import Assign

# Anchor weights: how strongly one kind of evidence ties a mention to the requester.
WEIGHTS = {
    "orcid": 1.0,  # the mention carries the request's ORCID iD
    "registry": 1.0,  # the mention carries the id of the registry person with that ORCID iD
    "openreview": 1.0,  # the mention carries the request's OpenReview id
    "paper_id": 0.9,  # the supporting text names the paper by its Anthology id
    "title": 0.85,  # the supporting text names the paper by its title (fuzzy)
    "affiliation": 0.5,  # the institution or a named affiliation matches the mention's
}
CLAIM = 0.85  # anchors at or above this weight are the requester's own word about a paper
ONE_PERSON = 0.7  # confidence of a one-person page without any anchor
UNCERTAIN = 0.5  # a paper of the requester below this engine confidence is flagged
TITLE_MATCH = 92
AFFILIATION_MATCH = 90

_PAPER_ID = re.compile(r"(?<![\w.])(\d{4}\.[a-z0-9]+(?:-[a-z0-9]+)*\.\d+|[A-Z]\d{2}-\d{4})(?!\d)")
_GENERIC = frozenset(
    """a an and at de del der des di du for in la le of the to und von university
    universitat universite universidad universidade universita institute institut
    instituto college school faculty department dept laboratory lab labs research center
    centre group inc ltd""".split()
)


class IntakeError(RequestError):
    """A request that reads well but cannot be carried out on this library."""


@dataclass
class Anchor:
    """One piece of evidence tying a mention to the requester.

    Attributes:
        kind: a key of :data:`WEIGHTS`.
        mention_id: the mention it points at.
        detail: what matched, for the reply.
    """

    kind: str
    mention_id: str
    detail: str

    @property
    def weight(self) -> float:
        return WEIGHTS[self.kind]


@dataclass
class ProposedPerson:
    """A person the proposal creates or fills.

    Attributes:
        key: the person's key in decisions and change sets: an existing registry id, or a
            byline key ``<slug>/<8 hex>`` for a new person.
        pid: the Anthology id (existing, or proposed by the export stage for a new person).
        first, last: the name it goes by.
        mention_ids: its mentions.
        new: whether the registry must get a new entry.
        orcid, degree, comment: the entry's fields (of the new entry, or as the registry has
            them).
        shared: whether other people keep mentions of its name (id needs a suffix then).
        requester: whether this is the person who asked.
        add_orcid, add_degree: what an existing entry lacks and the request gives (the
            patch adds them; a different ORCID iD is never overwritten).
        add_name: a name change's new name, (first, last), that an existing entry gets as
            its canonical name (its old canonical name, ``renamed_from``, stays a variant).
        variants: the other names of a new entry (a name change: the names on the papers).
        name_taken_by: registry persons that already go by the requested new name (a
            conflict: the name change is left out of the patch).
    """

    key: str
    pid: str | None
    first: str
    last: str
    mention_ids: list[str]
    new: bool
    orcid: str | None = None
    degree: str | None = None
    comment: str | None = None
    shared: bool = False
    requester: bool = False
    add_orcid: str | None = None
    add_degree: str | None = None
    add_name: tuple[str, str] | None = None
    renamed_from: tuple[str, str] | None = None
    variants: list[tuple[str, str]] = field(default_factory=list)
    name_taken_by: list[str] = field(default_factory=list)

    @property
    def given_orcid(self) -> str | None:
        """The ORCID iD the patch gives this person: a new entry's, or one added."""
        return self.orcid if self.new else self.add_orcid

    @property
    def given_name(self) -> tuple[str, str] | None:
        """The new name the patch gives this person: a new entry's that differs from the
        names on its papers, or the canonical name an existing entry gets."""
        if self.new:
            return (self.first, self.last) if self.variants else None
        return self.add_name


@dataclass
class Proposal:
    """What byline proposes for one request.

    Attributes:
        request: the parsed request.
        kind: verification, split, merge or name_change.
        pages: the block slugs of the request's pages.
        persons: the proposed persons, the requester first.
        others: paper ids on the pages left to other persons.
        confidence: how sure byline is that ``persons[0]`` is the requester, with these papers.
        needs_review: whether a maintainer must look before accepting.
        reasons: why review is needed (one line each).
        evidence: how the requester was found (one line each).
        uncertain: (paper id, engine confidence) of the requester's doubtful papers.
        page_persons: persons byline sees on the pages.
        titles: paper id -> (title, year) of every paper on the pages, for the reply.
        reply: the Markdown reply (filled by :func:`write_reply`).
        patched: False when the patch left this request out (with the reason in reasons).
    """

    request: Request
    kind: str
    pages: list[str]
    persons: list[ProposedPerson]
    others: list[str]
    confidence: float
    needs_review: bool
    reasons: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    uncertain: list[tuple[str, float]] = field(default_factory=list)
    page_persons: int = 1
    titles: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    reply: str = ""
    patched: bool = True

    @property
    def requester(self) -> ProposedPerson:
        return self.persons[0]

    @property
    def papers(self) -> list[str]:
        return _papers(self.requester.mention_ids)

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` contract (exact keys)."""
        return {
            "request": self.request.source,
            "kind": self.kind,
            "pages": list(self.pages),
            "orcid": self.request.orcid,
            "person": self.requester.pid,
            "papers": self.papers,
            "others": list(self.others),
            "confidence": round(float(self.confidence), 4),
            "needs_review": bool(self.needs_review),
            "reply": self.reply,
        }


def _papers(mention_ids: list[str]) -> list[str]:
    return sorted({paper_of(m) for m in mention_ids})


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def _distinctive(text: str) -> str:
    return " ".join(w for w in _norm(text).split() if w not in _GENERIC)


# ----------------------------------------------------------------------------- pages


def page_slugs(corpus: Corpus, request: Request) -> list[str]:
    """The name blocks of the request's pages, in order; :class:`IntakeError` for a page the
    library does not hold."""
    out: list[str] = []
    for ref in request.pages:
        for slug in _page_blocks(corpus, ref, request.label):
            if slug not in out:
                out.append(slug)
    return out


def _page_blocks(corpus: Corpus, ref: PageRef, label: str) -> list[str]:
    person = corpus.persons.get(ref.key) if ref.form == "verified" else None
    if person is not None and not person.catch_all:
        slugs = [n.slug for n in person.names if n.slug in corpus.blocks]
        slugs += sorted({m.slug for m in corpus.mentions if m.person_id == ref.key} - set(slugs))
        if slugs:
            return slugs
    slug = ref.key if ref.key in corpus.blocks else name_slug(ref.key.replace("-", " "), "")
    if slug in corpus.blocks:
        return [slug]
    from byline.tasks.split import UnknownName, resolve_name

    try:
        return [resolve_name(corpus, ref.key.replace("-", " "))]
    except UnknownName as exc:
        hint = f"; closest: {', '.join(exc.suggestions)}" if exc.suggestions else ""
        raise IntakeError(
            label, "Author Pages", f"{ref.url}: no such author page in the library{hint}"
        ) from None


# ----------------------------------------------------------------------------- anchors


def find_anchors(corpus: Corpus, request: Request, mentions: list[Mention]) -> list[Anchor]:
    """Every anchor of the request among ``mentions`` (see :data:`WEIGHTS`)."""
    anchors: list[Anchor] = []
    holder = registry_person(corpus, request.orcid)
    named_ids = set(_PAPER_ID.findall(request.supporting))
    text = _norm(request.supporting)
    inst = _distinctive(request.institution or "")
    for m in mentions:
        mid = m.mention_id
        if request.orcid and m.orcid == request.orcid:
            anchors.append(Anchor("orcid", mid, f"{m.paper_id} carries your ORCID iD"))
        elif holder and m.person_id == holder:
            anchors.append(Anchor("registry", mid, f"{m.paper_id} carries the id {holder}"))
        if request.openreview and m.openreview == request.openreview:
            anchors.append(Anchor("openreview", mid, f"{m.paper_id} carries your OpenReview id"))
        if m.paper_id in named_ids:
            anchors.append(Anchor("paper_id", mid, f"you named {m.paper_id}"))
        else:
            title = _norm(corpus.papers[m.paper_id].title)
            if len(title) >= 15 and len(title.split()) >= 3 and text:
                score = fuzz.partial_ratio(title, text)
                if score >= TITLE_MATCH:
                    anchors.append(Anchor("title", mid, f"you named the title of {m.paper_id}"))
        aff = m.affiliation or ""
        if aff:
            mine = _distinctive(aff)
            by_inst = inst and mine and fuzz.token_set_ratio(inst, mine) >= AFFILIATION_MATCH
            by_text = (
                len(mine) >= 6 and text and fuzz.partial_ratio(mine, text) >= AFFILIATION_MATCH
            )
            if by_inst or by_text:
                anchors.append(Anchor("affiliation", mid, f"the affiliation {aff}"))
    return anchors


@dataclass
class _RegistryIndex:
    corpus: Corpus
    by_orcid: dict[str, str]
    by_slug: dict[str, list[str]]


_INDEX: dict[int, _RegistryIndex] = {}


def _registry(corpus: Corpus) -> _RegistryIndex:
    """ORCID iD -> person and name slug -> persons of the registry (built once per corpus)."""
    idx = _INDEX.get(id(corpus))
    if idx is None or idx.corpus is not corpus:
        by_orcid: dict[str, str] = {}
        by_slug: dict[str, list[str]] = {}
        for p in corpus.persons.values():
            if p.orcid and not p.catch_all:
                by_orcid.setdefault(p.orcid, p.person_id)
            for slug in {n.slug for n in p.names}:
                by_slug.setdefault(slug, []).append(p.person_id)
        idx = _INDEX[id(corpus)] = _RegistryIndex(corpus, by_orcid, by_slug)
    return idx


def registry_person(corpus: Corpus, orcid: str | None) -> str | None:
    """The (non-catch-all) registry person holding ``orcid``, if any."""
    return _registry(corpus).by_orcid.get(orcid) if orcid else None


def registry_names(corpus: Corpus, slugs: set[str]) -> list[str]:
    """Ids of the registry persons (catch-alls included) going by one of these name slugs."""
    by_slug = _registry(corpus).by_slug
    return sorted({pid for s in slugs for pid in by_slug.get(s, ())})


# ----------------------------------------------------------------------------- requester


@dataclass
class _Found:
    """The requester on one block."""

    result: BlockResult
    key: str  # the engine's key of the requester's group
    mention_ids: list[str]
    confidence: float
    evidence: list[str]
    reasons: list[str]


def find_requester(engine: Engine, request: Request, result: BlockResult) -> _Found:
    """The requester's person on one split block, with evidence and confidence."""
    corpus = engine.corpus
    groups = result.groups()
    index = {m.mention_id: i for i, m in enumerate(result.mentions)}
    anchors = find_anchors(corpus, request, result.mentions)
    reasons: list[str] = []
    # a mention carrying another ORCID iD is someone else, whatever else matches
    foreign = {
        m.mention_id
        for m in result.mentions
        if request.orcid and m.orcid and m.orcid != request.orcid
    }
    anchors = [a for a in anchors if a.mention_id not in foreign]
    score: dict[str, float] = {}
    for a in anchors:
        key = result.keys[index[a.mention_id]]
        score[key] = max(score.get(key, 0.0), a.weight) + 0.01  # more anchors break ties
    if score:
        ranked = sorted(score.items(), key=lambda kv: (-kv[1], -len(groups[kv[0]]), kv[0]))
        key, best = ranked[0]
        strength = max(a.weight for a in anchors if result.keys[index[a.mention_id]] == key)
        if len(groups) == 1:  # a weak anchor does not make a one-person page less sure
            strength = max(strength, ONE_PERSON)
        if len(ranked) > 1 and ranked[1][1] >= best - 0.05:
            reasons.append(
                f"the evidence points at {sum(1 for _, s in ranked if s >= best - 0.05)} "
                f"of the persons on {result.slug} equally"
            )
            strength *= 0.6
    elif len(groups) == 1:
        (key,) = groups
        strength = ONE_PERSON
    else:
        key = max(groups, key=lambda k: (len(groups[k]), k))
        strength = 0.3
        reasons.append(
            f"nothing in the request ties you to one of the {len(groups)} persons on "
            f"{result.slug}; byline took the one with the most papers"
        )
    mine = [
        result.mentions[i].mention_id
        for i in groups[key]
        if result.mentions[i].mention_id not in foreign
    ]
    claimed = [a for a in anchors if a.weight >= CLAIM and result.keys[index[a.mention_id]] != key]
    for a in claimed:
        if a.mention_id not in mine:
            mine.append(a.mention_id)
            reasons.append(
                f"{paper_of(a.mention_id)} is yours by your own word ({a.detail}), "
                "but byline puts it with another person"
            )
    mine.sort()
    conf = [float(result.confidence[index[m]]) for m in mine]
    said = Counter(a.detail for a in anchors if a.mention_id in mine)
    evidence = sorted(
        (f"{n} of your papers give {d}" if n > 1 else f"1 paper gives {d}")
        if d.startswith("the affiliation ")
        else d
        for d, n in said.items()
    )
    if not anchors and len(groups) == 1:
        evidence.append(f"byline sees one person on {result.slug}")
    return _Found(
        result=result,
        key=key,
        mention_ids=mine,
        confidence=strength * (sum(conf) / len(conf) if conf else 0.0),
        evidence=evidence,
        reasons=reasons,
    )


# ----------------------------------------------------------------------------- proposals


def _new_key(slug: str, seed: str) -> str:
    return f"{slug}/{hashlib.sha1(f'intake {seed}'.encode()).hexdigest()[:8]}"


def _split_name(text: str) -> tuple[str, str]:
    """ "Jiarui Fenwick-Reid" -> ("Jiarui", "Fenwick-Reid"); "Fenwick, Jiarui" the same."""
    text = " ".join(text.split())
    if "," in text:
        last, first = (x.strip() for x in text.split(",", 1))
        return first, last
    parts = text.rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])


def _commonest_name(mentions: list[Mention]) -> tuple[str, str]:
    return Counter((m.first, m.last) for m in mentions).most_common(1)[0][0]


def _person(
    engine: Engine,
    found_key: str,
    mention_ids: list[str],
    request: Request,
    *,
    requester: bool,
    shared: bool,
    name: tuple[str, str] | None = None,
) -> ProposedPerson:
    corpus = engine.corpus
    by_id = {
        m.mention_id: m
        for s in {paper_of(m) for m in mention_ids}
        for m in corpus.papers[s].authors
    }
    ms = [by_id[m] for m in mention_ids]
    first, last = name or _commonest_name(ms)
    taken_by: list[str] = []
    holder = registry_person(corpus, request.orcid) if requester else None
    existing = holder or (
        found_key if found_key in corpus.persons and not corpus.is_catch_all(found_key) else None
    )
    if existing is None and not any(m.person_id for m in ms):
        # mentions without id that the registry gives to exactly one person by their names
        by_name = [corpus.persons[pid] for pid in registry_names(corpus, {m.slug for m in ms})]
        if len(by_name) == 1 and not (by_name[0].catch_all or by_name[0].disable_name_matching):
            existing = by_name[0].person_id
    add_orcid = add_degree = None
    add_name = renamed_from = None
    variants: list[tuple[str, str]] = []
    if name:  # a name change: the new name must not be another registry person's
        taken_by = [
            pid
            for pid in registry_names(corpus, {name_slug(*name)})
            if pid != existing and not corpus.persons[pid].catch_all
        ]
        if taken_by:
            first, last = _commonest_name(ms)
    if existing:
        entry = corpus.persons[existing]
        key, pid, new = existing, existing, False
        orcid, degree, comment = entry.orcid, entry.degree, entry.comment
        if requester and not (orcid and request.orcid and orcid != request.orcid):
            add_orcid = request.orcid if not orcid else None
            add_degree = request.institution if not degree else None
        canonical = (entry.names[0].first, entry.names[0].last)
        if name and not taken_by and name != canonical:
            add_name, renamed_from = name, canonical
    else:
        if name and not taken_by:
            variants = sorted({(m.first, m.last) for m in ms} - {name})
        affs = Counter(m.affiliation for m in ms if m.affiliation)
        degree = request.institution if requester else None
        comment = (degree if shared else None) or (affs.most_common(1)[0][0] if affs else None)
        seed = request.orcid if requester and request.orcid else f"{request.label} {found_key}"
        key = (
            found_key
            if "/" in found_key and not requester
            else _new_key(name_slug(first, last), seed)
        )
        pid, new, orcid = None, True, request.orcid if requester else None
    return ProposedPerson(
        key=key,
        pid=pid,
        first=first,
        last=last,
        mention_ids=mention_ids,
        new=new,
        orcid=orcid,
        degree=degree,
        comment=comment,
        shared=shared,
        requester=requester,
        add_orcid=add_orcid,
        add_degree=add_degree,
        add_name=add_name,
        renamed_from=renamed_from,
        variants=variants,
        name_taken_by=taken_by,
    )


def propose(engine: Engine, request: Request) -> Proposal:
    """The proposal for one parsed request (nothing is written)."""
    corpus = engine.corpus
    slugs = page_slugs(corpus, request)
    results = [engine.split_block(s) for s in slugs]
    kind = request.kind
    found = [find_requester(engine, request, r) for r in results]
    titles = {
        m.paper_id: (corpus.papers[m.paper_id].title, corpus.papers[m.paper_id].year)
        for r in results
        for m in r.mentions
    }
    reasons: list[str] = []
    evidence: list[str] = []
    for f in found:
        reasons += f.reasons
        evidence += f.evidence
    n_persons = sum(len(r.groups()) for r in results)
    if kind == "merge":
        primary = found
        if len(slugs) < 2:
            reasons.append("a merge needs two or more pages; the request gives one")
    else:
        primary = [max(found, key=lambda f: (f.confidence, len(f.mention_ids)))]
        if len(found) > 1:
            reasons.append(
                f"the request lists {len(slugs)} pages; byline proposes on {primary[0].result.slug}"
            )
    mine = sorted({m for f in primary for m in f.mention_ids})
    all_ids = [m.mention_id for r in results for m in r.mentions]
    rest = [m for m in all_ids if m not in set(mine)]
    shared = bool(rest) or _registry_shares(corpus, slugs, request)
    name = None
    if kind == "name_change" and request.preferred_name:
        name = _split_name(request.preferred_name)
    me = _person(engine, primary[0].key, mine, request, requester=True, shared=shared, name=name)
    persons = [me]
    if kind == "split":
        for f, r in zip(found, results, strict=True):
            for key, idx in sorted(r.groups().items()):
                if key == f.key:
                    continue
                ids = [
                    r.mentions[i].mention_id
                    for i in idx
                    if r.mentions[i].mention_id not in set(mine)
                ]
                if ids:
                    persons.append(_person(engine, key, ids, request, requester=False, shared=True))
        if len(persons) == 1:
            reasons.append(
                "byline sees one person on this page; a split needs the papers that are not "
                "yours named in the request"
            )
    conf = [f.confidence for f in primary]
    confidence = min(conf) if conf else 0.0
    papers_total = len({paper_of(m) for m in all_ids})
    others_papers = _papers(rest)
    if kind in ("verification", "name_change") and n_persons > 1:
        reasons.insert(
            0,
            f"this page holds {n_persons} people; {len(_papers(mine))} of its {papers_total} "
            "papers are yours",
        )
    if me.orcid and request.orcid and me.orcid != request.orcid:
        reasons.append(
            f"conflict: the registry gives {me.pid} the ORCID iD {me.orcid}, not "
            f"{request.orcid}; the patch keeps {me.orcid} (an ORCID iD is never overwritten)"
        )
    if me.name_taken_by and name:
        reasons.append(
            f"conflict: the name {' '.join(name)} is already a name of "
            f"{', '.join(me.name_taken_by)}; the patch leaves the name change out (a "
            "maintainer makes it by hand)"
        )
    index = {m.mention_id: (r, i) for r in results for i, m in enumerate(r.mentions)}
    uncertain = sorted(
        (paper_of(mid), round(float(index[mid][0].confidence[index[mid][1]]), 2))
        for mid in mine
        if float(index[mid][0].confidence[index[mid][1]]) < UNCERTAIN
    )
    if uncertain:
        reasons.append(f"byline is unsure of {len(uncertain)} of your papers (marked below)")
    if confidence < 0.6:
        reasons.append(f"confidence {confidence:.2f} is low")
    return Proposal(
        request=request,
        kind=kind,
        pages=slugs,
        persons=persons,
        others=others_papers,
        confidence=confidence,
        needs_review=bool(reasons),
        reasons=reasons,
        evidence=sorted(set(evidence)),
        uncertain=uncertain,
        page_persons=n_persons,
        titles=titles,
    )


def _registry_shares(corpus: Corpus, slugs: list[str], request: Request) -> bool:
    """Whether another registry person goes by one of these names."""
    holder = registry_person(corpus, request.orcid)
    return any(
        pid != holder and not corpus.persons[pid].catch_all
        for pid in registry_names(corpus, set(slugs))
    )


def merge_evidence(engine: Engine, proposal: Proposal) -> list[str]:
    """The name-variant evidence of ``byline merge`` between the pages of a merge request."""
    from byline.tasks.merge import MergeModel, find_merges

    pages = set(proposal.pages)
    if len(pages) < 2:
        return []
    lines = []
    try:
        cands = find_merges(engine, MergeModel.load(), proposal.pages[0], include_known=True)
    except BylineError:
        return []
    for c in cands:
        covered = (set(c.source_slugs) | set(c.target_slugs)) & pages
        if len(covered) >= 2:
            ev = c.evidence
            lines.append(
                f"byline merge scores {c.source_name} / {c.target_name} at {c.score:.2f} "
                f"({', '.join(c.kinds) or 'name evidence'}; P(same) mean {ev.p_mean:.2f}"
                + (f"; shared co-authors: {', '.join(ev.coauthors[:3])}" if ev.coauthors else "")
                + ")"
            )
    return lines[:3]


# ----------------------------------------------------------------------------- reply


def _paper_line(pid: str, titles: dict[str, tuple[str, int | None]], note: str = "") -> str:
    title, year = titles.get(pid, ("", None))
    return (
        f"- [{pid}](https://aclanthology.org/{pid}/) {title}"
        + (f" ({year})" if year else "")
        + (f" {note}" if note else "")
    )


_ACTIONS = {
    "verification": "verify your author page",
    "split": "split the author page",
    "merge": "merge the author pages",
    "name_change": "record your name change",
}


def write_reply(p: Proposal) -> str:
    """The Markdown reply to post on the request's issue."""
    me = p.requester
    name = f"{me.first} {me.last}".strip()
    lines = [f"Thank you for your request. byline proposes to {_ACTIONS[p.kind]}:", ""]
    who = f"`{me.pid}`" if me.pid else "a new person"
    if me.new:
        fields = [f"ORCID iD {p.request.orcid}" if p.request.orcid else None]
        fields.append(f"degree institution {me.degree}" if me.degree else None)
        extra = ", ".join(f for f in fields if f)
        aka = ", ".join(" ".join(x for x in v if x) for v in me.variants)
        lines.append(
            f"- a verified person {who} ({name}){', with ' + extra if extra else ''}"
            + (f"; the name on your papers, {aka}, kept as a variant" if aka else "")
            + ";"
        )
    else:
        added = [f"ORCID iD {me.add_orcid}" if me.add_orcid else None]
        added.append(f"degree institution {me.add_degree}" if me.add_degree else None)
        if me.add_name and me.renamed_from:
            added.append(
                f"the name {' '.join(x for x in me.add_name if x)} as its canonical name "
                f"({' '.join(x for x in me.renamed_from if x)} kept as a variant)"
            )
        given = [a for a in added if a]
        extra = " and ".join([", ".join(given[:-1]), given[-1]] if len(given) > 2 else given)
        lines.append(
            f"- the existing person {who} ({name})"
            + (f", whose entry gets {extra}" if extra else "")
            + ";"
        )
    n = len(p.papers)
    lines.append(f"- {n} {'paper' if n == 1 else 'papers'} given to {who}.")
    if p.kind == "split" and len(p.persons) > 1:
        lines.append(f"- the other papers split into {len(p.persons) - 1} more persons:")
        for q in p.persons[1:]:
            label = f"`{q.pid}`" if q.pid else "a new person"
            lines.append(
                f"  - {label}: {len(_papers(q.mention_ids))} papers"
                + (f" ({q.comment})" if q.comment else "")
            )
    lines.append("")
    if p.evidence:
        lines.append("**How byline found you:** " + "; ".join(p.evidence) + ".")
        lines.append("")
    if p.reasons:
        lines.append("**A maintainer will check this first:**")
        lines += [f"- {r}" for r in p.reasons]
        lines.append("")
    flagged = dict(p.uncertain)
    lines.append(f"**Your papers ({n}):**")
    lines.append("")
    for pid in p.papers:
        note = f"⚠️ uncertain (confidence {flagged[pid]:.2f})" if pid in flagged else ""
        lines.append(_paper_line(pid, p.titles, note))
    if p.others:
        lines.append("")
        where = "these pages" if len(p.pages) > 1 else "this page"
        lines.append(f"**Left to other people on {where} ({len(p.others)}):**")
        lines.append("")
        lines += [_paper_line(pid, p.titles) for pid in p.others]
    lines.append("")
    lines.append(
        "If a paper is missing or should not be listed, reply with its Anthology id "
        f"(confidence of this proposal: {p.confidence:.2f})."
    )
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- batch


def check_batch(proposals: list[Proposal]) -> list[str]:
    """Contradictions between the proposals of one batch (the same paper given to two
    different persons, two ORCID iDs or two new names given to one person, one ORCID iD or
    one new name to two); every side is marked ``patched = False`` and ``needs_review``."""
    claims: dict[str, dict[str, list[int]]] = {}
    for i, p in enumerate(proposals):
        for person in p.persons:
            for mid in person.mention_ids:
                claims.setdefault(mid, {}).setdefault(person.key, []).append(i)
    # ORCID iDs the patch gives (new entries, entries that lack one): one per person, one
    # person per iD
    by_person: dict[str, dict[str, list[int]]] = {}
    by_orcid: dict[str, dict[str, list[int]]] = {}
    names_of: dict[str, dict[str, list[int]]] = {}
    by_name: dict[str, dict[str, list[int]]] = {}
    for i, p in enumerate(proposals):
        for person in p.persons:
            if person.given_orcid:
                by_person.setdefault(person.key, {}).setdefault(person.given_orcid, []).append(i)
                by_orcid.setdefault(person.given_orcid, {}).setdefault(person.key, []).append(i)
            if person.given_name:
                full = " ".join(x for x in person.given_name if x)
                names_of.setdefault(person.key, {}).setdefault(full, []).append(i)
                slug = name_slug(*person.given_name)
                by_name.setdefault(slug, {}).setdefault(person.key, []).append(i)
    messages: list[str] = []

    def mark(by: dict[str, list[int]], what: str) -> None:
        sides = sorted({i for idx in by.values() for i in idx})
        labels = [proposals[i].request.label for i in sides]
        msg = f"{what} by {', '.join(labels[:-1])} and {labels[-1]}; they are left out of the patch"
        if msg in messages:
            return
        messages.append(msg)
        for i in sides:
            p = proposals[i]
            p.patched = False
            p.needs_review = True
            p.reasons.append(msg)

    for mid, by_key in sorted(claims.items()):
        if len(by_key) > 1:
            mark(by_key, f"{paper_of(mid)} is claimed")
    for key, orcids in sorted(by_person.items()):
        if len(orcids) > 1:
            mark(orcids, f"{key} is given {len(orcids)} different ORCID iDs")
    for orcid, keys in sorted(by_orcid.items()):
        if len(keys) > 1:
            mark(keys, f"ORCID iD {orcid} is given to {len(keys)} different persons")
    for key, names in sorted(names_of.items()):
        if len(names) > 1:
            mark(names, f"{key} is given {len(names)} different new names")
    for slug, keys in sorted(by_name.items()):
        if len(keys) > 1:
            mark(keys, f"the new name {slug} is given to {len(keys)} different persons")
    return messages


def propose_batch(
    engine: Engine, requests: list[Request | RequestError]
) -> list[Proposal | RequestError]:
    """Proposals of a batch, in order; a request that cannot be carried out stays as its
    error. Merge requests get ``byline merge``'s name-variant evidence; contradictions
    between requests are marked (:func:`check_batch`)."""
    out: list[Proposal | RequestError] = []
    for r in requests:
        if isinstance(r, RequestError):
            out.append(r)
            continue
        try:
            p = propose(engine, r)
        except RequestError as exc:
            out.append(exc)
            continue
        except BylineError as exc:
            out.append(RequestError(r.label, None, str(exc)))
            continue
        if p.kind == "merge":
            p.evidence += merge_evidence(engine, p)
        out.append(p)
    check_batch([p for p in out if isinstance(p, Proposal)])
    return out


def _slug_of(corpus: Corpus, mention_id: str) -> str:
    paper = corpus.papers[paper_of(mention_id)]
    return next(m.slug for m in paper.authors if m.mention_id == mention_id)


def proposal_note(p: Proposal) -> str:
    """The note stored with the decisions that carry out ``p``."""
    return f"byline intake {p.request.label}: {p.kind}" + (
        f", ORCID {p.request.orcid}" if p.request.orcid else ""
    )


def proposal_intents(corpus: Corpus, p: Proposal) -> list[Assign]:
    """The maintainer intents that carry out ``p``: each proposed person (all of a split's,
    else the requester) gets its mentions, on every name they are on (``assign``), named
    when it is new or renamed."""
    intents = []
    for person in p.persons if p.kind == "split" else [p.requester]:
        named = person.new or p.kind == "name_change"
        by_slug: dict[str, list[str]] = {}
        for mid in person.mention_ids:
            by_slug.setdefault(_slug_of(corpus, mid), []).append(mid)
        intents.append(
            Assign(
                by_slug,
                person.key,
                (person.first, person.last) if named else None,
                proposal_note(p),
            )
        )
    return intents


@dataclass
class Recorded:
    """What ``--record`` did with one proposal.

    Attributes:
        proposal: the proposal.
        decisions: the decisions written (one action, one transaction), empty if none.
        error: why nothing was written, if so (a contradiction in the batch, a name that
            changed since it was read, an intent that cannot hold).
    """

    proposal: Proposal
    decisions: list[Decision]
    error: str | None = None


def record_proposals(
    engine: Engine, proposals: list[Proposal], actor: str = "intake"
) -> list[Recorded]:
    """Store each proposal as decisions, ONE action per request (:mod:`byline.store.intents`,
    as ``merge --apply`` and ``assign --record``): all of its decisions, on every name it
    touches, or none. So they show on the review page, can be undone and constrain later
    splits.

    Each name must still be at the version the engine's decisions were read at (this
    batch's own earlier requests aside); otherwise, as for a proposal the batch check left
    out (contradictions), nothing of that request is written and its :class:`Recorded`
    says why. The other requests are still recorded.
    """
    from byline.store.intents import Shown, apply_intents

    if engine.store is None:
        raise BylineError("--record needs a store")
    version = engine.model.version if engine.model else ""
    state = engine.decisions or DecidedState()
    written: dict[str, int] = {}  # name -> its version after this batch's own decisions
    out: list[Recorded] = []
    for p in proposals:
        if not p.patched:
            out.append(Recorded(p, [], "it contradicts another request of the batch"))
            continue
        intents = proposal_intents(engine.corpus, p)
        slugs = {s for i in intents for s in i.mentions}
        shown = {s: Shown(written.get(s, state.version(s))) for s in slugs}
        try:
            done = apply_intents(engine.store, intents, shown, actor=actor, model_version=version)
        except BylineError as exc:
            out.append(Recorded(p, [], str(exc)))
            continue
        for d in done:
            written[d.slug] = max(written.get(d.slug, 0), d.version)
        out.append(Recorded(p, done))
    return out


def proposal_doc(p: Proposal) -> dict[str, Any]:
    """What the review page shows of a proposal: the ``--json`` contract, its label, the
    reasons to look and how byline found the requester, and the proposed persons (the
    requester first)."""
    return {
        **p.as_json(),
        "label": p.request.label,
        "reasons": list(p.reasons),
        "evidence": list(p.evidence),
        "persons": [
            {
                "key": q.key,
                "pid": q.pid,
                "first": q.first,
                "last": q.last,
                "new": q.new,
                "mention_ids": sorted(q.mention_ids),
                "add_orcid": q.add_orcid,
                "add_degree": q.add_degree,
                "add_name": list(q.add_name) if q.add_name else None,
            }
            for q in (p.persons if p.kind == "split" else [p.requester])
        ],
    }


def queue_proposals(
    engine: Engine, proposals: list[Proposal], actor: str = "intake"
) -> list[QueuedRequest]:
    """Store each proposal as a pending request for the review page (no decision is written;
    a maintainer accepts it there, in one click, or decides by hand and closes it). The
    names' versions are those the engine's decisions were read at: a decision made before
    the accept makes it stale. Contradicting proposals are queued too (their reasons say
    so): accepting one makes the other stale."""
    from byline.store.intake_queue import queue_request

    if engine.store is None:
        raise BylineError("--queue needs a store")
    version = engine.model.version if engine.model else ""
    state = engine.decisions or DecidedState()
    out = []
    for p in proposals:
        intents = proposal_intents(engine.corpus, p)
        touched = {s for i in intents for s in i.mentions}
        out.append(
            queue_request(
                engine.store,
                request=p.request.label,
                kind=p.kind,
                slugs=p.pages,
                proposal=proposal_doc(p),
                intents=intents,
                versions={s: state.version(s) for s in touched},
                actor=actor,
                model_version=version,
            )
        )
    return out
