"""`byline merge`: one person behind different names (name variants), ranked with evidence.

What is merged. A *unit* is a person as byline knows it today, i.e. the mentions that carry
one person key:

- the key a maintainer assigned (decisions), else the key of the last stored prediction
  (``split`` / ``split --all``), else the mention's explicit Anthology id, else the whole
  exact-name block (its key is the one ``split`` gives a block that stays one person:
  ``<slug>/<hash of its earliest mention>``);
- a unit may span several names (an explicit id, or an earlier merge); a name block with no
  predictions whose name the registry marks "may refer to several people" is not a unit that
  can be merged (it is several people) and is skipped until ``split`` has divided it.

How candidates are found. Every name of a unit gets a few normalised blocking keys
(``byline.features.name_match.blocking_keys``), plus its name in Han script and (given
name, co-author) keys for married names; only units sharing a key are compared, and keys shared by
too many units are dropped (a name like "W. Zhang" is not resolved by its spelling), so the
number of comparisons grows linearly with the number of units. A pair is a candidate when
the names are compatible (``compare_names``) and nothing forbids the merge: two units on one
paper, two different explicit ids, a maintainer's "not this person", or two units of one
name (those are split decisions, not merges).

How they are scored. The mentions of both units are compared with the shipped pairwise
model as if they carried one name (co-authors, affiliations, venues, years, topic,
embeddings), and a small LightGBM model trained on registry persons of train blocks only
combines the mention-pair probabilities with the name evidence and how common the names
are (``byline.model.merge.MergeModel``, shipped as ``src/byline/models/merge.{txt,json}``,
fitted by ``byline train --merge`` on the candidates of ``training_candidates``).

What ``--apply`` writes. Merging unit X into unit Y records, for each name slug of X, an
``assign`` decision of X's mentions of that name to Y's key (same store, same constraints
as the review page); a following ``split`` keeps them under Y's key. Y is the unit with an
explicit id, else the larger one. Accepted merges are joined greedily, best first, so that a
chain A-B-C ends under one key, never joining two units of one name or two explicit ids.
One ``--apply`` is one transaction: every accepted merge is stored, or (a name changed since
the candidates were computed: ``StaleVersion``) none.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from byline.cluster import pair_matrix
from byline.engine import Engine
from byline.errors import BylineError
from byline.features.name_match import NameMatch, blocking_keys, compare_names
from byline.features.pairwise import FEATURES as PAIR_FEATURES
from byline.features.pairwise import block_features
from byline.model.merge import KINDS, MERGE_FEATURES, MergeModel
from byline.names import fold, has_han
from byline.sources.records import Mention, Paper, Person
from byline.store import Store
from byline.store.corpus import Corpus
from byline.store.decisions import DecidedState, Decision, stable_key
from byline.store.intents import Assign, apply_intents, shown_at
from byline.training.merge import Candidates

Progress = Callable[[str, int, int], None]

# Keys shared by more units than this are dropped (initial and co-author keys are big for
# common names; full-name keys rarely are).
MAX_GROUP = {"p": 60, "c": 60, "d": 40, "i": 25, "h": 25, "a": 15}
MAX_COAUTHOR_KEYS = 25  # co-authors per unit used for married-name keys
MAX_MENTIONS = 10  # mentions per unit compared with the pairwise model


# --------------------------------------------------------------------------- units


@dataclass
class Unit:
    """A person as byline knows it now: the mentions carrying one person key."""

    key: str
    mentions: list[Mention]
    explicit_id: str | None = None
    several: bool = False  # a whole name block the registry says is several people

    @property
    def slugs(self) -> list[str]:
        return sorted({m.slug for m in self.mentions})

    @property
    def names(self) -> list[tuple[str, str]]:
        return sorted({(m.first, m.last) for m in self.mentions})

    @property
    def display(self) -> str:
        return Counter(m.full_name for m in self.mentions).most_common(1)[0][0]

    @property
    def display_name(self) -> tuple[str, str]:
        c = Counter((m.first, m.last) for m in self.mentions)
        return c.most_common(1)[0][0]


def build_units(
    corpus: Corpus,
    predictions: Mapping[str, str] | None = None,
    decisions: DecidedState | None = None,
) -> list[Unit]:
    """Group the library's mentions into units (see the module docstring)."""
    predictions = predictions or {}
    assigned = decisions.assignments() if decisions else {}
    catch_all_slugs = {n.slug for p in corpus.persons.values() if p.catch_all for n in p.names}
    by_key: dict[str, list[Mention]] = defaultdict(list)
    block_key: dict[str, str] = {}
    explicit: dict[str, str] = {}
    several: set[str] = set()
    for slug, mentions in corpus.blocks.items():
        rest = []
        for m in mentions:
            mid = m.mention_id
            key = assigned.get(mid) or predictions.get(mid)
            pid = corpus.explicit_id(m)
            if key is None and pid:
                key = pid
            if key is None:
                rest.append(m)
                continue
            if pid and key == pid:
                explicit[key] = pid
            by_key[key].append(m)
        if rest:
            key = block_key.setdefault(slug, stable_key(slug, min(m.mention_id for m in rest)))
            by_key[key].extend(rest)
            if slug in catch_all_slugs:
                several.add(key)
    return [
        Unit(key=k, mentions=ms, explicit_id=explicit.get(k), several=k in several)
        for k, ms in sorted(by_key.items())
    ]


def registry_view(persons: Iterable[Person]) -> dict[str, set[str]]:
    """``{name slug: ids of the (non-catch-all) registry persons listing that name}``."""
    out: dict[str, set[str]] = defaultdict(set)
    for p in persons:
        if p.catch_all:
            continue
        for n in p.names:
            out[n.slug].add(p.person_id)
    return dict(out)


# --------------------------------------------------------------------------- candidates


@dataclass
class Pair:
    a: int
    b: int
    match: NameMatch
    names: tuple[tuple[str, str], tuple[str, str]]
    known: bool = False  # the registry already lists both names for one person


@dataclass
class Generated:
    pairs: list[Pair]
    comparisons: int  # unit pairs looked at (name comparisons), the cost of blocking
    keys: int
    memberships: int = 0  # (unit, key) entries of the index: comparisons <= cap * this
    partners: Counter[int] = field(default_factory=Counter)


def _unit_keys(u: Unit, corpus: Corpus) -> set[str]:
    keys: set[str] = set()
    for first, last in u.names:
        keys |= blocking_keys(first, last)
    for m in u.mentions:
        if m.variant and has_han(m.variant):
            keys.add(f"h:{m.variant.replace(' ', '')}")
    co: Counter[str] = Counter()
    own = set(u.slugs)
    for m in u.mentions:
        paper = corpus.papers[m.paper_id]
        if len(paper.authors) <= 30:
            co.update(a.slug for a in paper.coauthors(*own))
    givens = {fold(first).split(" ")[0].strip(".") for first, _ in u.names}
    givens = {g for g in givens if len(g) > 2}
    for s, _ in co.most_common(MAX_COAUTHOR_KEYS):
        for g in givens:
            keys.add(f"a:{g}|{s}")
    return keys


def generate_candidates(
    corpus: Corpus,
    units: list[Unit],
    registry: Mapping[str, set[str]] | None = None,
    decisions: DecidedState | None = None,
    include_known: bool = False,
    only: set[int] | None = None,
) -> Generated:
    """Candidate pairs of units whose names may be one person (blocking, no all-pairs).

    ``only``: restrict to pairs involving these unit indexes (``--name``).
    """
    registry = registry or {}
    index: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        if u.several:
            continue
        for k in _unit_keys(u, corpus):
            index[k].append(i)
    seen: dict[tuple[int, int], bool] = {}
    comparisons = 0
    for k, members in index.items():
        if len(members) < 2 or len(members) > MAX_GROUP[k[0]]:
            continue
        coauthor_key = k[0] == "a"
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                if only is not None and a not in only and b not in only:
                    continue
                comparisons += 1
                pair = (a, b)
                seen[pair] = seen.get(pair, False) or coauthor_key
    excluded = decisions.exclusions() if decisions else {}
    papers = [{m.paper_id for m in u.mentions} for u in units]
    pairs: list[Pair] = []
    partners: Counter[int] = Counter()
    for (a, b), via_coauthor in sorted(seen.items()):
        ua, ub = units[a], units[b]
        if set(ua.slugs) & set(ub.slugs):
            continue  # one name: a split decision, not a merge
        if ua.explicit_id and ub.explicit_id and ua.explicit_id != ub.explicit_id:
            continue  # the registry says two people
        if papers[a] & papers[b]:
            continue  # co-authors of one paper
        if any(ub.key in excluded.get(m.mention_id, ()) for m in ua.mentions) or any(
            ua.key in excluded.get(m.mention_id, ()) for m in ub.mentions
        ):
            continue  # a maintainer said no
        best: tuple[NameMatch, tuple[str, str], tuple[str, str]] | None = None
        for na in ua.names:
            for nb in ub.names:
                mt = compare_names(na, nb, allow_family_change=via_coauthor)
                if mt and (best is None or _better(mt, best[0])):
                    best = (mt, na, nb)
        if best is None:
            continue
        known = _known(ua, ub, registry)
        if known and not include_known:
            continue
        pairs.append(Pair(a, b, best[0], (best[1], best[2]), known))
        partners[a] += 1
        partners[b] += 1
    memberships = sum(len(v) for v in index.values())
    return Generated(pairs, comparisons, len(index), memberships, partners)


def _better(x: NameMatch, y: NameMatch) -> bool:
    return (len(x.kinds), -x.similarity) < (len(y.kinds), -y.similarity)


def _known(ua: Unit, ub: Unit, registry: Mapping[str, set[str]]) -> bool:
    ids_a = set().union(*(registry.get(s, set()) for s in ua.slugs))
    ids_b = set().union(*(registry.get(s, set()) for s in ub.slugs))
    common = ids_a & ids_b
    for u in (ua, ub):
        if u.explicit_id:
            common &= {u.explicit_id}
    return bool(common)


# --------------------------------------------------------------------------- features


def _sample(mentions: list[Mention], k: int = MAX_MENTIONS) -> list[Mention]:
    ms = sorted(mentions, key=lambda m: m.mention_id)
    if len(ms) <= k:
        return ms
    idx = np.linspace(0, len(ms) - 1, k).round().astype(int)
    return [ms[i] for i in idx]


def cross_probabilities(
    corpus: Corpus,
    stats: Any,
    model: Any,
    vectors: Mapping[str, np.ndarray] | None,
    a: list[Mention],
    b: list[Mention],
    block_size: int,
) -> np.ndarray:
    """P(same person) of every (a, b) mention pair from the shipped pairwise model.

    The model compares mentions of one name, so b's mentions are given a's name (on a
    copy of their papers, so that b's own name is not counted as one of its co-authors).
    """
    first, last = a[0].first, a[0].last
    papers: dict[str, Paper] = {m.paper_id: corpus.papers[m.paper_id] for m in a}
    renamed: list[Mention] = []
    for m in b:
        r = Mention(
            paper_id=m.paper_id,
            position=m.position,
            first=first,
            last=last,
            affiliation=m.affiliation,
            variant=m.variant,
        )
        p = corpus.papers[m.paper_id]
        papers[m.paper_id] = replace(
            p, authors=[r if x.position == m.position else x for x in p.authors]
        )
        renamed.append(r)
    ms = list(a) + renamed
    X = block_features(ms, papers, stats, dict(vectors) if vectors is not None else None)
    X[:, PAIR_FEATURES.index("block_size_log")] = stats.per_million(block_size)
    P = np.asarray(model.predict_proba(X), dtype=np.float32)
    return pair_matrix(len(ms), P)[: len(a), len(a) :]


@dataclass
class Evidence:
    """What a maintainer reads to accept or reject a merge."""

    name: str
    p_mean: float
    p_max: float
    coauthors: list[str]
    affiliations: list[str]
    venues: list[str]
    years: tuple[str, str]


def _coauthors(u: Unit, corpus: Corpus) -> Counter[str]:
    own = set(u.slugs)
    c: Counter[str] = Counter()
    for m in u.mentions:
        c.update(corpus.papers[m.paper_id].coauthor_slugs(*own))
    return c


def _years(u: Unit, corpus: Corpus) -> list[int]:
    return sorted(y for m in u.mentions if (y := corpus.papers[m.paper_id].year))


def _span(years: list[int]) -> str:
    return f"{years[0]}–{years[-1]}" if years else "?"


def pair_features(
    corpus: Corpus,
    stats: Any,
    model: Any,
    vectors: Mapping[str, np.ndarray] | None,
    ua: Unit,
    ub: Unit,
    pair: Pair,
    partners: int,
) -> tuple[np.ndarray, Evidence]:
    """The merge model's feature row for one candidate (``MERGE_FEATURES`` order), and its
    evidence."""
    big, small = (ua, ub) if len(ua.mentions) >= len(ub.mentions) else (ub, ua)
    size = len(corpus.blocks.get(big.slugs[0], ())) + len(corpus.blocks.get(small.slugs[0], ()))
    P = cross_probabilities(
        corpus, stats, model, vectors, _sample(big.mentions), _sample(small.mentions), size
    )
    flat = np.sort(P.ravel())[::-1]
    ca, cb = _coauthors(ua, corpus), _coauthors(ub, corpus)
    # names of the other unit are not shared co-authors (they would be the person itself)
    shared = sorted((set(ca) & set(cb)) - set(ua.slugs) - set(ub.slugs))
    aff_a = {fold(m.affiliation) for m in ua.mentions if m.affiliation}
    aff_b = {fold(m.affiliation) for m in ub.mentions if m.affiliation}
    ven_a = Counter(v for m in ua.mentions for v in corpus.papers[m.paper_id].venues)
    ven_b = Counter(v for m in ub.mentions for v in corpus.papers[m.paper_id].venues)
    ya, yb = _years(ua, corpus), _years(ub, corpus)
    if ya and yb:
        gap = float(max(0, max(ya[0], yb[0]) - min(ya[-1], yb[-1])))
    else:
        gap = math.nan
    cos = math.nan
    if vectors is not None:
        va = [vectors[m.paper_id] for m in ua.mentions if m.paper_id in vectors]
        vb = [vectors[m.paper_id] for m in ub.mentions if m.paper_id in vectors]
        if va and vb:
            ma, mb = np.mean(va, axis=0), np.mean(vb, axis=0)
            cos = float(ma @ mb / (np.linalg.norm(ma) * np.linalg.norm(mb) + 1e-9))
    (fa, la), (fb, lb) = pair.names
    firsts = [stats.first_count.get(fold(fa), 0), stats.first_count.get(fold(fb), 0)]
    lasts = [stats.last_count.get(fold(la), 0), stats.last_count.get(fold(lb), 0)]
    row = [
        float(flat.mean()),
        float(flat[0]),
        float(flat[:3].mean()),
        float(len(shared)),
        float(bool(aff_a & aff_b)) if aff_a and aff_b else math.nan,
        float(bool(set(ven_a) & set(ven_b))),
        gap,
        cos,
        pair.match.similarity,
        *(float(k in pair.match.kinds) for k in KINDS),
        math.log1p(len(small.mentions)),
        math.log1p(len(big.mentions)),
        stats.per_million(max(firsts)),
        stats.per_million(max(lasts)),
        math.log1p(partners),
        float(all(len(t.strip(".")) <= 1 for n in (fa, fb) for t in n.split()) or 0.0),
    ]
    names = {s: corpus.blocks[s][0].full_name for s in shared if s in corpus.blocks}
    ev = Evidence(
        name=pair.match.describe(),
        p_mean=round(float(flat.mean()), 4),
        p_max=round(float(flat[0]), 4),
        coauthors=[names.get(s, s) for s in shared[:8]],
        affiliations=sorted(aff_a & aff_b)[:3],
        venues=sorted(set(ven_a) & set(ven_b))[:5],
        years=(_span(ya), _span(yb)),
    )
    return np.asarray(row, dtype=np.float32), ev


# --------------------------------------------------------------------------- training data


def training_candidates(
    corpus: Corpus, store: Store | None, pair_model: Any, progress: Progress | None = None
) -> Candidates:
    """Every candidate pair of ``corpus`` (pairs the registry already links included) with
    its merge features: what ``byline train --merge`` fits on (``byline.training.merge``).

    Units are the exact-name blocks and explicit-id persons of ``corpus`` (no predictions, no
    decisions); embeddings come from the store's cache (missing ones are computed there),
    none without a store.
    """
    t = time.perf_counter()
    units = build_units(corpus)
    registry = registry_view(corpus.persons.values())
    gen = generate_candidates(corpus, units, registry, include_known=True)
    timings = {"candidates": time.perf_counter() - t}
    t = time.perf_counter()
    engine = Engine(corpus, pair_model, store)
    wanted = {m.paper_id for p in gen.pairs for u in (p.a, p.b) for m in units[u].mentions}
    engine.prepare_papers(wanted, progress=lambda d, n: progress and progress("embed", d, n))
    timings["stats_embeddings"] = time.perf_counter() - t
    t = time.perf_counter()
    vectors = engine.vectors if engine.use_embeddings else None
    X, _ = score_pairs(corpus, units, gen, engine.stats, pair_model, vectors, progress)
    timings["features"] = time.perf_counter() - t
    return Candidates(
        X=X,
        slugs=[(units[p.a].slugs, units[p.b].slugs) for p in gen.pairs],
        known=[p.known for p in gen.pairs],
        kinds=[list(p.match.kinds) for p in gen.pairs],
        names=[(units[p.a].display, units[p.b].display) for p in gen.pairs],
        units=len(units),
        comparisons=gen.comparisons,
        timings=timings,
    )


# --------------------------------------------------------------------------- task


@dataclass
class MergeCandidate:
    source: str  # the unit merged away (its mentions get the target's key)
    target: str
    source_name: str
    target_name: str
    source_slugs: list[str]
    target_slugs: list[str]
    source_mentions: int
    target_mentions: int
    score: float
    accept: bool  # score at or above the model's threshold
    known: bool  # the registry already lists both names for one person
    kinds: list[str]
    evidence: Evidence
    source_ids: dict[str, list[str]] = field(default_factory=dict)  # slug -> mention ids

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _direction(ua: Unit, ub: Unit) -> tuple[Unit, Unit]:
    """(source, target): the unit with an explicit id, else the larger one, is the target."""
    if bool(ua.explicit_id) != bool(ub.explicit_id):
        return (ub, ua) if ua.explicit_id else (ua, ub)
    if len(ua.mentions) != len(ub.mentions):
        return (ub, ua) if len(ua.mentions) > len(ub.mentions) else (ua, ub)
    return (ub, ua) if ua.key < ub.key else (ua, ub)


def score_pairs(
    corpus: Corpus,
    units: list[Unit],
    gen: Generated,
    stats: Any,
    pair_model: Any,
    vectors: Mapping[str, np.ndarray] | None,
    progress: Progress | None = None,
) -> tuple[np.ndarray, list[Evidence]]:
    """Feature rows and evidence of every generated pair."""
    rows, evs = [], []
    for i, p in enumerate(gen.pairs):
        partners = min(gen.partners[p.a], gen.partners[p.b])
        row, ev = pair_features(
            corpus, stats, pair_model, vectors, units[p.a], units[p.b], p, partners
        )
        rows.append(row)
        evs.append(ev)
        if progress and (i % 50 == 0 or i + 1 == len(gen.pairs)):
            progress("score", i + 1, len(gen.pairs))
    X = np.stack(rows) if rows else np.zeros((0, len(MERGE_FEATURES)), dtype=np.float32)
    return X, evs


def find_merges(
    engine: Any,
    merge_model: MergeModel,
    name: str | None = None,
    include_known: bool = False,
    progress: Progress | None = None,
) -> list[MergeCandidate]:
    """Ranked merge candidates of the library (or of one name), with evidence.

    ``engine`` is a :class:`byline.engine.Engine` (corpus, statistics, pairwise
    model, embedding cache, decisions and last predictions).
    """
    corpus: Corpus = engine.corpus
    units = build_units(corpus, engine.previous, engine.decisions)
    only = None
    if name is not None:
        from byline.tasks.split import resolve_name

        slug = resolve_name(corpus, name)
        only = {i for i, u in enumerate(units) if slug in u.slugs}
    gen = generate_candidates(
        corpus,
        units,
        registry_view(corpus.persons.values()),
        engine.decisions,
        include_known=include_known,
        only=only,
    )
    wanted = {m.paper_id for p in gen.pairs for u in (p.a, p.b) for m in units[u].mentions}
    engine.prepare_papers(wanted, progress=lambda d, n: progress and progress("embed", d, n))
    vectors = engine.vectors if engine.use_embeddings else None
    X, evs = score_pairs(corpus, units, gen, engine.stats, engine.model, vectors, progress)
    scores = merge_model.predict_proba(X)
    out = []
    for p, s, ev in zip(gen.pairs, scores, evs, strict=True):
        src, tgt = _direction(units[p.a], units[p.b])
        ids: dict[str, list[str]] = defaultdict(list)
        for m in src.mentions:
            ids[m.slug].append(m.mention_id)
        out.append(
            MergeCandidate(
                source=src.key,
                target=tgt.key,
                source_name=src.display,
                target_name=tgt.display,
                source_slugs=src.slugs,
                target_slugs=tgt.slugs,
                source_mentions=len(src.mentions),
                target_mentions=len(tgt.mentions),
                score=round(float(s), 4),
                accept=bool(s >= merge_model.threshold),
                known=p.known,
                kinds=list(p.match.kinds),
                evidence=ev,
                source_ids={k: sorted(v) for k, v in sorted(ids.items())},
            )
        )
    out.sort(key=lambda c: (-c.score, c.source, c.target))
    return out


def plan_merges(
    candidates: list[MergeCandidate], units_by_key: Mapping[str, Unit]
) -> list[tuple[Unit, Unit, MergeCandidate]]:
    """Join accepted candidates greedily, best first, into (source, target) moves.

    A link is skipped when it would put two units of one name, or two explicit ids, into
    one person. Each resulting group ends under one target key.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members: dict[str, list[str]] = {}
    used: dict[tuple[str, str], MergeCandidate] = {}
    for c in sorted(candidates, key=lambda c: -c.score):
        ra, rb = find(c.source), find(c.target)
        if ra == rb:
            continue
        ga = members.get(ra, [ra])
        gb = members.get(rb, [rb])
        slugs_a = {s for k in ga for s in units_by_key[k].slugs}
        slugs_b = {s for k in gb for s in units_by_key[k].slugs}
        ids_a = {units_by_key[k].explicit_id for k in ga} - {None}
        ids_b = {units_by_key[k].explicit_id for k in gb} - {None}
        if slugs_a & slugs_b or (ids_a and ids_b and ids_a != ids_b):
            continue
        parent[ra] = rb
        members[rb] = gb + ga
        members.pop(ra, None)
        used[(c.source, c.target)] = c
    moves = []
    for keys in members.values():
        group = [units_by_key[k] for k in keys]
        target = group[0]
        for u in group[1:]:
            _, target = _direction(u, target)
        for u in group:
            if u.key != target.key:
                link = max(
                    (c for (s, t), c in used.items() if u.key in (s, t)), key=lambda c: c.score
                )
                moves.append((u, target, link))
    return moves


def apply_merges(
    store: Store,
    candidates: list[MergeCandidate],
    units: list[Unit],
    actor: str = "cli",
    model_version: str = "",
    decisions: DecidedState | None = None,
) -> list[Decision]:
    """Record the accepted merges as ``assign`` decisions, one per source name slug, all in
    ONE transaction: every merge or none.

    ``decisions``: the state the units and candidates were computed from; each name written
    must still be at the version read with it (``StaleVersion`` otherwise, nothing written).
    ``None``: no decision was read, so every name must still be untouched.
    """
    by_key = {u.key: u for u in units}
    intents = []
    for src, tgt, link in plan_merges(candidates, by_key):
        per_slug: dict[str, list[str]] = defaultdict(list)
        for m in src.mentions:
            per_slug[m.slug].append(m.mention_id)
        note = (
            f"merge: {src.display} -> {tgt.display} ({tgt.key}), "
            f"score {link.score:.2f}: {link.evidence.name}"
        )
        intents.append(Assign(dict(per_slug), tgt.key, tgt.display_name, note))
    if not intents:
        return []
    slugs = {s for i in intents for s in i.mentions}
    shown = shown_at(decisions or DecidedState(), slugs)
    return apply_intents(store, intents, shown, actor=actor, model_version=model_version)


# --------------------------------------------------------------------------- presentation


def candidates_table(candidates: list[MergeCandidate]) -> Any:
    """A Rich table of ranked candidates with their evidence."""
    from rich.table import Table

    table = Table(title="merge candidates (source -> target)", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("merge", overflow="fold", max_width=44)
    table.add_column("name evidence", overflow="fold", max_width=30)
    table.add_column("P(same) mean/max", justify="right")
    table.add_column("shared co-authors, affiliations, venues", overflow="fold", max_width=48)
    table.add_column("years", overflow="fold")
    for i, c in enumerate(candidates, 1):
        ev = c.evidence
        shared = "; ".join(
            x
            for x in (
                ", ".join(ev.coauthors),
                ", ".join(ev.affiliations),
                ", ".join(ev.venues),
            )
            if x
        )
        table.add_row(
            str(i),
            f"{c.score:.2f}",
            f"{c.source_name} ({c.source_mentions}) -> {c.target_name} ({c.target_mentions})"
            f"\n{c.source} -> {c.target}",
            ev.name + (" [registry]" if c.known else ""),
            f"{ev.p_mean:.2f}/{ev.p_max:.2f}",
            shared or "-",
            f"{ev.years[0]} / {ev.years[1]}",
            style=None if c.accept else "dim",
        )
    return table


def merge_report(
    engine: Any,
    merge_model: MergeModel,
    name: str | None = None,
    top: int | None = 20,
    include_known: bool = False,
    apply: bool = False,
    actor: str = "cli",
    progress: Progress | None = None,
) -> tuple[list[MergeCandidate], list[Decision]]:
    """Candidates (the ``top`` best) and, with ``apply``, the decisions recorded for the
    accepted ones among them."""
    cands = find_merges(engine, merge_model, name, include_known, progress)
    if top is not None:
        cands = cands[:top]
    written: list[Decision] = []
    if apply:
        if engine.store is None:
            raise BylineError("--apply needs a store")
        units = build_units(engine.corpus, engine.previous, engine.decisions)
        version = f"{merge_model.version}+{engine.model.version if engine.model else ''}"
        written = apply_merges(
            engine.store,
            [c for c in cands if c.accept],
            units,
            actor=actor,
            model_version=version,
            decisions=engine.decisions,
        )
    return cands, written
