"""The per-block engine every task shares: features -> pairwise model -> constrained
clustering -> stable person keys.

Split, assign, audit, merge, training and the benchmark all get their P(same), their
constraints and their clusters from :class:`Engine`; it is the one caller of
:func:`byline.cluster.cluster_block` outside the benchmark peers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from byline.cluster import Constraints, cluster_block, pair_matrix
from byline.engine.constraints import cap_pairs, evidence_constraints
from byline.engine.giant import GIANT_BLOCK, split_giant
from byline.engine.keys import assign_keys
from byline.errors import BylineError
from byline.features.batch import batch_features
from byline.features.embeddings import (
    DEFAULT_EMBEDDER,
    Embedder,
    cached_embeddings,
    embed_text,
    get_embedder,
)
from byline.features.pairwise import block_features, evidence_of
from byline.features.stats import LibraryStats, compute_stats, library_stats
from byline.model import PairwiseModel
from byline.sources.records import Mention, Paper
from byline.store import Store
from byline.store.corpus import Corpus
from byline.store.decisions import DecidedState, decided_state
from byline.store.predictions import load_predictions, save_predictions

Progress = Callable[[int, int], None]
StageProgress = Callable[[str, int, int], None]


@dataclass
class BlockResult:
    """The persons byline infers behind one name.

    Attributes:
        slug: the block (exact-name slug).
        mentions: the block's mentions, in the corpus's order.
        labels: cluster index per mention.
        confidence: per mention, its mean P(same) with the rest of its person.
        keys: person key per mention (stable across runs, see ``assign_keys``).
        probs: pairwise P(same), ``np.triu_indices`` order; of ``pairs`` only, when given.
        pairs: ``None`` (all pairs), or the candidate pairs ``(first, second)`` a giant
            block was split on (:mod:`byline.engine.giant`).
    """

    slug: str
    mentions: list[Mention]
    labels: np.ndarray
    confidence: np.ndarray
    keys: list[str]
    probs: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray] | None = None

    def groups(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, k in enumerate(self.keys):
            out.setdefault(k, []).append(i)
        return out


class Engine:
    """One library's corpus, statistics, pairwise model, embedding cache, decisions and
    last predictions: everything needed to turn a block's mentions into persons.

    Attributes:
        corpus: the library (gold hidden, where a benchmark masked it).
        model: the pairwise model; ``None`` only while training fits one.
        store: the SQLAlchemy engine of the store (embedding cache), or ``None``.
        stats: library statistics the features read.
        decisions: the maintainers' decisions, hard constraints of every clustering.
        previous: the last stored prediction per mention id (stable keys).
        vectors: title embeddings fetched so far, by paper id.
        embedder: what embeds them: the model's (``PairwiseModel.embedder``) unless given.
        giant_block: :meth:`split_blocks` splits a block of more mentions on candidate
            pairs (:mod:`byline.engine.giant`); :meth:`split_block` never does.
    """

    def __init__(
        self,
        corpus: Corpus,
        model: PairwiseModel | None,
        store: Store | None = None,
        stats: LibraryStats | None = None,
        use_embeddings: bool = True,
        decisions: DecidedState | None = None,
        previous: Mapping[str, str] | None = None,
        embedder: str | None = None,
    ) -> None:
        self.corpus = corpus
        self.decisions = decisions
        self.previous: Mapping[str, str] = previous or {}
        self.model = model
        self.store = store
        self.stats = stats or compute_stats(corpus)
        self.use_embeddings = use_embeddings and store is not None
        self.vectors: dict[str, np.ndarray] = {}
        self.embedder: Embedder = get_embedder(
            embedder or (model.embedder if model is not None else DEFAULT_EMBEDDER)
        )
        self.giant_block = GIANT_BLOCK

    def fitted_model(self) -> PairwiseModel:
        """The pairwise model; an error (never a default model) when there is none."""
        if self.model is None:
            raise BylineError("no pairwise model is loaded; run `byline train` to build one")
        return self.model

    # -- features and probabilities ----------------------------------------------------

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
        if not wanted:
            return
        texts = {
            p: embed_text(self.corpus.papers[p].title, self.corpus.papers[p].abstract)
            for p in wanted
        }
        self.vectors.update(cached_embeddings(self.store, texts, self.embedder, progress=progress))

    def features(
        self, mentions: list[Mention], papers: Mapping[str, Paper] | None = None
    ) -> np.ndarray:
        """Pairwise features of one block's mentions (``np.triu_indices`` order); their
        papers are the corpus's unless given (training's pseudo-ambiguous names)."""
        papers = self.corpus.papers if papers is None else papers
        self.prepare_papers(m.paper_id for m in mentions)
        return block_features(
            mentions, papers, self.stats, self.vectors if self.use_embeddings else None
        )

    def probabilities(self, mentions: list[Mention]) -> tuple[np.ndarray, np.ndarray]:
        """P(same) of every pair of ``mentions`` and what the features say outright of each
        (``evidence_of``: +1 a shared co-author or the same affiliation, -1 affiliations of
        one year that differ), both in ``np.triu_indices`` order."""
        if len(mentions) < 2:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int8)
        X = self.features(mentions)
        return self.fitted_model().predict_proba(X), evidence_of(X)

    def block_probabilities(
        self, slugs: list[str], progress: StageProgress | None = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """:meth:`probabilities` of every block in ``slugs`` (embedded in one batch first)."""
        self.prepare(slugs, progress=lambda d, n: progress and progress("embed", d, n))
        out = {}
        for i, slug in enumerate(slugs):
            out[slug] = self.probabilities(self.corpus.blocks[slug])
            if progress:
                progress("predict", i + 1, len(slugs))
        return out

    # -- clustering --------------------------------------------------------------------

    def cluster_pairs(
        self,
        n: int,
        probs: np.ndarray,
        constraints: Constraints,
        evidence: np.ndarray | None,
        threshold: float | None = None,
        link_threshold: float | None = None,
    ) -> np.ndarray:
        """Cluster labels of ``n`` items from their pairwise P(same) (triu order), what the
        features say outright of each pair (``evidence_of``: direct evidence chained first,
        evidence of two people kept apart) and hard constraints, at the model's thresholds
        unless given."""
        model = self.fitted_model()
        return cluster_block(
            n,
            probs,
            model.threshold if threshold is None else threshold,
            constraints,
            link_threshold=model.link_threshold if link_threshold is None else link_threshold,
            evidence=evidence,
            evidence_threshold=model.evidence_threshold,
            conflict_threshold=model.conflict_threshold,
        )

    def cluster(
        self,
        mentions: list[Mention],
        probs: np.ndarray,
        evidence: np.ndarray,
        threshold: float | None = None,
        link_threshold: float | None = None,
    ) -> np.ndarray:
        """Cluster one block's mentions given their pairwise probabilities and evidence
        (:meth:`probabilities`), under the block's identity evidence and the
        maintainers' decisions. Pairs with evidence against them but no proof (different
        OpenReview ids, ``apart_soft``) are clustered at P(same) at most 0.5."""
        constraints = evidence_constraints(mentions, self.corpus, self.decisions, self.previous)
        probs = cap_pairs(len(mentions), probs, constraints.apart_soft)
        return self.cluster_pairs(
            len(mentions), probs, constraints, evidence, threshold, link_threshold
        )

    def cluster_blocks(
        self,
        probs: Mapping[str, tuple[np.ndarray, np.ndarray]],
        threshold: float | None = None,
        link_threshold: float | None = None,
    ) -> dict[str, str]:
        """A cluster label per mention of the given blocks (``<slug>/<n>``), from
        :meth:`block_probabilities`, at one setting of the thresholds."""
        pred: dict[str, str] = {}
        for slug, (p, evidence) in probs.items():
            mentions = self.corpus.blocks[slug]
            labels = self.cluster(mentions, p, evidence, threshold, link_threshold)
            for m, lab in zip(mentions, labels, strict=True):
                pred[m.mention_id] = f"{slug}/{lab}"
        return pred

    def split_block(self, slug: str) -> BlockResult:
        """The persons of one block: probabilities, clusters, confidences, stable keys."""
        mentions = self.corpus.blocks[slug]
        probs, evidence = self.probabilities(mentions)
        labels = self.cluster(mentions, probs, evidence)
        return self._result(slug, mentions, labels, probs)

    def split_blocks(self, slugs: Sequence[str]) -> list[BlockResult]:
        """:meth:`split_block` of each of ``slugs``, the same results, computed together:
        one pass of the features (:func:`byline.features.batch.batch_features`) and one
        call of the model for all the blocks; a block of one mention skips both. A block
        of more than ``giant_block`` mentions is split on candidate pairs instead
        (:func:`byline.engine.giant.split_giant`)."""
        blocks = [self.corpus.blocks[s] for s in slugs]
        self.prepare_papers(m.paper_id for b in blocks if len(b) > 1 for m in b)
        vectors = self.vectors if self.use_embeddings else None
        many = [b for b in blocks if 1 < len(b) <= self.giant_block]
        features = batch_features(many, self.corpus.papers, self.stats, vectors)
        if many:
            X = np.concatenate(features)
            bounds = np.cumsum([len(x) for x in features])[:-1]
            probs_of = iter(np.split(self.fitted_model().predict_proba(X), bounds))
            evidence_of_ = iter(np.split(evidence_of(X), bounds))
        out = []
        for slug, mentions in zip(slugs, blocks, strict=True):
            if len(mentions) < 2:
                labels = np.zeros(len(mentions), dtype=int)
                out.append(self._result(slug, mentions, labels, np.zeros(0, dtype=np.float32)))
            elif len(mentions) > self.giant_block:
                labels, conf, pairs, probs = split_giant(
                    mentions,
                    self.corpus,
                    self.stats,
                    vectors,
                    self.fitted_model(),
                    self.decisions,
                    self.previous,
                )
                keys = self._keys(slug, mentions, labels)
                out.append(BlockResult(slug, mentions, labels, conf, keys, probs, pairs))
            else:
                probs, evidence = next(probs_of), next(evidence_of_)
                labels = self.cluster(mentions, probs, evidence)
                out.append(self._result(slug, mentions, labels, probs))
        return out

    def _keys(self, slug: str, mentions: list[Mention], labels: np.ndarray) -> list[str]:
        """Stable person keys of each mention's cluster (:func:`assign_keys`)."""
        if len(mentions) == 1:
            return assign_keys(slug, [mentions], self.corpus, self.decisions, self.previous)
        labs = list(np.unique(labels))
        group_keys = assign_keys(
            slug,
            [[mentions[i] for i in np.flatnonzero(labels == lab)] for lab in labs],
            self.corpus,
            self.decisions,
            self.previous,
        )
        keys_by_label = dict(zip(labs, group_keys, strict=True))
        return [keys_by_label[lab] for lab in labels]

    def _result(
        self, slug: str, mentions: list[Mention], labels: np.ndarray, probs: np.ndarray
    ) -> BlockResult:
        n = len(mentions)
        conf = np.ones(n, dtype=np.float32)
        if n == 1:  # most names: one mention, sure of itself
            return BlockResult(
                slug, mentions, labels, conf, self._keys(slug, mentions, labels), probs
            )
        P = pair_matrix(n, probs)
        for lab in np.unique(labels):
            idx = np.flatnonzero(labels == lab)
            if len(idx) > 1:
                sub = P[np.ix_(idx, idx)]
                conf[idx] = (sub.sum(1) - 1.0) / (len(idx) - 1)
            elif n > 1:
                others = np.delete(P[idx[0]], idx[0])
                conf[idx] = 1.0 - others.max()
        return BlockResult(slug, mentions, labels, conf, self._keys(slug, mentions, labels), probs)


def load_engine(
    db: str | None = None, model_path: str | Path | None = None, changed_only: bool = False
) -> Engine:
    """The engine every command and the web page work with: the store's corpus, the
    shipped (or given) model, the maintainers' decisions and the last predictions.

    With ``changed_only``, the last predictions of only the names an ingest recorded as
    changed: all that ``split --changed`` reads (keys are kept per name).
    """
    from byline.store import connect
    from byline.store.changed import changed_names
    from byline.store.corpus import load_corpus

    store = connect(db, create=False)
    model = PairwiseModel.load(model_path)
    # abstracts stay in the store: every task reads them through the statistics only
    corpus = load_corpus(store, abstracts=False)
    slugs = changed_names(store).slugs if changed_only else None
    return Engine(
        corpus,
        model,
        store,
        stats=library_stats(corpus, store),
        decisions=decided_state(store),
        previous=load_predictions(store, slugs=slugs),
    )


def remember(engine: Engine, results: Iterable[BlockResult]) -> int:
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
