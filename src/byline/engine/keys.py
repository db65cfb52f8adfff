"""Stable person keys for the groups a clustering produced."""

from __future__ import annotations

from collections.abc import Mapping

from byline.sources.records import Mention
from byline.store.corpus import Corpus
from byline.store.decisions import DecidedState, stable_key


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
    for gi, members in enumerate(groups):
        decided = (decisions.person_of(m.mention_id) for m in members) if decisions else ()
        votes = [p for p in decided if p is not None]
        if votes:
            keys[gi] = max(sorted(set(votes)), key=votes.count)
            taken.add(keys[gi])  # type: ignore[arg-type]
    for gi, members in enumerate(groups):
        if keys[gi] is None:
            ids = [pid for m in members if (pid := corpus.explicit_id(m))]
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
