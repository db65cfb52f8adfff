"""The per-block engine every task shares: features -> pairwise model -> clustering."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine

from byline.cluster import Constraints, cluster_block
from byline.features.embeddings import cached_embeddings, embed_text
from byline.features.pairwise import FEATURES, block_features
from byline.features.stats import LibraryStats, compute_stats
from byline.model import PairwiseModel
from byline.sources.records import Mention
from byline.store.corpus import Corpus

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


def evidence_constraints(mentions: list[Mention], corpus: Corpus) -> Constraints:
    """Must-link shared ORCIDs / explicit ids; cannot-link co-authors of one paper and
    mentions that carry two different ids or two different ORCIDs."""
    c = Constraints()
    first_with: dict[str, int] = {}
    ids: list[str | None] = []
    orcids: list[str | None] = []
    for i, m in enumerate(mentions):
        pid = m.person_id if m.person_id and not corpus.is_catch_all(m.person_id) else None
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
    return c


def person_key(slug: str, members: list[Mention], corpus: Corpus) -> str:
    """Stable key: the cluster's explicit id if it carries one, else name slug + hash of
    its earliest mention (stable while that mention stays in the person)."""
    ids = [m.person_id for m in members if m.person_id and not corpus.is_catch_all(m.person_id)]
    if ids:
        return max(set(ids), key=ids.count)
    anchor = min(m.mention_id for m in members)
    return f"{slug}/{hashlib.sha1(anchor.encode()).hexdigest()[:8]}"


class SplitEngine:
    """Holds the corpus, its statistics, the model and the embedding cache."""

    def __init__(
        self,
        corpus: Corpus,
        model: PairwiseModel | None,
        store: Engine | None = None,
        stats: LibraryStats | None = None,
        use_embeddings: bool = True,
    ) -> None:
        self.corpus = corpus
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
        if n > 1:
            assert self.model is not None
            probs = self.model.predict_proba(self.features(mentions))
        else:
            probs = np.zeros(0, dtype=np.float32)
        labels = self.cluster(mentions, probs)
        return self._result(slug, mentions, labels, probs)

    def cluster(
        self,
        mentions: list[Mention],
        probs: np.ndarray,
        threshold: float | None = None,
        link_threshold: float | None = None,
    ) -> np.ndarray:
        """Cluster one block's mentions given their pairwise probabilities."""
        model = self.model or PairwiseModel()
        return cluster_block(
            len(mentions),
            probs,
            model.threshold if threshold is None else threshold,
            evidence_constraints(mentions, self.corpus),
            link_threshold=model.link_threshold if link_threshold is None else link_threshold,
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
        keys_by_label = {
            lab: person_key(slug, [mentions[i] for i in np.flatnonzero(labels == lab)], self.corpus)
            for lab in np.unique(labels)
        }
        keys = [keys_by_label[lab] for lab in labels]
        return BlockResult(slug, mentions, labels, conf, keys, probs)
