"""The per-block engine every task shares: features -> pairwise model -> clustering."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from byline.cluster import Constraints, cluster_block
from byline.features.embeddings import cached_embeddings, embed_text
from byline.features.pairwise import FEATURES, block_features, direct_evidence, evidence_of
from byline.features.stats import LibraryStats, compute_stats, library_stats
from byline.model import PairwiseModel
from byline.sources.records import Mention
from byline.store.corpus import Corpus
from byline.store.decisions import DecidedState, decided_state, stable_key
from byline.store.predictions import load_predictions, save_predictions

Progress = Callable[[int, int], None]


@dataclass
class BlockResult:
    slug: str
    mentions: list[Mention]
    labels: np.ndarray  # cluster index per mention
    confidence: np.ndarray  # per mention
    keys: list[str]  # person key per mention
    probs: np.ndarray  # pairwise P(same), triu order

    def groups(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, k in enumerate(self.keys):
            out.setdefault(k, []).append(i)
        return out


def evidence_constraints(
    mentions: list[Mention],
    corpus: Corpus,
    decisions: DecidedState | None = None,
    previous: Mapping[str, str] | None = None,
) -> Constraints:
    """Must-link shared ORCIDs / explicit ids; cannot-link co-authors of one paper and
    mentions that carry two different ids or two different ORCIDs.

    Maintainer decisions override the data's own evidence for the mentions they cover:
    mentions decided to be one person are must-linked, mentions decided to be different
    persons cannot-linked, and a mention decided NOT to be person P is cannot-linked with
    every mention of P (decided, carrying P's id, or predicted as P last time).
    """
    c = Constraints()
    decided = decisions.assigned if decisions else {}
    first_with: dict[str, int] = {}
    ids: list[str | None] = []
    orcids: list[str | None] = []
    for i, m in enumerate(mentions):
        pid = m.person_id if m.person_id and not corpus.is_catch_all(m.person_id) else None
        if m.mention_id in decided:
            # The maintainer's word replaces the mention's own evidence: it now carries the
            # decided person as its id (must-linked with that person's other mentions,
            # kept apart from other ids), and its own id/ORCID no longer count.
            pid = decided[m.mention_id]
            ids.append(pid)
            orcids.append(None)
            key = f"id:{pid}"
            if key in first_with:
                c.must.append((first_with[key], i))
            else:
                first_with[key] = i
            continue
        if decisions and pid and pid in decisions.excluded.get(m.mention_id, ()):
            pid = None
        if pid is None and m.orcid is None:
            ids.append(None)
            orcids.append(None)
            continue
        registry = corpus.persons.get(pid or "")
        orcid = m.orcid or (registry.orcid if registry else None)
        ids.append(pid)
        orcids.append(orcid)
        for key in (f"id:{pid}" if pid else None, f"orcid:{orcid}" if orcid else None):
            if key is None:
                continue
            if key in first_with:
                c.must.append((first_with[key], i))
            else:
                first_with[key] = i
    by_paper: dict[str, list[int]] = {}
    for i, m in enumerate(mentions):
        by_paper.setdefault(m.paper_id, []).append(i)
    for idx in by_paper.values():
        c.cannot.extend((a, b) for ai, a in enumerate(idx) for b in idx[ai + 1 :])
    marked = [i for i in range(len(mentions)) if ids[i] or orcids[i]]
    for ai, a in enumerate(marked):
        for b in marked[ai + 1 :]:
            if (ids[a] and ids[b] and ids[a] != ids[b]) or (
                orcids[a] and orcids[b] and orcids[a] != orcids[b]
            ):
                c.cannot.append((a, b))
    if decisions and not decisions.empty:
        _decision_constraints(mentions, decisions, previous or {}, c)
    return c


def _decision_constraints(
    mentions: list[Mention],
    decisions: DecidedState,
    previous: Mapping[str, str],
    c: Constraints,
) -> None:
    """Cannot-links of "not this person" decisions. (Assigned mentions need nothing here:
    they carry the decided person as their id, so the id evidence links them.)"""
    for i, m in enumerate(mentions):
        for p in decisions.excluded.get(m.mention_id, ()):
            for j, other in enumerate(mentions):
                if j == i or p in decisions.excluded.get(other.mention_id, ()):
                    continue
                mine = decisions.assigned.get(other.mention_id)
                if mine == p or (
                    mine is None and (other.person_id == p or previous.get(other.mention_id) == p)
                ):
                    c.cannot.append((i, j))


def assign_keys(
    slug: str,
    groups: list[list[Mention]],
    corpus: Corpus,
    decisions: DecidedState | None = None,
    previous: Mapping[str, str] | None = None,
) -> list[str]:
    """One key per group, with as little churn as the evidence allows.

    In order: the person a maintainer assigned the group's mentions to; the group's
    explicit Anthology id; the key the group's mentions had last time, when more than half
    of the group had it and no larger group claims it; else a fresh stable key.
    """
    keys: list[str | None] = [None] * len(groups)
    taken: set[str] = set()
    decided = decisions.assigned if decisions else {}
    for gi, members in enumerate(groups):
        votes = [decided[m.mention_id] for m in members if m.mention_id in decided]
        if votes:
            keys[gi] = max(sorted(set(votes)), key=votes.count)
            taken.add(keys[gi])  # type: ignore[arg-type]
    for gi, members in enumerate(groups):
        if keys[gi] is None:
            ids = [
                m.person_id for m in members if m.person_id and not corpus.is_catch_all(m.person_id)
            ]
            if ids:
                key = max(sorted(set(ids)), key=ids.count)
                if key not in taken:
                    keys[gi] = key
                    taken.add(key)
    if previous:
        claims: list[tuple[int, int, str]] = []
        for gi, members in enumerate(groups):
            if keys[gi] is not None:
                continue
            old = [previous[m.mention_id] for m in members if m.mention_id in previous]
            for key in set(old):
                if old.count(key) * 2 > len(members):
                    claims.append((old.count(key), gi, key))
        for _n, gi, key in sorted(claims, key=lambda c: (-c[0], c[1])):
            if keys[gi] is None and key not in taken:
                keys[gi] = key
                taken.add(key)
    out: list[str] = []
    for gi, members in enumerate(groups):
        key = keys[gi] or stable_key(slug, min(m.mention_id for m in members))
        if key in taken and keys[gi] is None:
            key = stable_key(slug, min(m.mention_id for m in members) + "#")
        taken.add(key)
        out.append(key)
    return out


class SplitEngine:
    """Holds the corpus, its statistics, the model and the embedding cache."""

    def __init__(
        self,
        corpus: Corpus,
        model: PairwiseModel | None,
        store: Engine | None = None,
        stats: LibraryStats | None = None,
        use_embeddings: bool = True,
        decisions: DecidedState | None = None,
        previous: Mapping[str, str] | None = None,
    ) -> None:
        self.corpus = corpus
        self.decisions = decisions
        self.previous: Mapping[str, str] = previous or {}
        self.model = model
        self.store = store
        self.stats = stats or compute_stats(corpus)
        self.use_embeddings = use_embeddings and store is not None
        self.vectors: dict[str, np.ndarray] = {}

    def prepare(self, slugs: Iterable[str], progress: Progress | None = None) -> None:
        """Embed (or fetch from the cache) every paper of the given blocks, in one batch."""
        self.prepare_papers(
            (
                m.paper_id
                for s in slugs
                if len(self.corpus.blocks.get(s, ())) > 1
                for m in self.corpus.blocks[s]
            ),
            progress,
        )

    def prepare_papers(self, paper_ids: Iterable[str], progress: Progress | None = None) -> None:
        if not self.use_embeddings:
            return
        assert self.store is not None
        wanted = sorted({p for p in paper_ids if p not in self.vectors})
        texts = {
            p: embed_text(self.corpus.papers[p].title, self.corpus.papers[p].abstract)
            for p in wanted
        }
        self.vectors.update(cached_embeddings(self.store, texts, progress=progress))

    def features(self, mentions: list[Mention], block_size: int | None = None) -> np.ndarray:
        self.prepare_papers(m.paper_id for m in mentions)
        X = block_features(
            mentions, self.corpus.papers, self.stats, self.vectors if self.use_embeddings else None
        )
        if block_size is not None and len(X):
            X[:, FEATURES.index("block_size_log")] = self.stats.per_million(block_size)
        return X

    def split_block(self, slug: str) -> BlockResult:
        mentions = self.corpus.blocks[slug]
        n = len(mentions)
        evidence = None
        if n > 1:
            assert self.model is not None
            X = self.features(mentions)
            probs = self.model.predict_proba(X)
            evidence = evidence_of(X)
        else:
            probs = np.zeros(0, dtype=np.float32)
        labels = self.cluster(mentions, probs, evidence=evidence)
        return self._result(slug, mentions, labels, probs)

    def cluster(
        self,
        mentions: list[Mention],
        probs: np.ndarray,
        threshold: float | None = None,
        link_threshold: float | None = None,
        evidence: np.ndarray | None = None,
    ) -> np.ndarray:
        """Cluster one block's mentions given their pairwise probabilities (and, when the
        caller has it, which pairs have direct evidence; else it is worked out here)."""
        model = self.model or PairwiseModel()
        return cluster_block(
            len(mentions),
            probs,
            model.threshold if threshold is None else threshold,
            evidence_constraints(mentions, self.corpus, self.decisions, self.previous),
            link_threshold=model.link_threshold if link_threshold is None else link_threshold,
            evidence=evidence
            if evidence is not None or len(mentions) < 2
            else direct_evidence(mentions, self.corpus.papers),
            evidence_threshold=model.evidence_threshold,
        )

    def _result(
        self, slug: str, mentions: list[Mention], labels: np.ndarray, probs: np.ndarray
    ) -> BlockResult:
        n = len(mentions)
        P = np.eye(n, dtype=np.float32)
        if n > 1:
            iu = np.triu_indices(n, 1)
            P[iu] = probs
            P.T[iu] = probs
        conf = np.ones(n, dtype=np.float32)
        for lab in np.unique(labels):
            idx = np.flatnonzero(labels == lab)
            if len(idx) > 1:
                sub = P[np.ix_(idx, idx)]
                conf[idx] = (sub.sum(1) - 1.0) / (len(idx) - 1)
            elif n > 1:
                others = np.delete(P[idx[0]], idx[0])
                conf[idx] = 1.0 - others.max()
        labs = list(np.unique(labels))
        group_keys = assign_keys(
            slug,
            [[mentions[i] for i in np.flatnonzero(labels == lab)] for lab in labs],
            self.corpus,
            self.decisions,
            self.previous,
        )
        keys_by_label = dict(zip(labs, group_keys, strict=True))
        keys = [keys_by_label[lab] for lab in labels]
        return BlockResult(slug, mentions, labels, conf, keys, probs)


def load_engine(db: str | None = None, model_path: str | Path | None = None) -> SplitEngine:
    """The engine every command and the web page work with: the store's corpus, the
    shipped (or given) model, the maintainers' decisions and the last predictions."""
    from byline.store import connect
    from byline.store.corpus import load_corpus

    store = connect(db, create=False)
    model = PairwiseModel.load(model_path)
    corpus = load_corpus(store)
    return SplitEngine(
        corpus,
        model,
        store,
        stats=library_stats(corpus, store),
        decisions=decided_state(store),
        previous=load_predictions(store),
    )


def remember(engine: SplitEngine, results: Iterable[BlockResult]) -> int:
    """Store these blocks' predictions, so the next run keeps their person keys."""
    results = list(results)
    if engine.store is None:
        return 0
    rows = [
        (m.mention_id, r.slug, k, float(c))
        for r in results
        for m, k, c in zip(r.mentions, r.keys, r.confidence, strict=True)
    ]
    version = engine.model.version if engine.model else ""
    return save_predictions(engine.store, rows, version, slugs=[r.slug for r in results])
