"""The benchmark protocol: partitions by block, gold labels, what gets hidden.

- A block is an exact-name slug; ``int(sha1(slug), 16) % 4`` gives its partition (train,
  dev or test; ``byline eval --split``): 0 and 2 are train, 1 dev, 3 test. ("Partition",
  so that the word does not clash with the ``split`` task.)
- Gold of a mention: its explicit non-catch-all ``id=``, else its ORCID iD; ids and ORCIDs
  of one person (on one mention, or in the registry) are unified.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from scipy.cluster.hierarchy import DisjointSet

from byline.store.corpus import Corpus

_BY_REMAINDER = {0: "train", 1: "dev", 2: "train", 3: "test"}


def partition_of(slug: str) -> str:
    """The benchmark partition of a block: "train", "dev" or "test"."""
    return _BY_REMAINDER[int(hashlib.sha1(slug.encode("utf-8")).hexdigest(), 16) % 4]


def gold_labels(corpus: Corpus) -> dict[str, str]:
    """``{mention_id: gold person label}`` for every mention that carries gold.

    A person's label is the smallest of its unified keys (``id:<person id>``, ``orcid:<iD>``).
    """
    same = DisjointSet()

    def union(a: str, b: str) -> None:
        same.add(a)
        same.add(b)
        same.merge(a, b)

    for person in corpus.persons.values():
        if person.orcid and person.explicit and not person.catch_all:
            union(f"id:{person.person_id}", f"orcid:{person.orcid}")
    keys: dict[str, str] = {}
    for m in corpus.mentions:
        pid = corpus.explicit_id(m)
        if pid and m.orcid:
            union(f"id:{pid}", f"orcid:{m.orcid}")
        if pid:
            keys[m.mention_id] = f"id:{pid}"
        elif m.orcid:
            keys[m.mention_id] = f"orcid:{m.orcid}"
    label: dict[str, str] = {}  # root -> the smallest key of its set

    def label_of(key: str) -> str:
        same.add(key)
        root = same[key]
        if root not in label:
            label[root] = min(same.subset(key))
        return label[root]

    return {mid: label_of(k) for mid, k in keys.items()}


def blocks_in(corpus: Corpus, partition: str) -> list[str]:
    """The blocks (name slugs) of one partition, sorted."""
    return sorted(slug for slug in corpus.blocks if partition_of(slug) == partition)


def scored_mentions(corpus: Corpus, gold: dict[str, str], partition: str) -> dict[str, list[str]]:
    """Gold-carrying mention ids of each block of a partition (blocks without gold left out)."""
    out: dict[str, list[str]] = defaultdict(list)
    for slug in blocks_in(corpus, partition):
        for m in corpus.blocks[slug]:
            if m.mention_id in gold:
                out[slug].append(m.mention_id)
    return dict(out)


def heldout_corpus(
    corpus: Corpus,
    gold: dict[str, str] | None = None,
    partitions: tuple[str, ...] = ("dev", "test"),
) -> Corpus:
    """The corpus with the gold of every mention of the given partitions hidden (dev and
    test by default; the benchmarks that predict train names out of fold hide train too)."""
    gold = gold if gold is not None else gold_labels(corpus)
    hidden = {m for s in partitions for ms in scored_mentions(corpus, gold, s).values() for m in ms}
    return corpus.masked(hidden)
