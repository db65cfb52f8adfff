"""What the review page shows and does, without HTTP: the queue, a name's persons, decisions.

One :class:`Review` holds the engine (corpus, statistics, model: loaded once, never changed
by a request) and a cache of the last split of each name, keyed by the name's decision
version, so a page is re-split only when a decision changed it (here or in another process
sharing the store). Each split runs on its own view of the engine, with the decisions read
for it and the name's last keys, so concurrent requests never share mutable state.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, select

from byline.engine import BlockResult, Engine, remember
from byline.engine.confidence import LOW_CONFIDENCE
from byline.errors import BylineError
from byline.names import fold, name_slug
from byline.store import Store
from byline.store import schema as t
from byline.store.decisions import (
    DecidedState,
    Decision,
    check_version,
    decided_state,
    history,
    name_version,
    undo,
)
from byline.store.intake_queue import QueuedRequest, accept_request, close_request, queued_requests
from byline.store.intents import (
    Confirm,
    Intent,
    IntentError,
    MergeInto,
    Move,
    NewPerson,
    NotPerson,
    Shown,
    plan_intent,
    record_planned,
)
from byline.tasks.split import (
    PaperRow,
    PersonSummary,
    UnknownName,
    display_names,
    summarize,
)

UNSURE = 0.8  # a paper below this confidence is marked as worth a look
ACTIONS = ("assign", "new", "not_person", "confirm", "merge")  # the name page's forms


class BadRequest(BylineError):
    """A form that cannot be carried out as sent (HTTP 400)."""


@dataclass
class QueueRow:
    slug: str
    name: str
    mentions: int
    persons: int | None  # predicted persons, when predictions are stored
    unsure: int  # papers below UNSURE confidence (predictions only)
    score: float
    version: int = 0


@dataclass
class PersonView:
    key: str
    label: str  # how the person is called on the page
    note: str  # registry comment ("University of Edinburgh"), if any
    summary: PersonSummary
    topics: list[str]
    confirmed: bool
    decided: set[str] = field(default_factory=set)  # mention ids a maintainer placed here

    @property
    def papers(self) -> list[PaperRow]:
        return self.summary.papers

    @property
    def low(self) -> int:
        return sum(r.confidence < LOW_CONFIDENCE for r in self.summary.papers)


@dataclass
class RequestView:
    """A pending author-page request (``byline intake --queue``) as a name page shows it.

    Attributes:
        id, label, kind: the queued request, its file or issue, its type.
        person: the requester's proposed person (Anthology id, else byline key).
        first, last: the name it goes by.
        new: whether the proposal creates the person.
        added: what an existing entry gets ("ORCID iD ... and degree institution ..."), if any.
        papers: (paper id, title, url) of the requester's papers.
        others: (person, number of papers) of a split's other proposed persons.
        confidence, needs_review, reasons, reply: the proposal's.
        created: who queued it and when.
        stale: names that changed since the proposal (then it cannot be accepted).
        here: the requester's mentions on this name (what "edit" selects).
        orcid: the request's ORCID iD, if any (decisions do not carry it: the patch does).
    """

    id: int
    label: str
    kind: str
    person: str
    first: str
    last: str
    new: bool
    added: str
    papers: list[tuple[str, str, str]]
    others: list[tuple[str, int]]
    confidence: float
    needs_review: bool
    reasons: list[str]
    reply: str
    created: str
    stale: list[str]
    here: list[str]
    orcid: str | None = None

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}".strip()


@dataclass
class NameView:
    slug: str
    name: str
    version: int
    persons: list[PersonView]
    history: list[Decision]
    mentions: int
    seconds: float
    requests: list[RequestView] = field(default_factory=list)
    editing: RequestView | None = None  # the request being edited (?request=ID)
    preselect: set[str] = field(default_factory=set)  # papers ticked on arrival
    prefill: tuple[str, str] = ("", "")  # the new person's name on arrival
    prefill_person: str = ""  # the person to move to, on arrival


class Split(NamedTuple):
    """A name's split at one decision version, with the decisions it was made under."""

    version: int
    result: BlockResult
    decisions: DecidedState


class Review:
    """The review page's state: one engine for all requests (read only), a per-name split
    cache, and the last person keys of every mention (``previous``: the engine's, then
    updated by every split decided here)."""

    def __init__(self, engine: Engine) -> None:
        if engine.store is None:
            raise BylineError("the review page needs a store")
        self.engine = engine
        self.store: Store = engine.store
        self.corpus = engine.corpus
        self.previous: dict[str, str] = dict(engine.previous)
        self.lock = threading.RLock()
        self.names = display_names(self.corpus)
        self._slugs = list(self.names)
        self._folded = [utils.default_process(self.names[s]) for s in self._slugs]
        self._cache: dict[str, Split] = {}
        self._terms: np.ndarray | None = None
        self.queue_source = ""
        self.queue: dict[str, QueueRow] = self._build_queue()

    @property
    def model_version(self) -> str:
        return self.engine.model.version if self.engine.model else ""

    # --- search and queue ------------------------------------------------------------------

    def search(self, query: str, limit: int = 20) -> tuple[str | None, list[tuple[str, str, int]]]:
        """(exact slug or None, [(slug, name, mentions)] closest names)."""
        q = query.strip()
        if not q:
            return None, []
        exact = self._exact(q)
        if exact:
            return exact, []
        hits = process.extract(
            utils.default_process(q),
            self._folded,
            scorer=fuzz.WRatio,
            processor=None,
            limit=limit,
        )
        slugs = [self._slugs[h[2]] for h in hits]
        return None, [(s, self.names[s], len(self.corpus.blocks[s])) for s in slugs]

    def _exact(self, query: str) -> str | None:
        for cand in (query, name_slug(query, "")):
            if cand in self.corpus.blocks:
                return cand
        return None

    def _build_queue(self) -> dict[str, QueueRow]:
        """Names worth a maintainer's look, most likely conflated first.

        Both orders are weighted by how likely the name is shared by chance (``_shared``),
        so one prolific author with a rare name does not outrank a common name. With stored
        predictions (``byline split --all``): the model's uncertainty, sum(1 - confidence)
        over undecided mentions plus one per extra predicted person. Without: the papers
        the name would have by chance, capped by its size.
        """
        with self.store.connect() as conn:
            n_pred = conn.execute(select(func.count()).select_from(t.predictions)).scalar() or 0
            versions = dict(conn.execute(select(t.name_versions)).all())
            rows: list = []
            if n_pred:
                rows = conn.execute(
                    select(
                        t.predictions.c.slug,
                        t.predictions.c.person,
                        t.predictions.c.confidence,
                        t.predictions.c.mention_id,
                    )
                ).all()
        decided = self.engine.decisions or DecidedState()
        queue: dict[str, QueueRow] = {}
        if rows:
            self.queue_source = (
                "the stored predictions' uncertainty (sum of 1 - confidence, plus one per extra "
                "person), weighted by how likely the name is shared by chance"
            )
            persons: dict[str, set[str]] = {}
            doubt: Counter[str] = Counter()
            unsure: Counter[str] = Counter()
            for slug, person, conf, mid in rows:
                persons.setdefault(slug, set()).add(person)
                if decided.person_of(mid) is None:
                    doubt[slug] += 1.0 - conf
                    unsure[slug] += conf < UNSURE
            for slug, ps in persons.items():
                n = len(self.corpus.blocks.get(slug, ()))
                if n < 2:
                    continue
                queue[slug] = QueueRow(
                    slug,
                    self.names[slug],
                    n,
                    len(ps),
                    unsure[slug],
                    round((doubt[slug] + len(ps) - 1) * self._shared(slug), 3),
                    versions.get(slug, 0),
                )
            missing = [s for s, ms in self.corpus.blocks.items() if len(ms) > 1 and s not in queue]
            for slug in missing:  # names ingested after the last `split --all`: the prior
                n = len(self.corpus.blocks[slug])
                queue[slug] = QueueRow(
                    slug,
                    self.names[slug],
                    n,
                    None,
                    0,
                    round(n * self._shared(slug), 3),
                    versions.get(slug, 0),
                )
        else:
            self.queue_source = (
                "a prior: the papers the name would have by chance, first-name x last-name "
                "frequency, capped by its size (run `byline split --all` for the model's own "
                "uncertainty)"
            )
            for slug, ms in self.corpus.blocks.items():
                if len(ms) < 2:
                    continue
                queue[slug] = QueueRow(
                    slug,
                    self.names[slug],
                    len(ms),
                    None,
                    0,
                    round(len(ms) * self._shared(slug), 3),
                    versions.get(slug, 0),
                )
        return queue

    def _shared(self, slug: str) -> float:
        """How likely the name is shared: the papers it would have by chance (first-name x
        last-name frequency over all mentions) over its papers, at most 1."""
        stats = self.engine.stats
        ms = self.corpus.blocks[slug]
        m = ms[0]
        chance = (
            stats.first_count.get(fold(m.first), 0)
            * stats.last_count.get(fold(m.last), 0)
            / max(stats.mentions, 1)
        )
        return min(1.0, chance / len(ms))

    def queue_page(self, page: int = 0, size: int = 50) -> tuple[list[QueueRow], int]:
        rows = sorted(self.queue.values(), key=lambda r: (-r.score, r.slug))
        return rows[page * size : (page + 1) * size], len(rows)

    def _requeue(self, split: Split) -> None:
        result, version = split.result, split.version
        open_ = [
            float(c)
            for m, c in zip(result.mentions, result.confidence, strict=True)
            if split.decisions.person_of(m.mention_id) is None
        ]
        persons = len(set(result.keys))
        score = round((sum(1.0 - c for c in open_) + persons - 1) * self._shared(result.slug), 3)
        old = self.queue.get(result.slug)
        if old is not None and old.persons is None:  # ranked by the prior: keep its scale
            score = old.score if open_ else 0.0
        self.queue[result.slug] = QueueRow(
            result.slug,
            self.names[result.slug],
            len(result.mentions),
            persons,
            sum(c < UNSURE for c in open_),
            score,
            version,
        )

    # --- one name ---------------------------------------------------------------------------

    def slug_of(self, query: str) -> str:
        """The block slug of a slug or name; UnknownName with the closest names otherwise."""
        exact = self._exact(query.strip())
        if exact:
            return exact
        hits = self.search(query, limit=5)[1]
        raise UnknownName(query, [f"{name} ({slug})" for slug, name, _ in hits])

    def split(self, slug: str) -> tuple[int, BlockResult]:
        """The current split of ``slug`` and its version, re-computed only when its
        decisions changed."""
        s = self._split(slug)
        return s.version, s.result

    def _split(self, slug: str) -> Split:
        cached = self._cache.get(slug)
        if cached and cached.version == name_version(self.store, slug):
            return cached
        with self.lock:  # one split at a time (the model and the embedder are shared)
            state = decided_state(self.store)
            cached = self._cache.get(slug)
            if cached and cached.version == state.version(slug):
                return cached
            result = self._engine_for(slug, state).split_block(slug)
            split = Split(state.version(slug), result, state)
            self._cache[slug] = split
            return split

    def _engine_for(self, slug: str, state: DecidedState) -> Engine:
        """A view of the shared engine for one split: the same corpus, model and embedding
        cache, with these decisions and the name's last person keys."""
        view = copy.copy(self.engine)
        view.decisions = state
        block = self.corpus.blocks[slug]
        view.previous = {m.mention_id: k for m in block if (k := self.previous.get(m.mention_id))}
        return view

    def view(self, slug: str, editing: int | None = None) -> NameView:
        """The name's page; ``editing``: the id of a pending request whose proposal the
        page arrives with (its papers ticked, its person picked or named)."""
        t0 = time.perf_counter()
        version, result, state = self._split(slug)
        persons = []
        for s in summarize(result, self.corpus):
            reg = self.corpus.persons.get(s.person)
            label = ""
            note = ""
            named = state.display_name(s.person)
            if named:
                label = " ".join(named).strip()
            if reg is not None and not reg.catch_all:
                label = label or (reg.names[0].full if reg.names else "")
                note = reg.comment or reg.degree or ""
            members = {r.mention_id for r in s.papers}
            persons.append(
                PersonView(
                    key=s.person,
                    label=label or result.mentions[0].full_name,
                    note=note,
                    summary=s,
                    topics=self.topics([r.paper_id for r in s.papers]),
                    confirmed=state.is_confirmed(s.person),
                    decided={m for m in members if state.person_of(m) == s.person},
                )
            )
        hist = list(reversed(history(self.store, slug)))
        view = NameView(
            slug=slug,
            name=self.names[slug],
            version=version,
            persons=persons,
            history=hist,
            mentions=len(result.mentions),
            seconds=round(time.perf_counter() - t0, 2),
            requests=[self._request_view(q, slug) for q in queued_requests(self.store, slug)],
        )
        if editing is not None:
            view.editing = next((r for r in view.requests if r.id == editing), None)
            if view.editing is None:
                raise BadRequest(f"no pending request #{editing} on {self.names[slug]}")
            view.preselect = set(view.editing.here)
            keys = {p.key for p in persons}
            if view.editing.new:
                view.prefill = (view.editing.first, view.editing.last)
            elif view.editing.person in keys:
                view.prefill_person = view.editing.person
        return view

    def _request_view(self, q: QueuedRequest, slug: str) -> RequestView:
        doc = q.proposal
        me = q.requester
        added = " and ".join(
            x
            for x in (
                f"ORCID iD {me['add_orcid']}" if me.get("add_orcid") else "",
                f"degree institution {me['add_degree']}" if me.get("add_degree") else "",
                f"the name {' '.join(x for x in me['add_name'] if x)}"
                if me.get("add_name")
                else "",
            )
            if x
        )
        papers = []
        for pid in doc.get("papers", []):
            paper = self.corpus.papers.get(pid)
            papers.append((pid, paper.title if paper else "", f"https://aclanthology.org/{pid}/"))
        block = {m.mention_id for m in self.corpus.blocks.get(slug, ())}
        return RequestView(
            id=q.id,
            label=doc.get("label", q.request),
            kind=q.kind,
            person=me.get("pid") or me["key"],
            first=me["first"],
            last=me["last"],
            new=bool(me.get("new")),
            added=added,
            papers=papers,
            others=[
                (o.get("pid") or o["key"], len({m.split("#")[0] for m in o["mention_ids"]}))
                for o in doc["persons"][1:]
            ],
            confidence=float(doc.get("confidence", 0.0)),
            needs_review=bool(doc.get("needs_review")),
            reasons=list(doc.get("reasons", [])),
            reply=doc.get("reply", ""),
            created=f"queued by {q.created_by}, {q.created_at}",
            stale=sorted(s for s, v in q.versions.items() if name_version(self.store, s) != v),
            here=sorted(m for m in me["mention_ids"] if m in block),
            orcid=doc.get("orcid"),
        )

    def pending_requests(self) -> list[tuple[int, str, str, str]]:
        """(id, label, kind, first name slug) of every pending request, oldest first."""
        return [
            (q.id, q.proposal.get("label", q.request), q.kind, q.slugs[0])
            for q in queued_requests(self.store)
            if q.slugs
        ]

    def accept_request(self, request_id: int, *, actor: str) -> list[Decision]:
        """Record a pending request's proposal as decisions and mark it accepted (one
        transaction), then re-split the names it touched. Refused (``StaleVersion``,
        nothing written) when one of them changed since the proposal."""
        actor = actor.strip()
        if not actor:
            raise BadRequest("say who you are (the name stored with the decision)")
        with self.lock:
            try:
                done = accept_request(
                    self.store, request_id, actor=actor, model_version=self.model_version
                )
            except IntentError as exc:
                raise BadRequest(str(exc)) from None
            for slug in sorted({d.slug for d in done}):
                self._after(slug)
        return done

    def close_request(self, request_id: int, *, actor: str) -> QueuedRequest:
        """Close a pending request without recording its proposal."""
        if not actor.strip():
            raise BadRequest("say who you are (the name stored with the decision)")
        return close_request(self.store, request_id, actor=actor.strip())

    def topics(self, paper_ids: list[str], k: int = 6) -> list[str]:
        """The group's most distinctive title/abstract words (library TF-IDF)."""
        stats = self.engine.stats
        rows = [stats.paper_row[p] for p in paper_ids if p in stats.paper_row]
        if not rows:
            return []
        if self._terms is None:
            self._terms = stats.text_vectorizer.get_feature_names_out()
        weights = np.asarray(stats.text_matrix[rows].sum(axis=0)).ravel()
        top = np.argsort(-weights)[:k]
        return [str(self._terms[i]) for i in top if weights[i] > 0]

    # --- decisions --------------------------------------------------------------------------

    def decide(
        self,
        slug: str,
        *,
        action: str,
        mention_ids: list[str],
        version: int,
        actor: str,
        person: str | None = None,
        display_name: tuple[str, str] | None = None,
        note: str = "",
    ) -> list[Decision]:
        """Carry out one form of the name page as stored decisions, then re-split.

        What the maintainer sees is what is stored (the page's persons are the last split,
        at ``version``); each action is an intent of :mod:`byline.store.intents`:

        - ``new``: the selected papers are a new person (:class:`NewPerson`);
        - ``assign`` (move): they join person X with X's papers as shown (:class:`Move`);
        - ``merge``: both columns' papers are X's (:class:`MergeInto`);
        - ``confirm``: the column's papers are the person, optionally with its shown name
          (:class:`Confirm`);
        - ``not_person``: the selected papers (of one column) are not that person
          (:class:`NotPerson`).

        All decisions of the action are written in one transaction, expecting the name at
        ``version``: all of them are stored, or (``StaleVersion``, a bad form) none.
        """
        if action not in ACTIONS:
            raise BadRequest(f"unknown action {action!r}")
        actor = actor.strip()
        if not actor:
            raise BadRequest("say who you are (the name stored with the decision)")
        ids = sorted(set(mention_ids))
        if not ids:
            raise BadRequest("select at least one paper first")
        block = {m.mention_id for m in self.corpus.blocks[slug]}
        foreign = [m for m in ids if m not in block]
        if foreign:
            raise BadRequest(f"{foreign[0]} is not a paper of {self.names[slug]}")
        intent = self._intent(slug, action, ids, person, display_name, note.strip())
        with self.lock:
            check_version(self.store, slug, version)
            current = self._split(slug).result
            key_of = dict(zip((m.mention_id for m in current.mentions), current.keys, strict=True))
            shown = {slug: Shown(version, key_of, self.names[slug])}
            try:
                plan = plan_intent(intent, shown)
            except IntentError as exc:
                raise BadRequest(str(exc)) from None
            # the keys the maintainer saw are the ones "not this person" refers to
            self._remember(current)
            done = record_planned(
                self.store, plan, shown, actor=actor, model_version=self.model_version
            )
            self._after(slug)
        return done

    def _intent(
        self,
        slug: str,
        action: str,
        ids: list[str],
        person: str | None,
        display_name: tuple[str, str] | None,
        note: str,
    ) -> Intent:
        """The intent of one form of the name page."""
        if action == "new":
            return NewPerson(slug, ids, display_name or ("", ""), note)
        if action == "not_person":
            return NotPerson(slug, ids, note)
        if not person:
            raise BadRequest(f"pick a person of {self.names[slug]} to {action} to")
        if action == "confirm":
            return Confirm(slug, ids, person, display_name, note)
        return (Move if action == "assign" else MergeInto)(slug, ids, person, note)

    def undo(self, slug: str, decision_id: int, *, version: int, actor: str) -> Decision:
        if not actor.strip():
            raise BadRequest("say who you are (the name stored with the decision)")
        mine = {d.id for d in history(self.store, slug)}
        if decision_id not in mine:
            raise BadRequest(f"decision #{decision_id} is not one of {self.names[slug]}")
        with self.lock:
            check_version(self.store, slug, version)
            d = undo(self.store, decision_id, actor=actor.strip(), expected_version=version)
            self._after(slug)
        return d

    def _remember(self, result: BlockResult) -> None:
        """Store the split's person keys as the name's predictions (and keep them here)."""
        remember(self.engine, [result])
        self.previous.update(zip((m.mention_id for m in result.mentions), result.keys, strict=True))

    def _after(self, slug: str) -> None:
        """Re-split the name under the new decisions and remember its person keys."""
        self._cache.pop(slug, None)
        split = self._split(slug)
        self._remember(split.result)
        self._requeue(split)
