"""What the review page shows and does, without HTTP: the queue, a name's persons, decisions.

One :class:`Review` holds the split engine (corpus, statistics, model: loaded once) and a
cache of the last split of each name, keyed by the name's decision version, so a page is
re-split only when a decision changed it (here or in another process sharing the store).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, select

from byline.engine import BlockResult, Engine, remember
from byline.errors import BylineError
from byline.names import fold, name_slug
from byline.sources.ids import paper_of
from byline.store import Store
from byline.store import schema as t
from byline.store.decisions import (
    Decision,
    Planned,
    check_version,
    decided_state,
    history,
    name_version,
    new_person_key,
    record_many,
    undo,
)
from byline.tasks.split import (
    PaperRow,
    PersonSummary,
    UnknownName,
    display_names,
    summarize,
)

LOW = 0.5  # a paper below this confidence is flagged
UNSURE = 0.8  # ... below this, marked as worth a look
ACTIONS = ("assign", "new", "not_person", "confirm", "merge")


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
        return sum(r.confidence < LOW for r in self.summary.papers)


@dataclass
class NameView:
    slug: str
    name: str
    version: int
    persons: list[PersonView]
    history: list[Decision]
    mentions: int
    seconds: float

    def label_of(self, key: str | None) -> str:
        for p in self.persons:
            if p.key == key:
                return p.label
        return key or ""


class Review:
    """The review page's state: one engine for all requests, a per-name split cache."""

    def __init__(self, engine: Engine) -> None:
        if engine.store is None:
            raise BylineError("the review page needs a store")
        self.engine = engine
        self.store: Store = engine.store
        self.corpus = engine.corpus
        self.engine.previous = dict(engine.previous)
        self.lock = threading.RLock()
        self.names = display_names(self.corpus)
        self._slugs = list(self.names)
        self._folded = [utils.default_process(self.names[s]) for s in self._slugs]
        self._cache: dict[str, tuple[int, BlockResult]] = {}
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
        decided = self.engine.decisions.assigned if self.engine.decisions else {}
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
                if mid not in decided:
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

    def _requeue(self, result: BlockResult, version: int) -> None:
        decided = self.engine.decisions.assigned if self.engine.decisions else {}
        open_ = [
            float(c)
            for m, c in zip(result.mentions, result.confidence, strict=True)
            if m.mention_id not in decided
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
        """The current split of ``slug``, re-computed only when its decisions changed."""
        version = name_version(self.store, slug)
        cached = self._cache.get(slug)
        if cached and cached[0] == version:
            return cached
        with self.lock:
            version = name_version(self.store, slug)
            cached = self._cache.get(slug)
            if cached and cached[0] == version:
                return cached
            self.engine.decisions = decided_state(self.store)
            result = self.engine.split_block(slug)
            self._cache[slug] = (version, result)
            return version, result

    def view(self, slug: str) -> NameView:
        import time

        t0 = time.perf_counter()
        version, result = self.split(slug)
        state = self.engine.decisions
        persons = []
        for s in summarize(result, self.corpus):
            reg = self.corpus.persons.get(s.person)
            label = ""
            note = ""
            if state and s.person in state.names:
                label = " ".join(state.names[s.person]).strip()
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
                    confirmed=bool(state and s.person in state.confirmed),
                    decided={m for m in members if state and state.assigned.get(m) == s.person},
                )
            )
        hist = list(reversed(history(self.store, slug)))
        return NameView(
            slug=slug,
            name=self.names[slug],
            version=version,
            persons=persons,
            history=hist,
            mentions=len(result.mentions),
            seconds=round(time.perf_counter() - t0, 2),
        )

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

        What the maintainer sees is what is stored (the page's persons are the last split):

        - ``new``: the selected papers are a new person (assign to a fresh key) and not the
          person(s) they were listed under (``not_person``, so the rest of their column
          cannot follow them into the new person);
        - ``assign`` (move): the selected papers join person X together with X's papers as
          shown (one assign, so X keeps its key and its papers), and are not the person
          they were listed under;
        - ``merge``: both columns' papers are assigned to the target's key;
        - ``confirm``: the column's papers are the person (and optionally its shown name);
        - ``not_person``: the selected papers (of one column) are not that person.

        Each decision is one transaction; an action of several decisions writes them in
        order under one lock, each checked against the version the previous one created.
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
        note = note.strip()
        with self.lock:
            check_version(self.store, slug, version)
            _, current = self.split(slug)
            key_of = dict(zip((m.mention_id for m in current.mentions), current.keys, strict=True))
            members: dict[str, list[str]] = {}
            for mid, key in key_of.items():
                members.setdefault(key, []).append(mid)
            # (kind, mention ids, person, display name, note)
            plan: list[tuple[str, list[str], str, tuple[str, str] | None, str]] = []
            if action == "new":
                first, last = display_name or ("", "")
                if not last.strip():
                    raise BadRequest("give the new person's name (at least the last name)")
                new = new_person_key(slug)
                plan.append(("assign", ids, new, (first.strip(), last.strip()), note))
                for old in sorted({key_of[m] for m in ids}):
                    moved = [m for m in ids if key_of[m] == old]
                    plan.append(("not_person", moved, old, None, f"split off to {new}"))
            elif action == "not_person":
                owners = {key_of[m] for m in ids}
                if len(owners) != 1:
                    raise BadRequest(
                        "'not this person' needs papers of one person; select papers of one "
                        "column at a time"
                    )
                plan.append(("not_person", ids, owners.pop(), None, note))
            else:
                if not person or person not in members:
                    raise BadRequest(f"pick a person of {self.names[slug]} to {action} to")
                if action == "confirm":
                    names = None
                    if display_name and display_name[1].strip():
                        names = (display_name[0].strip(), display_name[1].strip())
                    plan.append(("confirm", ids, person, names, note))
                else:
                    moved = [m for m in ids if key_of[m] != person]
                    if not moved:
                        raise BadRequest(f"the selected papers are already with {person}")
                    auto = (
                        f"merged {len(moved)} paper(s) into {person}"
                        if action == "merge"
                        else f"moved {len(moved)} paper(s) to {person}"
                    )
                    plan.append(
                        (
                            "assign",
                            sorted(set(ids) | set(members[person])),
                            person,
                            None,
                            note or auto,
                        )
                    )
                    if action == "assign":
                        for old in sorted({key_of[m] for m in moved}):
                            out = [m for m in moved if key_of[m] == old]
                            plan.append(("not_person", out, old, None, f"moved to {person}"))
            for kind, mids, who, _, _ in plan:
                papers = Counter(paper_of(m) for m in mids)
                twice = [p for p, c in papers.items() if c > 1]
                if kind != "not_person" and twice:
                    raise BadRequest(
                        f"{who} would hold two authors of paper {twice[0]}; one paper's "
                        "authors are different people"
                    )
            # the keys the maintainer saw are the ones "not this person" refers to
            self._remember(current)
            # one transaction: the whole action is stored, or nothing of it
            done = record_many(
                self.store,
                slug=slug,
                items=[
                    Planned(kind, mids, who, text, names) for kind, mids, who, names, text in plan
                ],
                actor=actor,
                model_version=self.model_version,
                expected_version=version,
            )
            self._after(slug)
        return done

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
        remember(self.engine, [result])
        assert isinstance(self.engine.previous, dict)
        self.engine.previous.update(
            zip((m.mention_id for m in result.mentions), result.keys, strict=True)
        )

    def _after(self, slug: str) -> None:
        """Re-split the name under the new decisions and remember its person keys."""
        self._cache.pop(slug, None)
        version, result = self.split(slug)
        self._remember(result)
        self._requeue(result, version)
