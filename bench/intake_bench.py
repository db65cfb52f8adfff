"""Benchmark of `byline intake`: simulated verification requests from held-out gold.

    .venv/bin/python bench/intake_bench.py --split dev     # tune on dev
    .venv/bin/python bench/intake_bench.py --split test    # once

The store is opened read-only (``--db`` is a SQLite file; the title embeddings of the split's
blocks must be cached already, as ``byline eval`` leaves them).

Protocol: gold as in ``byline eval`` (explicit non-catch-all id, else ORCID iD, unified per
person), and every dev and test gold mention loses its ``id=``/``orcid=``/``openreview=``
before anything runs (:func:`byline.evaluation.protocol.heldout_corpus`). For each gold
person with an ORCID iD on a name of the split with 2+ mentions, three requests: the page
URL (``/people/<slug>/unverified/``) and the ORCID iD, plus

- ``nothing``: nothing else;
- ``affiliation``: the affiliation of one of the person's papers, as the degree institution;
- ``title``: the title of one of the person's papers, as the supporting information.

Scored over the block's gold-carrying mentions (the others have no known owner): the share
of requests whose ``papers`` are exactly the requester's gold papers, pooled precision and
recall of ``papers``, and, on ambiguous names (2+ gold persons), how many other people's
papers "verify the whole page" attaches and how many byline attaches. Time per request is
the proposal's wall time with the block's split done once per block (reported apart).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from byline.engine import BlockResult, Engine
from byline.evaluation.protocol import gold_labels, heldout_corpus, scored_mentions
from byline.features.embeddings import embed_text, read_cached, text_hash
from byline.model import PairwiseModel
from byline.sources.requests import PageRef, Request
from byline.store.corpus import Corpus, load_corpus
from byline.tasks.intake import propose

RESULTS = Path("bench/results")
SEED = 13
VARIANTS = ("nothing", "affiliation", "title")


def person_orcids(corpus: Corpus, gold: dict[str, str]) -> dict[str, str]:
    """The ORCID iD of each gold person (from its mentions or its registry entry)."""
    by_id = {m.mention_id: m for m in corpus.mentions}
    out: dict[str, str] = {}
    for mid, label in gold.items():
        m = by_id[mid]
        orcid = m.orcid
        if orcid is None and m.person_id in corpus.persons:
            orcid = corpus.persons[m.person_id].orcid
        if orcid and label not in out:
            out[label] = orcid
    return out


def build_requests(
    masked: Corpus, gold: dict[str, str], orcids: dict[str, str], split: str
) -> list[tuple[Request, str, str, set[str], set[str]]]:
    """(request, slug, variant, requester's gold mention ids, the block's gold mention ids)."""
    rng = random.Random(SEED)
    out = []
    for slug, mids in sorted(scored_mentions(masked, gold, split).items()):
        if len(masked.blocks[slug]) < 2:
            continue
        by_person: dict[str, set[str]] = defaultdict(set)
        for mid in mids:
            by_person[gold[mid]].add(mid)
        by_id = {m.mention_id: m for m in masked.blocks[slug]}
        for label, mine in sorted(by_person.items()):
            if label not in orcids:
                continue
            ms = sorted(mine)
            with_aff = [m for m in ms if by_id[m].affiliation]
            aff_mid = rng.choice(with_aff) if with_aff else None
            title_mid = rng.choice(ms)
            for variant in VARIANTS:
                if variant == "affiliation" and aff_mid is None:
                    continue
                req = Request(
                    source=f"{slug} {label} {variant}",
                    name=None,
                    pages=[
                        PageRef(
                            f"https://aclanthology.org/people/{slug}/unverified/",
                            "unverified",
                            slug,
                        )
                    ],
                    orcid=orcids[label],
                    institution=by_id[aff_mid].affiliation
                    if variant == "affiliation" and aff_mid
                    else None,
                    kinds=["verification"],
                    supporting=masked.papers[by_id[title_mid].paper_id].title
                    if variant == "title"
                    else "",
                )
                out.append((req, slug, variant, set(mine), set(mids)))
    return out


class CachedEngine(Engine):
    """The engine with each block split once (the split does not depend on the request),
    reading the store's embedding cache without writing to it (titles not cached yet are
    embedded in memory)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.splits: dict[str, BlockResult] = {}
        self.split_seconds = 0.0
        self.embedded_in_memory = 0

    def prepare_papers(self, paper_ids: Any, progress: Any = None) -> None:
        assert self.store is not None
        wanted = sorted({p for p in paper_ids if p not in self.vectors})
        texts = {
            p: embed_text(self.corpus.papers[p].title, self.corpus.papers[p].abstract)
            for p in wanted
        }
        by_hash: dict[str, list[str]] = defaultdict(list)
        for p, text in texts.items():
            by_hash[text_hash(text)].append(p)
        hashes = list(by_hash)
        found = read_cached(self.store, hashes, self.embedder)
        missing = [h for h in hashes if h not in found]
        if missing:
            text_of = {text_hash(x): x for x in texts.values()}
            vecs = self.embedder.encode([text_of[h] for h in missing])
            found.update(zip(missing, vecs, strict=True))
            self.embedded_in_memory += len(missing)
        for h, papers in by_hash.items():
            for p in papers:
                self.vectors[p] = found[h]

    def split_block(self, slug: str) -> BlockResult:
        if slug not in self.splits:
            t = time.perf_counter()
            self.splits[slug] = super().split_block(slug)
            self.split_seconds += time.perf_counter() - t
        return self.splits[slug]


def _ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


def run(db: Path, split: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    store = create_engine(f"sqlite:///file:{db.resolve()}?mode=ro&uri=true")
    corpus = load_corpus(store)
    gold = gold_labels(corpus)
    orcids = person_orcids(corpus, gold)
    masked = heldout_corpus(corpus, gold)
    del corpus
    cases = build_requests(masked, gold, orcids, split)
    engine = CachedEngine(masked, PairwiseModel.load(), store)
    slugs = sorted({c[1] for c in cases})
    engine.prepare(slugs)
    load = time.perf_counter() - t0
    rows = []
    seconds = []
    for req, slug, variant, mine, scored in cases:
        first = slug not in engine.splits
        t = time.perf_counter()
        if first:
            engine.split_block(slug)
        t = time.perf_counter()
        p = propose(engine, req)
        seconds.append(time.perf_counter() - t)
        pred = set(p.requester.mention_ids) & scored
        persons = len({gold[m] for m in scored})
        rows.append(
            {
                "slug": slug,
                "variant": variant,
                "ambiguous": persons > 1,
                "gold": len(mine),
                "pred": len(pred),
                "hit": len(pred & mine),
                "exact": pred == mine,
                "others_naive": len(scored - mine),
                "others_byline": len(pred - mine),
                "needs_review": p.needs_review,
                "confidence": round(p.confidence, 4),
            }
        )

    def figures(sel: list[dict[str, Any]]) -> dict[str, Any]:
        amb = [r for r in sel if r["ambiguous"]]
        return {
            "requests": len(sel),
            "exact": _ratio(sum(r["exact"] for r in sel), len(sel)),
            "precision": _ratio(sum(r["hit"] for r in sel), sum(r["pred"] for r in sel)),
            "recall": _ratio(sum(r["hit"] for r in sel), sum(r["gold"] for r in sel)),
            "ambiguous_requests": len(amb),
            "ambiguous_exact": _ratio(sum(r["exact"] for r in amb), len(amb)),
            "others_attached_naive": sum(r["others_naive"] for r in amb),
            "others_attached_byline": sum(r["others_byline"] for r in amb),
            "needs_review": _ratio(sum(r["needs_review"] for r in sel), len(sel)),
            "needs_review_ambiguous": _ratio(sum(r["needs_review"] for r in amb), len(amb)),
        }

    seconds.sort()
    return {
        "split": split,
        "model_version": engine.fitted_model().version,
        "blocks": len(slugs),
        "all": figures(rows),
        "by_variant": {v: figures([r for r in rows if r["variant"] == v]) for v in VARIANTS},
        "seconds": {
            "load_and_embeddings": round(load, 1),
            "block_splits": round(engine.split_seconds, 1),
            "per_request_mean": round(sum(seconds) / len(seconds), 4) if seconds else 0.0,
            "per_request_p95": round(seconds[int(0.95 * (len(seconds) - 1))], 4)
            if seconds
            else 0.0,
            "per_block_split_mean": round(engine.split_seconds / len(slugs), 4) if slugs else 0.0,
        },
        "embedded_in_memory": engine.embedded_in_memory,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }


def markdown(res: dict[str, Any]) -> str:
    lines = [
        f"Split **{res['split']}**: {res['all']['requests']} simulated verification requests "
        f"on {res['blocks']} names ({res['all']['ambiguous_requests']} on ambiguous names).",
        "",
        "| request gives | requests | papers exactly right | precision | recall "
        "| exactly right, ambiguous names | other people's papers attached: whole page / byline "
        "| needs review |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, f in [*res["by_variant"].items(), ("all", res["all"])]:
        lines.append(
            f"| {name} | {f['requests']} | {f['exact']:.3f} | {f['precision']:.3f} | "
            f"{f['recall']:.3f} | {f['ambiguous_exact']:.3f} | "
            f"{f['others_attached_naive']} / {f['others_attached_byline']} | "
            f"{f['needs_review']:.3f} |"
        )
    s = res["seconds"]
    lines += [
        "",
        f"Time: {s['per_request_mean'] * 1000:.0f} ms per request (p95 "
        f"{s['per_request_p95'] * 1000:.0f} ms) once its page is split; splitting a page "
        f"{s['per_block_split_mean'] * 1000:.0f} ms on average; loading "
        f"{s['load_and_embeddings']:.0f} s.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--db", type=Path, default=Path(".byline/byline.sqlite"))
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    res = run(args.db, args.split)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"intake-{args.split}.json").write_text(json.dumps(res, indent=2) + "\n")
    (args.results / f"intake-{args.split}.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
