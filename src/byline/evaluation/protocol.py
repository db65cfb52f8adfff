"""The benchmark protocol: splits by block, gold labels, what gets hidden.

- A block is an exact-name slug; ``int(sha1(slug), 16) % 4`` gives its split: 0 and 2 are
  train, 1 dev, 3 test.
- Gold of a mention: its explicit non-catch-all ``id=``, else its ORCID iD; ids and ORCIDs
  of one person (on one mention, or in the registry) are unified.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from byline.store.corpus import Corpus

_BY_REMAINDER = {0: "train", 1: "dev", 2: "train", 3: "test"}


def split_of(slug: str) -> str:
    return _BY_REMAINDER[int(hashlib.sha1(slug.encode("utf-8")).hexdigest(), 16) % 4]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def gold_labels(corpus: Corpus) -> dict[str, str]:
    """``{mention_id: gold person label}`` for every mention that carries gold."""
    uf = _UnionFind()
    for person in corpus.persons.values():
        if person.orcid and person.explicit and not person.catch_all:
            uf.union(f"id:{person.person_id}", f"orcid:{person.orcid}")
    keys: dict[str, str] = {}
    for m in corpus.mentions:
        pid = corpus.explicit_id(m)
        if pid and m.orcid:
            uf.union(f"id:{pid}", f"orcid:{m.orcid}")
        if pid:
            keys[m.mention_id] = f"id:{pid}"
        elif m.orcid:
            keys[m.mention_id] = f"orcid:{m.orcid}"
    return {mid: uf.find(k) for mid, k in keys.items()}


def blocks_of_split(corpus: Corpus, split: str) -> list[str]:
    return sorted(slug for slug in corpus.blocks if split_of(slug) == split)


def scored_mentions(corpus: Corpus, gold: dict[str, str], split: str) -> dict[str, list[str]]:
    """Gold-carrying mention ids of each block of a split (blocks without gold left out)."""
    out: dict[str, list[str]] = defaultdict(list)
    for slug in blocks_of_split(corpus, split):
        for m in corpus.blocks[slug]:
            if m.mention_id in gold:
                out[slug].append(m.mention_id)
    return dict(out)


def heldout_corpus(corpus: Corpus, gold: dict[str, str] | None = None) -> Corpus:
    """The corpus with the gold of every dev and test mention hidden."""
    gold = gold if gold is not None else gold_labels(corpus)
    hidden = {
        m for s in ("dev", "test") for ms in scored_mentions(corpus, gold, s).values() for m in ms
    }
    return corpus.masked(hidden)
