"""Constraints of one block: identity evidence and maintainer decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from byline.cluster import Constraints
from byline.sources.records import Mention
from byline.store.corpus import Corpus
from byline.store.decisions import DecidedState


@dataclass
class Identity:
    """What a block's mentions carry of their identity, decisions applied.

    Attributes:
        must: pairs that are one person (a shared id, ORCID iD or OpenReview id, or one
            decided person), each mention linked to the first that carries the same.
        ids: per mention, its id (the decided person's, where a maintainer decided).
        orcids: per mention, its ORCID iD (its own, else its registry person's).
        openreviews: per mention, its OpenReview id.
    """

    must: list[tuple[int, int]] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)
    orcids: list[str | None] = field(default_factory=list)
    openreviews: list[str | None] = field(default_factory=list)


def identity_evidence(
    mentions: list[Mention], corpus: Corpus, decisions: DecidedState | None = None
) -> Identity:
    """The ids, ORCID iDs and OpenReview ids of ``mentions`` and the must-links they make
    (see :func:`evidence_constraints`); linear in the mentions."""
    out = Identity()
    first_with: dict[str, int] = {}
    ids, orcids, openreviews = out.ids, out.orcids, out.openreviews
    for i, m in enumerate(mentions):
        pid = corpus.explicit_id(m)
        decided = decisions.person_of(m.mention_id) if decisions else None
        if decided is not None:
            # The maintainer's word replaces the mention's own evidence: it now carries the
            # decided person as its id (must-linked with that person's other mentions,
            # kept apart from other ids), and its own id/ORCID no longer count.
            pid = decided
            ids.append(pid)
            orcids.append(None)
            openreviews.append(None)
            key = f"id:{pid}"
            if key in first_with:
                out.must.append((first_with[key], i))
            else:
                first_with[key] = i
            continue
        if decisions and pid and decisions.excludes(m.mention_id, pid):
            pid = None
        openreviews.append(m.openreview)
        if pid is None and m.orcid is None and m.openreview is None:
            ids.append(None)
            orcids.append(None)
            continue
        registry = corpus.persons.get(pid or "")
        orcid = m.orcid or (registry.orcid if registry else None)
        ids.append(pid)
        orcids.append(orcid)
        for key in (
            f"id:{pid}" if pid else None,
            f"orcid:{orcid}" if orcid else None,
            f"openreview:{m.openreview}" if m.openreview else None,
        ):
            if key is None:
                continue
            if key in first_with:
                out.must.append((first_with[key], i))
            else:
                first_with[key] = i
    return out


def same_paper_pairs(mentions: list[Mention]) -> list[tuple[int, int]]:
    """Pairs of mentions on one paper (two authors of one paper are two people)."""
    by_paper: dict[str, list[int]] = {}
    for i, m in enumerate(mentions):
        by_paper.setdefault(m.paper_id, []).append(i)
    return [(a, b) for idx in by_paper.values() for ai, a in enumerate(idx) for b in idx[ai + 1 :]]


def evidence_constraints(
    mentions: list[Mention],
    corpus: Corpus,
    decisions: DecidedState | None = None,
    previous: Mapping[str, str] | None = None,
) -> Constraints:
    """Must-link shared ORCIDs / explicit ids / OpenReview ids; cannot-link co-authors of one
    paper and mentions that carry two different ids or two different ORCIDs; keep apart,
    softly (``apart_soft``), mentions that carry two different OpenReview ids (a profile may
    hold several ids, so that is evidence against one person, not proof).

    Maintainer decisions override the data's own evidence for the mentions they cover:
    mentions decided to be one person are must-linked, mentions decided to be different
    persons cannot-linked, and a mention decided NOT to be person P is cannot-linked with
    every mention of P (decided, carrying P's id, or predicted as P last time).
    """
    ident = identity_evidence(mentions, corpus, decisions)
    ids, orcids, openreviews = ident.ids, ident.orcids, ident.openreviews
    c = Constraints(must=ident.must)
    c.cannot.extend(same_paper_pairs(mentions))
    marked = [i for i in range(len(mentions)) if ids[i] or orcids[i]]
    for ai, a in enumerate(marked):
        for b in marked[ai + 1 :]:
            if (ids[a] and ids[b] and ids[a] != ids[b]) or (
                orcids[a] and orcids[b] and orcids[a] != orcids[b]
            ):
                c.cannot.append((a, b))
    marked = [i for i in range(len(mentions)) if openreviews[i]]
    for ai, a in enumerate(marked):
        for b in marked[ai + 1 :]:
            if openreviews[a] != openreviews[b]:
                c.apart_soft.append((a, b))
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
        for p in sorted(decisions.excluded_from(m.mention_id)):
            for j, other in enumerate(mentions):
                if j == i or decisions.excludes(other.mention_id, p):
                    continue
                mine = decisions.person_of(other.mention_id)
                if mine == p or (
                    mine is None and (other.person_id == p or previous.get(other.mention_id) == p)
                ):
                    c.cannot.append((i, j))


OPENREVIEW_CAP = 0.5  # P(same) of two mentions with different OpenReview ids, at most


def cap_pairs(
    n: int, probs: np.ndarray, pairs: Sequence[tuple[int, int]], cap: float = OPENREVIEW_CAP
) -> np.ndarray:
    """A copy of ``probs`` (P(same) of ``n`` items, ``np.triu_indices(n, 1)`` order) in which
    each of ``pairs`` is at most ``cap``; ``probs`` itself when there is no pair.

    At 0.5 such a pair is never chained on the model's word alone, weighs against its two
    groups in average linkage, and is still chained when the two share a co-author or an
    affiliation (direct evidence, chained from P 0.5 on).
    """
    if not pairs:
        return probs
    out = np.array(probs, copy=True)
    for a, b in pairs:
        i, j = (a, b) if a < b else (b, a)
        k = n * i - i * (i + 1) // 2 + (j - i - 1)
        out[k] = min(float(out[k]), cap)
    return out
