"""`byline audit`: which author pages likely conflate two or more people, and inside each
page which papers likely sit on the wrong person.

A *page* is an exact-name block (slug): the unit the Anthology builds a page from when no
``id=`` separates people, and the unit of the benchmark protocol. Every mention of the page
is scored, including mentions that carry an explicit id: the pairwise model never reads
ids, so a paper whose id (or place) looks wrong to the model still ranks high.

Per page, raw signals come from the model's pairwise probabilities and the split:

- ``top_cut``: plain average linkage over the whole page (no constraints); the last merge
  joins the two groups the model keeps most apart; its height is 1 - their mean P(same),
  the page's *weakest link*;
- ``isolated``: the weakest best link of any mention (min over mentions of its highest
  P(same) to another mention of the page);
- the constrained split (``Engine``): persons inferred, mentions outside the largest.

A logistic calibration (``byline.model.audit.Calibration``, fitted on train blocks by
``byline train --audit``, seeded) turns them into P(page holds 2+ people); a second one
turns a mention's mean and best P(same) to the page's majority person, whether the split
keeps it there, and the page probability into P(mention is not with the page's majority
person). A calibration is valid for the pairwise model it was fitted for only; the audit
refuses another.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.cluster.hierarchy import linkage

from byline.cluster import pair_matrix
from byline.engine import BlockResult, Engine
from byline.model.audit import Calibration
from byline.model.audit import logit as _logit
from byline.store.corpus import Corpus

if TYPE_CHECKING:
    from rich.table import Table

# --- raw signals of one page -------------------------------------------------------------


@dataclass
class PageSignals:
    """Uncalibrated evidence of one page (an exact-name block), from one split result."""

    slug: str
    n: int
    features: np.ndarray  # PAGE_FEATURES
    paper_features: np.ndarray  # (n, len(PAPER_FEATURES) - 1): all but page_logit
    majority: int  # cluster label of the largest inferred person
    top_cut: float  # mean P(same) across the weakest cut (1.0 for one mention)
    cut_sides: tuple[int, int]
    isolated: float  # weakest best link of a mention
    isolated_mention: str | None
    to_majority: np.ndarray  # per mention: mean P(same) to the majority person's mentions
    best_to_majority: np.ndarray  # per mention: highest P(same) to one of them


def page_signals(result: BlockResult) -> PageSignals:
    """The raw page and paper signals of one split block."""
    n = len(result.mentions)
    if n < 2:
        return PageSignals(
            slug=result.slug,
            n=n,
            features=np.array([_logit(1.0), _logit(1.0), 0.0, 0.0, 0.0]),
            paper_features=np.tile([_logit(1.0), _logit(1.0), 0.0], (n, 1)),
            majority=int(result.labels[0]) if n else 0,
            top_cut=1.0,
            cut_sides=(n, 0),
            isolated=1.0,
            isolated_mention=None,
            to_majority=np.ones(n),
            best_to_majority=np.ones(n),
        )
    probs = np.asarray(result.probs, dtype=np.float64)
    P = pair_matrix(n, probs, dtype=np.float64)
    tree = linkage(1.0 - probs, method="average")
    top_cut = float(1.0 - tree[-1, 2])
    sides = tuple(1 if c < n else int(tree[int(c) - n, 3]) for c in tree[-1, :2])
    off = P - np.eye(n) * 2.0  # diagonal below any probability
    best = off.max(axis=1)
    iso = int(np.argmin(best))
    labels = np.asarray(result.labels)
    sizes = np.bincount(labels)
    majority = int(np.argmax(sizes))  # ties: the lowest label
    in_major = labels == majority
    to_maj = np.empty(n)
    best_maj = np.empty(n)
    for i in range(n):
        members = in_major.copy()
        members[i] = False
        if not members.any():  # a one-mention majority: compare with everyone else
            members = np.ones(n, dtype=bool)
            members[i] = False
        to_maj[i] = P[i, members].mean()
        best_maj[i] = P[i, members].max()
    outside = n - int(sizes[majority])
    features = np.array(
        [
            float(_logit(top_cut)),
            float(_logit(best[iso])),
            float(len(sizes) > 1),
            math.log1p(outside),
            math.log(n),
        ]
    )
    paper_features = np.column_stack([_logit(to_maj), _logit(best_maj), (~in_major).astype(float)])
    return PageSignals(
        slug=result.slug,
        n=n,
        features=features,
        paper_features=paper_features,
        majority=majority,
        top_cut=top_cut,
        cut_sides=(int(sides[0]), int(sides[1])),
        isolated=float(best[iso]),
        isolated_mention=result.mentions[iso].mention_id,
        to_majority=to_maj,
        best_to_majority=best_maj,
    )


# --- the audit of one page and of the whole library ----------------------------------------


@dataclass
class PaperAudit:
    mention_id: str
    paper_id: str
    title: str
    year: int | None
    p_wrong: float  # P(not with the page's majority person)
    person: str  # inferred person key
    majority_person: str
    to_majority: float  # mean P(same) to the majority person's mentions
    best_to_majority: float
    shared_coauthors_with_majority: int  # 0: no co-author shared with the majority person
    explicit_id: str | None
    orcid: str | None
    url: str


@dataclass
class PageAudit:
    slug: str
    name: str
    mentions: int
    p_conflated: float  # P(the page holds 2+ people)
    persons: list[tuple[str, int]]  # inferred persons and their sizes, biggest first
    weakest_link: float  # mean P(same) across the weakest cut of the page
    weakest_cut: tuple[int, int]  # sizes of the two sides of that cut
    isolated_mention: str | None
    isolated_best_link: float
    explicit_ids: list[str]
    papers: list[PaperAudit]  # most likely misplaced first
    decided_mentions: int = 0  # mentions a maintainer already assigned (decision store)

    def top_paper(self) -> PaperAudit | None:
        return self.papers[0] if self.papers else None


def audit_page(
    result: BlockResult,
    corpus: Corpus,
    calibration: Calibration,
    decided: Mapping[str, str] | None = None,
) -> PageAudit:
    """Scores and evidence of one page from its split result (``decided``: mention id ->
    person a maintainer assigned it to; counted, the probabilities stay the model's)."""
    sig = page_signals(result)
    n = sig.n
    p_page = float(calibration.page_proba(sig.features)[0]) if n > 1 else 0.0
    p_papers = calibration.paper_proba(sig.paper_features, p_page) if n > 1 else np.zeros(n)
    labels = np.asarray(result.labels)
    major_idx = np.flatnonzero(labels == sig.majority)
    major_key = result.keys[int(major_idx[0])] if n else ""
    major_co: Counter[str] = Counter()
    co_of = [corpus.papers[m.paper_id].coauthor_slugs(m.slug) for m in result.mentions]
    for i in major_idx:
        major_co.update(co_of[i])
    papers = []
    for i, m in enumerate(result.mentions):
        own = Counter(co_of[i]) if labels[i] == sig.majority else Counter()
        shared = sum(1 for s in co_of[i] if major_co[s] - own[s] > 0)
        p = corpus.papers[m.paper_id]
        pid = corpus.explicit_id(m)
        papers.append(
            PaperAudit(
                mention_id=m.mention_id,
                paper_id=m.paper_id,
                title=p.title,
                year=p.year,
                p_wrong=round(float(p_papers[i]), 4),
                person=result.keys[i],
                majority_person=major_key,
                to_majority=round(float(sig.to_majority[i]), 4),
                best_to_majority=round(float(sig.best_to_majority[i]), 4),
                shared_coauthors_with_majority=shared,
                explicit_id=pid,
                orcid=m.orcid,
                url=f"https://aclanthology.org/{m.paper_id}/",
            )
        )
    papers.sort(key=lambda r: (-r.p_wrong, r.mention_id))
    groups = Counter(result.keys)
    ids = {r.explicit_id for r in papers if r.explicit_id}
    return PageAudit(
        slug=result.slug,
        name=Counter(m.full_name for m in result.mentions).most_common(1)[0][0] if n else "",
        mentions=n,
        p_conflated=round(p_page, 4),
        persons=sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])),
        weakest_link=round(sig.top_cut, 4),
        weakest_cut=sig.cut_sides,
        isolated_mention=sig.isolated_mention,
        isolated_best_link=round(sig.isolated, 4),
        explicit_ids=sorted(ids),
        papers=papers,
        decided_mentions=sum(m.mention_id in decided for m in result.mentions) if decided else 0,
    )


def rank_pages(pages: Iterable[PageAudit]) -> list[PageAudit]:
    """Most likely conflated first; ties: bigger page, then slug."""
    return sorted(pages, key=lambda p: (-p.p_conflated, -p.mentions, p.slug))


def audit_all(
    engine: Engine,
    calibration: Calibration,
    slugs: Iterable[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[PageAudit], dict[str, float]]:
    """Audit every page (or the given ones): embeddings in one batch, then one split per
    page. Returns the ranked pages and the timings. Refused (:class:`BylineError`) when the
    calibration was fitted for another pairwise model than the engine's."""
    calibration.check(engine.fitted_model())
    todo = sorted(slugs if slugs is not None else engine.corpus.blocks)
    t0 = time.perf_counter()
    engine.prepare(todo, progress=lambda d, n: progress and progress("embed", d, n))
    t1 = time.perf_counter()
    decided = engine.decisions.assignments() if engine.decisions else None
    pages = []
    split_s = 0.0
    for i, slug in enumerate(todo):
        t = time.perf_counter()
        result = engine.split_block(slug)
        split_s += time.perf_counter() - t
        pages.append(audit_page(result, engine.corpus, calibration, decided))
        if progress:
            progress("audit", i + 1, len(todo))
    ranked = rank_pages(pages)
    total = time.perf_counter() - t1
    return ranked, {
        "pages": len(ranked),
        "mentions": sum(p.mentions for p in ranked),
        "embed_seconds": round(t1 - t0, 1),
        "audit_seconds": round(total, 1),
        "split_seconds": round(split_s, 1),  # the engine's split, as `split --all` does it
        "scoring_seconds": round(total - split_s, 1),  # what the audit adds
    }


# --- output ------------------------------------------------------------------------------

PAGE_COLUMNS = (
    "rank",
    "slug",
    "name",
    "mentions",
    "p_conflated",
    "inferred_persons",
    "persons",
    "weakest_link",
    "weakest_cut",
    "isolated_mention",
    "isolated_best_link",
    "explicit_ids",
    "decided_mentions",
    "top_papers",
)
PAPER_COLUMNS = (
    "page_rank",
    "slug",
    "mention_id",
    "paper_id",
    "year",
    "p_wrong",
    "person",
    "majority_person",
    "to_majority",
    "best_to_majority",
    "shared_coauthors_with_majority",
    "explicit_id",
    "orcid",
    "title",
    "url",
)


def page_row(rank: int, page: PageAudit, top_papers: int = 3) -> dict[str, Any]:
    return {
        "rank": rank,
        "slug": page.slug,
        "name": page.name,
        "mentions": page.mentions,
        "p_conflated": page.p_conflated,
        "inferred_persons": len(page.persons),
        "persons": "; ".join(f"{k}:{c}" for k, c in page.persons),
        "weakest_link": page.weakest_link,
        "weakest_cut": f"{page.weakest_cut[0]}|{page.weakest_cut[1]}",
        "isolated_mention": page.isolated_mention or "",
        "isolated_best_link": page.isolated_best_link,
        "explicit_ids": "; ".join(page.explicit_ids),
        "decided_mentions": page.decided_mentions,
        "top_papers": "; ".join(
            f"{r.mention_id}:{r.p_wrong:.3f}" for r in page.papers[:top_papers]
        ),
    }


def write_csv(pages: list[PageAudit], path: Path, papers_path: Path | None = None) -> None:
    """Pages (ranked) to ``path``; every paper of those pages to ``papers_path`` if given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=PAGE_COLUMNS)
        w.writeheader()
        for rank, page in enumerate(pages, 1):
            w.writerow(page_row(rank, page))
    if papers_path is None:
        return
    papers_path.parent.mkdir(parents=True, exist_ok=True)
    with open(papers_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=PAPER_COLUMNS)
        w.writeheader()
        for rank, page in enumerate(pages, 1):
            for r in page.papers:
                row = {k: v for k, v in asdict(r).items() if k in PAPER_COLUMNS}
                w.writerow(
                    {
                        **row,
                        "page_rank": rank,
                        "slug": page.slug,
                        "explicit_id": r.explicit_id or "",
                        "orcid": r.orcid or "",
                        "year": r.year or "",
                    }
                )


def pages_table(pages: list[PageAudit], top: int) -> Table:
    """The top pages as a Rich table."""
    from rich.table import Table

    shown = pages[:top] if top > 0 else pages
    table = Table(
        title=f"author pages most likely to conflate 2+ people (top {len(shown)} of {len(pages)})",
        title_justify="left",
    )
    for col, just in (
        ("#", "right"),
        ("P(2+)", "right"),
        ("name", "left"),
        ("mentions", "right"),
        ("inferred persons", "left"),
        ("weakest link", "right"),
        ("most likely misplaced paper", "left"),
    ):
        table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for rank, p in enumerate(shown, 1):
        sizes = "+".join(str(c) for _, c in p.persons[:6]) + ("+…" if len(p.persons) > 6 else "")
        first = p.top_paper()
        suspect = f"{first.mention_id} ({first.p_wrong:.2f})" if first else "-"
        table.add_row(
            str(rank),
            f"{p.p_conflated:.3f}",
            f"{p.name} ({p.slug})",
            str(p.mentions),
            f"{len(p.persons)}: {sizes}",
            f"{p.weakest_link:.3f} ({p.weakest_cut[0]}|{p.weakest_cut[1]})",
            suspect,
        )
    return table


def pages_json(pages: list[PageAudit], top: int, summary: dict[str, Any]) -> str:
    """The top pages with every paper and its evidence, plus a summary."""
    docs = []
    for rank, page in enumerate(pages[:top] if top > 0 else pages, 1):
        doc = asdict(page)
        doc["rank"] = rank
        doc["persons"] = [{"person": k, "mentions": c} for k, c in page.persons]
        docs.append(doc)
    return json.dumps({"summary": summary, "pages": docs}, ensure_ascii=False, indent=2)


# --- benchmark: ranking metrics ---------------------------------------------------------


def top_k_mask(scores: np.ndarray, k: int, names: list[str] | None = None) -> np.ndarray:
    """The k highest scores (ties broken by ``names`` ascending, else by position)."""
    order = np.lexsort(
        (np.arange(len(scores)) if names is None else np.array(names), -np.asarray(scores))
    )
    mask = np.zeros(len(scores), dtype=bool)
    mask[order[: min(k, len(scores))]] = True
    return mask


def ranking_scores(
    y: np.ndarray,
    scores: np.ndarray,
    ks: Iterable[int],
    names: list[str] | None = None,
) -> dict[str, float | int]:
    """Average precision and precision@k (scikit-learn) of one ranking."""
    from sklearn.metrics import average_precision_score, precision_score, roc_auc_score

    y = np.asarray(y, dtype=int)
    out: dict[str, float | int] = {"items": int(len(y)), "positives": int(y.sum())}
    if 0 < y.sum() < len(y):
        out["average_precision"] = round(float(average_precision_score(y, scores)), 4)
        out["roc_auc"] = round(float(roc_auc_score(y, scores)), 4)
    for k in ks:
        if k <= len(y):
            pred = top_k_mask(scores, k, names).astype(int)
            out[f"p@{k}"] = round(float(precision_score(y, pred, zero_division=0.0)), 4)
    return out
