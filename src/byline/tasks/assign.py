"""`byline assign`: put the author mentions of new papers under existing or new persons.

Incremental: the library is not re-clustered. For each name (block slug) of the input:

1. The existing persons of the name are its last stored predictions (``split --all`` or
   ``split NAME``), with the maintainers' decisions on top; when the block has no stored
   prediction (or a decision made it stale), the block alone is split now, not stored.
   Persons of the registry who also wrote under another spelling of the name (a variant in
   ``corpus.persons[...].names``), or whose id / ORCID an input author carries, are
   candidates too.
2. Every new mention is compared with every existing mention of the candidates, and with
   the other new mentions of the name, by the split's own featurizer and pairwise model
   (the new papers join an in-memory view of the corpus: their TF-IDF row and title
   embedding; the store is not written).
3. The split's own constrained clustering then runs with each existing person frozen
   (must-linked inside, cannot-linked with the others): a new mention joins a person when
   it chains to one of its mentions (P >= the model's link threshold) or its average
   P(same) with the person reaches the merge threshold; otherwise it starts a new person,
   which other new mentions of the name may join. Two authors of one paper are never one
   person; an input ``id`` or ORCID iD that an existing person carries, or a maintainer's
   decision on the mention, binds it to that person whatever the model says.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from byline.cluster import Constraints, pair_matrix
from byline.engine import Engine, assign_keys, evidence_constraints
from byline.engine.confidence import LOW_CONFIDENCE
from byline.features.embeddings import cached_embeddings, embed_text
from byline.features.pairwise import FEATURES, block_features, evidence_of
from byline.features.stats import LibraryStats, paper_text
from byline.names import fold
from byline.sources.ids import is_anthology_paper_id, mention_id
from byline.sources.records import Mention, Paper
from byline.store.decisions import DecidedState, stable_key

Progress = Callable[[str, int, int], None]
CHUNK = 192  # existing mentions featurized per call (pairs with the new ones are kept)
_ORDINAL = re.compile(r"\([^)]*\)|\b\d+(st|nd|rd|th)?\b|[^\w ]+")


@dataclass
class Assignment:
    """Where one author mention of the input goes, and why."""

    paper_id: str
    title: str
    position: int
    name: str
    slug: str
    person: str
    new_person: bool
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def mention_id(self) -> str:
        return mention_id(self.paper_id, self.position)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "position": self.position,
            "name": self.name,
            "person": self.person,
            "new_person": self.new_person,
            "confidence": round(self.confidence, 4),
            "evidence": self.evidence,
            "paper_id": self.paper_id,
            "slug": self.slug,
        }


@dataclass
class _Group:
    """An existing person of one name: key, its mentions, what identifies it."""

    key: str
    mentions: list[Mention]
    ids: set[str] = field(default_factory=set)
    orcids: set[str] = field(default_factory=set)


def _venue_key(booktitle: str) -> str:
    return " ".join(_ORDINAL.sub(" ", fold(booktitle)).split())


class Assigner:
    """Assigns new papers against one engine's library; reusable across inputs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.corpus = engine.corpus
        self.decisions = engine.decisions or DecidedState()
        self._by_slug: dict[str, set[str]] | None = None
        self._by_orcid: dict[str, set[str]] | None = None
        self._venues: dict[str, tuple[str, tuple[str, ...]]] | None = None
        self._fuzzy_venues: dict[str, tuple[str, ...]] | None = None
        self.split_blocks = 0  # blocks split on the fly (no stored prediction)

    # -- the library's side ---------------------------------------------------------------

    def key_of(self, m: Mention) -> str | None:
        """A library mention's person: decided, else last predicted, else its explicit id."""
        key = self.decisions.person_of(m.mention_id) or self.engine.previous.get(m.mention_id)
        return key if key is not None else self.corpus.explicit_id(m)

    def _registry_by_slug(self) -> dict[str, set[str]]:
        if self._by_slug is None:
            self._by_slug = {}
            for pid, p in self.corpus.persons.items():
                if p.catch_all:
                    continue
                for n in p.names:
                    self._by_slug.setdefault(n.slug, set()).add(pid)
        return self._by_slug

    def _slugs_by_orcid(self) -> dict[str, set[str]]:
        if self._by_orcid is None:
            self._by_orcid = {}
            for m in self.corpus.mentions:
                if m.orcid:
                    self._by_orcid.setdefault(m.orcid, set()).add(m.slug)
            for p in self.corpus.persons.values():
                if p.orcid and not p.catch_all:
                    for n in p.names:
                        self._by_orcid.setdefault(p.orcid, set()).add(n.slug)
        return self._by_orcid

    def block_keys(self, slug: str) -> dict[str, str]:
        """mention_id -> person key of every library mention of ``slug``."""
        block = self.corpus.blocks.get(slug, [])
        keys: dict[str, str] = {}
        stale = False
        for m in block:
            key = self.decisions.person_of(m.mention_id) or self.engine.previous.get(m.mention_id)
            if key is None or self.decisions.excludes(m.mention_id, key):
                stale = True
                break
            keys[m.mention_id] = key
        if not stale:
            return keys
        self.split_blocks += 1
        res = self.engine.split_block(slug)
        return {m.mention_id: k for m, k in zip(res.mentions, res.keys, strict=True)}

    def _orcid_person(self, orcid: str) -> str | None:
        hits = sorted(
            pid for pid, p in self.corpus.persons.items() if p.orcid == orcid and not p.catch_all
        )
        return hits[0] if len(hits) == 1 else None

    def _variant_mentions(self, slug: str, pid: str) -> list[Mention]:
        """Mentions of the registry person ``pid`` written under the spelling ``slug``.

        Those predicted (or decided, or marked) as ``pid``; and when the registry gives this
        spelling to ``pid`` alone and byline sees one person behind it, all of them.
        """
        block = self.corpus.blocks.get(slug, [])
        keys = [self.key_of(m) for m in block]
        mine = [m for m, k in zip(block, keys, strict=True) if k == pid]
        inferred = {k for k in keys if k != pid and k is not None}
        if (
            self._registry_by_slug().get(slug) == {pid}
            and len(inferred) <= 1
            and all("/" in k for k in inferred)  # no other explicit person
        ):
            return list(block)
        return mine

    def candidates(self, slug: str, new: list[Mention], skip_papers: set[str]) -> list[_Group]:
        """Existing persons a new mention of ``slug`` may belong to."""
        groups: dict[str, list[Mention]] = {}
        if slug in self.corpus.blocks:
            keys = self.block_keys(slug)
            for m in self.corpus.blocks[slug]:
                if m.paper_id not in skip_papers:
                    groups.setdefault(keys[m.mention_id], []).append(m)
        # Persons known under another spelling too, or named by an input id / ORCID.
        wanted: dict[str, set[str]] = {}  # person key -> slugs to look in
        by_slug = self._registry_by_slug()
        for pid in by_slug.get(slug, ()):
            wanted.setdefault(pid, set()).update(n.slug for n in self.corpus.persons[pid].names)
        for m in new:
            if m.person_id and m.person_id in self.corpus.persons:
                pid = m.person_id
                wanted.setdefault(pid, set()).update(n.slug for n in self.corpus.persons[pid].names)
        orcids = {m.orcid for m in new if m.orcid}
        if orcids:
            index = self._slugs_by_orcid()
            for o in orcids:
                for s in index.get(o, ()):
                    if s == slug:
                        continue
                    for m in self.corpus.blocks.get(s, ()):
                        if m.orcid == o and m.paper_id not in skip_papers:
                            key = self.key_of(m) or self._orcid_person(o) or stable_key(s, o)
                            groups.setdefault(key, []).append(m)
        for pid, slugs in wanted.items():
            extra = [
                m
                for s in sorted(slugs - {slug})
                for m in self._variant_mentions(s, pid)
                if m.paper_id not in skip_papers
            ]
            if not extra:
                continue
            if pid in groups:
                groups[pid].extend(extra)
            elif by_slug.get(slug) == {pid} and len(groups) == 1:
                # The registry knows one person of this name: its variants are that person,
                # under the registry's id when it is an explicit one.
                (key,) = groups
                decided = any(self.decisions.person_of(m.mention_id) for m in groups[key])
                if "/" in key and self.corpus.persons[pid].explicit and not decided:
                    groups[pid] = groups.pop(key)
                    key = pid
                groups[key].extend(extra)
            else:
                groups.setdefault(pid, []).extend(extra)
        out = []
        for key, ms in groups.items():
            seen: set[str] = set()
            ms = [m for m in ms if not (m.mention_id in seen or seen.add(m.mention_id))]
            g = _Group(key, ms)
            for m in ms:
                if self.decisions.person_of(m.mention_id) is not None:
                    continue  # the maintainer's word replaces the mention's own evidence
                if pid := self.corpus.explicit_id(m):
                    g.ids.add(pid)
                if m.orcid:
                    g.orcids.add(m.orcid)
            registry = self.corpus.persons.get(key)
            if registry is not None and not registry.catch_all:
                g.ids.add(key)
            for pid in list(g.ids):
                p = self.corpus.persons.get(pid)
                if p is not None and p.orcid:
                    g.orcids.add(p.orcid)
            out.append(g)
        out.sort(key=lambda g: (-len(g.mentions), g.key))
        return out

    def fill_venues(self, papers: Iterable[Paper]) -> None:
        """Give input papers the venue and collection their booktitle has in the library."""
        if self._venues is None:
            exact: dict[str, Counter[tuple[str, tuple[str, ...]]]] = {}
            fuzzy: dict[str, Counter[tuple[str, ...]]] = {}
            for p in self.corpus.papers.values():
                if p.booktitle:
                    exact.setdefault(fold(p.booktitle), Counter())[(p.source, p.venues)] += 1
                    if p.venues:
                        fuzzy.setdefault(_venue_key(p.booktitle), Counter())[p.venues] += 1
            self._venues = {k: c.most_common(1)[0][0] for k, c in exact.items()}
            self._fuzzy_venues = {k: c.most_common(1)[0][0] for k, c in fuzzy.items()}
        assert self._fuzzy_venues is not None
        for p in papers:
            if p.source or not p.booktitle:
                if not p.source and p.venues and p.year:
                    p.source = f"xml/{p.year}.{p.venues[0]}.xml"
                continue
            hit = self._venues.get(fold(p.booktitle))
            if hit is not None:
                p.source, venues = hit
                p.venues = p.venues or venues
                continue
            p.venues = p.venues or self._fuzzy_venues.get(_venue_key(p.booktitle), ())
            if p.venues and p.year:
                p.source = f"xml/{p.year}.{p.venues[0]}.xml"

    # -- the new papers' side -------------------------------------------------------------

    def new_vectors(self, papers: list[Paper]) -> dict[str, np.ndarray]:
        """Title embeddings of the input papers: from the store's cache, else computed
        (and not stored: assigning never writes to the store)."""
        engine = self.engine
        if not engine.use_embeddings or not papers:
            return {}
        assert engine.store is not None
        texts = {p.paper_id: embed_text(p.title, p.abstract) for p in papers}
        return cached_embeddings(engine.store, texts, engine.embedder, write=False)

    # -- one name -------------------------------------------------------------------------

    def pair_probs(
        self,
        new: list[Mention],
        old: list[Mention],
        papers: dict[str, Paper],
        stats: LibraryStats,
        vectors: dict[str, np.ndarray] | None,
        block_size: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """P(same) of new x new pairs (triu order) and the (k, n) matrix of new x old, then
        what the features say outright of those same pairs (``evidence_of``: +1 a shared
        co-author or the same affiliation, -1 affiliations of one year that differ), in the
        same two shapes.

        Features are computed on the new mentions plus the existing ones in chunks of
        ``CHUNK``, so block-level features see a partial block: ``block_size_log`` is set to
        the whole name's size, and the chain features (hops, component share) count only
        chains inside one chunk. Evidence is pair-local, hence exact."""
        model = self.engine.model
        assert model is not None
        k, n = len(new), len(old)
        cross = np.zeros((k, n), dtype=np.float32)
        among = np.zeros(k * (k - 1) // 2, dtype=np.float32)
        cross_ev = np.zeros((k, n), dtype=np.int8)
        among_ev = np.zeros(k * (k - 1) // 2, dtype=np.int8)
        size_col = FEATURES.index("block_size_log")
        starts = list(range(0, n, CHUNK)) or [0]
        for ci, start in enumerate(starts):
            chunk = old[start : start + CHUNK]
            mentions = new + chunk
            if len(mentions) < 2:
                continue
            X = block_features(mentions, papers, stats, vectors)
            iu = np.triu_indices(len(mentions), 1)
            keep = iu[0] < k
            if ci > 0:
                keep &= iu[1] >= k  # new x new pairs once, with the first chunk
            rows = np.flatnonzero(keep)
            if not len(rows):
                continue
            Xk = X[rows]
            Xk[:, size_col] = stats.per_million(block_size)
            p = model.predict_proba(Xk)
            ev = evidence_of(Xk)
            a, b = iu[0][rows], iu[1][rows]
            is_cross = b >= k
            cross[a[is_cross], b[is_cross] - k + start] = p[is_cross]
            cross_ev[a[is_cross], b[is_cross] - k + start] = ev[is_cross]
            if ci == 0 and k > 1:
                ii = np.triu_indices(k, 1)
                pos = {(int(x), int(y)): j for j, (x, y) in enumerate(zip(*ii, strict=True))}
                for x, y, v, e in zip(
                    a[~is_cross], b[~is_cross], p[~is_cross], ev[~is_cross], strict=True
                ):
                    among[pos[(int(x), int(y))]] = v
                    among_ev[pos[(int(x), int(y))]] = e
        return among, cross, among_ev, cross_ev


def _view(
    stats: LibraryStats, papers: dict[str, Paper], new_rows: dict[str, sparse.csr_matrix]
) -> LibraryStats:
    """Library statistics whose TF-IDF rows cover exactly ``papers`` (input ones too)."""
    rows, index = [], {}
    for pid in papers:
        if pid in new_rows:
            rows.append(new_rows[pid])
        elif pid in stats.paper_row:
            rows.append(stats.text_matrix[stats.paper_row[pid]])
        else:
            continue
        index[pid] = len(rows) - 1
    matrix = sparse.vstack(rows).tocsr() if rows else stats.text_matrix[:0]
    return dataclasses.replace(stats, paper_row=index, text_matrix=matrix, basis=None)


def assign_papers(
    engine: Engine,
    papers: list[Paper],
    *,
    slugs: set[str] | None = None,
    progress: Progress | None = None,
    assigner: Assigner | None = None,
) -> list[Assignment]:
    """Assign every author mention of ``papers`` (of the given name slugs, default all).

    Input papers whose id is already in the library are treated as new: the library's
    copy is left out of the comparison.
    """
    a = assigner or Assigner(engine)
    model = engine.model
    if model is None:
        from byline.errors import BylineError

        raise BylineError("assigning needs the pairwise model; run `byline train`")
    a.fill_venues(papers)
    input_ids = {p.paper_id for p in papers}
    by_id = {p.paper_id: p for p in papers}
    by_slug: dict[str, list[Mention]] = {}
    for p in papers:
        for m in p.authors:
            if m.slug and (slugs is None or m.slug in slugs):
                by_slug.setdefault(m.slug, []).append(m)
    new_rows: dict[str, sparse.csr_matrix] = {}
    if papers:
        mat = engine.stats.text_vectorizer.transform(
            [paper_text(p.title, p.abstract) for p in papers]
        ).tocsr()
        new_rows = {p.paper_id: mat[i] for i, p in enumerate(papers)}
    needed = [by_id[pid] for pid in {m.paper_id for ms in by_slug.values() for m in ms}]
    new_vecs = a.new_vectors(needed)
    out: list[Assignment] = []
    for i, (slug, new) in enumerate(sorted(by_slug.items())):
        out.extend(_assign_name(a, slug, new, by_id, input_ids, new_rows, new_vecs))
        if progress:
            progress("assign", i + 1, len(by_slug))
    order = {p.paper_id: j for j, p in enumerate(papers)}
    out.sort(key=lambda r: (order[r.paper_id], r.position))
    return out


def _identity(a: Assigner, m: Mention) -> tuple[str | None, str | None]:
    pid = a.corpus.explicit_id(m)
    orcid = m.orcid
    if orcid is None and pid and pid in a.corpus.persons:
        orcid = a.corpus.persons[pid].orcid
    return pid, orcid


def _assign_name(
    a: Assigner,
    slug: str,
    new: list[Mention],
    by_id: dict[str, Paper],
    input_ids: set[str],
    new_rows: dict[str, sparse.csr_matrix],
    new_vecs: dict[str, np.ndarray],
) -> list[Assignment]:
    engine = a.engine
    model = engine.model
    assert model is not None
    groups = a.candidates(slug, new, input_ids)
    old = [m for g in groups for m in g.mentions]
    k, n = len(new), len(old)
    papers = {m.paper_id: by_id[m.paper_id] for m in new}
    for m in old:
        papers[m.paper_id] = a.corpus.papers[m.paper_id]
    vectors: dict[str, np.ndarray] | None = None
    if engine.use_embeddings:
        engine.prepare_papers(m.paper_id for m in old)
        vectors = {pid: new_vecs[pid] for pid in {m.paper_id for m in new}}
        vectors.update({m.paper_id: engine.vectors[m.paper_id] for m in old})
    stats = _view(engine.stats, papers, new_rows)
    block_size = len(a.corpus.blocks.get(slug, ())) + k
    among, cross, among_ev, cross_ev = a.pair_probs(new, old, papers, stats, vectors, block_size)

    # The joint problem: new mentions first, then each existing person frozen as a group.
    N = k + n
    P = np.zeros((N, N), dtype=np.float32)
    P[:k, :k] = pair_matrix(k, among)
    P[:k, k:] = cross
    E = np.zeros((N, N), dtype=np.int8)
    E[:k, :k] = pair_matrix(k, among_ev, diagonal=0, dtype=np.int8)
    E[:k, k:] = cross_ev
    c = Constraints()
    starts, s = [], k
    for g in groups:
        starts.append(s)
        P[s : s + len(g.mentions), s : s + len(g.mentions)] = 1.0
        c.must.extend((s, s + j) for j in range(1, len(g.mentions)))
        s += len(g.mentions)
    c.cannot.extend((x, y) for i, x in enumerate(starts) for y in starts[i + 1 :])
    rules: dict[int, tuple[str, str]] = {}  # new index -> (rule, detail)
    idents = [_identity(a, m) for m in new]
    for i, m in enumerate(new):
        pid, orcid = idents[i]
        decided = a.decisions.person_of(m.mention_id)
        for gi, g in enumerate(groups):
            if decided is not None:
                if g.key == decided:
                    c.must.append((i, starts[gi]))
                    rules[i] = ("decision", f"a maintainer assigned {m.mention_id} to {g.key}")
                else:
                    c.cannot.append((i, starts[gi]))
                continue
            if a.decisions.excludes(m.mention_id, g.key):
                c.cannot.append((i, starts[gi]))
                continue
            if pid and (pid == g.key or pid in g.ids):
                c.must.append((i, starts[gi]))
                rules.setdefault(i, ("id", f"the input gives id {pid}, which {g.key} carries"))
            elif orcid and orcid in g.orcids:
                c.must.append((i, starts[gi]))
                rules.setdefault(i, ("orcid", f"the input gives ORCID {orcid}, as {g.key} has"))
            elif (pid and g.ids and pid not in g.ids) or (
                orcid and g.orcids and orcid not in g.orcids
            ):
                c.cannot.append((i, starts[gi]))
    # Among the new mentions: the split's own identity evidence (shared ids and ORCIDs,
    # one paper's authors apart, different ids apart).
    among_new = evidence_constraints(new, a.corpus, engine.decisions)
    c.must.extend(among_new.must)
    c.cannot.extend(among_new.cannot)
    iu = np.triu_indices(N, 1)
    labels = engine.cluster_pairs(N, P[iu], c, E[iu])

    # Read back: which frozen person each new mention joined, or which new group it forms.
    group_of_label = {int(labels[starts[gi]]): gi for gi in range(len(groups))}
    new_groups: dict[int, list[int]] = {}
    for i in range(k):
        if int(labels[i]) not in group_of_label:
            new_groups.setdefault(int(labels[i]), []).append(i)
    ordered = sorted(new_groups.values(), key=lambda idx: min(new[i].mention_id for i in idx))
    new_keys = assign_keys(
        slug, [[new[i] for i in idx] for idx in ordered], a.corpus, engine.decisions, None
    )
    key_of_new = {i: key for idx, key in zip(ordered, new_keys, strict=True) for i in idx}
    spans = [(starts[gi], starts[gi] + len(g.mentions)) for gi, g in enumerate(groups)]
    out = []
    for i, m in enumerate(new):
        scores = []
        for gi in range(len(groups)):
            row = cross[i, spans[gi][0] - k : spans[gi][1] - k]
            scores.append((float(row.mean()), float(row.max()), gi))
        lab = int(labels[i])
        paper = by_id[m.paper_id]
        if lab in group_of_label:
            gi = group_of_label[lab]
            rule = rules.get(i, ("model", ""))
            mean, mx, _ = scores[gi]
            conf = 1.0 if rule[0] != "model" else mean
            ev = _evidence(a, m, paper, groups, scores, gi, rule, model, old, cross[i], k, spans)
            person, is_new = groups[gi].key, False
        else:
            best = max(
                (max(s[0], s[1] if s[1] >= (model.link_threshold or 2) else 0.0) for s in scores),
                default=0.0,
            )
            mates = [new[j].mention_id for j in new_groups[lab] if j != i]
            rule = ("model", "")
            if a.decisions.person_of(m.mention_id) == key_of_new[i]:
                rule = ("decision", f"a maintainer assigned {m.mention_id} to {key_of_new[i]}")
                best = 0.0
            elif idents[i][0] and idents[i][0] == key_of_new[i]:
                rule = ("id", f"the input gives id {key_of_new[i]}, new to the library")
                best = 0.0
            ev = _evidence(
                a,
                m,
                paper,
                groups,
                scores,
                None,
                rule,
                model,
                old,
                cross[i],
                k,
                spans,
                mates,
            )
            person, is_new, conf = key_of_new[i], True, 1.0 - best
        out.append(
            Assignment(
                m.paper_id, paper.title, m.position, m.full_name, slug, person, is_new, conf, ev
            )
        )
    return out


def _evidence(
    a: Assigner,
    m: Mention,
    paper: Paper,
    groups: list[_Group],
    scores: list[tuple[float, float, int]],
    chosen: int | None,
    rule: tuple[str, str],
    model: Any,
    old: list[Mention],
    row: np.ndarray,
    k: int,
    spans: list[tuple[int, int]],
    mates: list[str] | None = None,
) -> dict[str, Any]:
    """What a maintainer reads: the rule, shared co-authors, closest papers, runner-up."""
    mine = {x.slug: x.full_name for x in paper.coauthors(m.slug)}  # slug -> name shown
    ev: dict[str, Any] = {
        "rule": rule[0],
        "threshold": round(float(model.threshold), 4),
        "candidates": len(groups),
    }
    ranked = sorted(scores, key=lambda s: -s[0])
    if chosen is not None:
        g = groups[chosen]
        theirs: set[str] = set()
        affs = set()
        for x in g.mentions:
            theirs.update(a.corpus.papers[x.paper_id].coauthor_slugs(m.slug))
            if x.affiliation:
                affs.add(fold(x.affiliation))
        shared = [name for s, name in mine.items() if s in theirs]
        lo, hi = spans[chosen]
        idx = np.argsort(-row[lo - k : hi - k], kind="stable")[:3]
        closest = []
        for j in idx:
            x = g.mentions[int(j)]
            p = a.corpus.papers[x.paper_id]
            closest.append(
                {
                    "paper_id": p.paper_id,
                    "title": p.title,
                    "year": p.year,
                    "p": round(float(row[lo - k + int(j)]), 4),
                }
            )
        dup = [p["paper_id"] for p in closest if fold(p["title"]) == fold(paper.title)]
        ev.update(
            mean_p=round(scores[chosen][0], 4),
            max_p=round(scores[chosen][1], 4),
            person_papers=len(g.mentions),
            shared_coauthors=shared,
            same_affiliation=bool(m.affiliation and fold(m.affiliation) in affs),
            closest_papers=closest,
        )
        if dup:
            ev["same_title_as"] = dup
        others = [s for s in ranked if s[2] != chosen]
        if others:
            ev["runner_up"] = {"person": groups[others[0][2]].key, "mean_p": round(others[0][0], 4)}
        if rule[0] != "model":
            summary = rule[1]
        else:
            how = (
                f"chains to {closest[0]['paper_id']} (P={closest[0]['p']:.2f})"
                if scores[chosen][1] >= (model.link_threshold or 2)
                else f"mean P(same) {scores[chosen][0]:.2f} >= {model.threshold:.2f}"
            )
            co = f"shares co-authors {', '.join(shared)}; " if shared else "no shared co-author; "
            summary = f"{co}{how} over {len(g.mentions)} papers of {g.key}"
        ev["summary"] = summary
    else:
        if rule[0] != "model":
            ev["summary"] = f"new person: {rule[1]}"
        elif ranked:
            b = groups[ranked[0][2]]
            theirs = set()
            for x in b.mentions:
                theirs.update(a.corpus.papers[x.paper_id].coauthor_slugs(m.slug))
            shared = [name for s, name in mine.items() if s in theirs]
            ev.update(
                best={
                    "person": b.key,
                    "mean_p": round(ranked[0][0], 4),
                    "max_p": round(ranked[0][1], 4),
                    "person_papers": len(b.mentions),
                    "shared_coauthors": shared,
                }
            )
            ev["summary"] = (
                f"new person: closest existing {b.key} has mean P(same) {ranked[0][0]:.2f} "
                f"< {model.threshold:.2f}"
                + (f" (shares {', '.join(shared)})" if shared else ", no shared co-author")
            )
        else:
            ev["summary"] = "new person: no one of this name in the library"
        if mates:
            ev["with_new_mentions"] = mates
            ev["summary"] += f"; same new person as {', '.join(mates)}"
    return ev


def record_assignments(
    engine: Engine, results: list[Assignment], actor: str = "assign", note: str = ""
) -> int:
    """Store the assignments as decisions (one per name and person), all in ONE
    transaction; returns how many.

    Only for papers with Anthology ids (an XML volume, ``paper_id``/``url`` in JSONL, an
    Anthology ``url`` in BibTeX): the decisions then bind those mentions once the volume
    is ingested, and ``split`` keeps them with the person they were assigned to. Every name
    must still be at the version of the decisions the assignments were computed with
    (``StaleVersion`` otherwise, and nothing is stored).
    """
    from byline.errors import BylineError
    from byline.sources.new_papers import split_name
    from byline.store.intents import Assign, apply_intents, shown_at

    if engine.store is None:
        raise BylineError("recording decisions needs a store")
    bad = sorted({r.paper_id for r in results if not is_anthology_paper_id(r.paper_id)})
    if bad:
        raise BylineError(
            f"--record needs Anthology paper ids, and {bad[0]!r} is not one; give an XML "
            'volume, "paper_id" in JSONL or an aclanthology.org "url" in BibTeX'
        )
    by_person: dict[tuple[str, str], list[Assignment]] = {}
    for r in results:
        by_person.setdefault((r.slug, r.person), []).append(r)
    if not by_person:
        return 0
    intents = [
        Assign(
            {slug: [r.mention_id for r in rs]},
            person,
            split_name(rs[0].name) if rs[0].new_person else None,
            note,
        )
        for (slug, person), rs in sorted(by_person.items())
    ]
    shown = shown_at(engine.decisions or DecidedState(), {slug for slug, _ in by_person})
    version = engine.model.version if engine.model else ""
    apply_intents(engine.store, intents, shown, actor=actor, model_version=version)
    return len(by_person)


def assignments_table(results: list[Assignment]):  # type: ignore[no-untyped-def]
    """A Rich table of the assignments, one row per author mention."""
    from rich.table import Table

    table = Table(title_justify="left", show_lines=False)
    for col, kw in (
        ("paper", {"overflow": "fold", "max_width": 34}),
        ("#", {"justify": "right"}),
        ("name", {}),
        ("person", {"overflow": "fold"}),
        ("conf", {"justify": "right"}),
        ("evidence", {"overflow": "fold", "max_width": 70}),
    ):
        table.add_column(col, **kw)
    for r in results:
        person = f"[bold green]NEW[/] {r.person}" if r.new_person else r.person
        style = "yellow" if r.confidence < LOW_CONFIDENCE else None
        table.add_row(
            r.title,
            str(r.position),
            r.name,
            person,
            f"{r.confidence:.2f}",
            str(r.evidence.get("summary", "")),
            style=style,
        )
    return table
