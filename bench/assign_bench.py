"""Benchmark of `byline assign` on a time split of the real library.

Persons are built from the papers up to ``--cutoff`` (2024): every block of the chosen split
(dev, or test once after tuning) is split by the engine on the library as it was then, with
the gold ids/ORCIDs of every dev and test mention hidden (``heldout_corpus``). Then every
later (2025) author mention of those blocks is assigned incrementally (their gold hidden
too), as `byline assign` would for a new volume. Scored over the gold-carrying mentions:

- accuracy of the assigned mentions: to the right existing person (the predicted person
  whose gold-carrying mentions are mostly of the mention's gold person), or correctly to a
  new person (no earlier gold mention of that person in the block);
- decidable accuracy: the same over the mentions whose right answer the gold can tell, i.e.
  without the "new" ones of blocks where some earlier mention carries no gold. There the
  mention's person may well have earlier papers without an id or ORCID (ORCIDs are mostly
  on recent papers), so joining an existing person is not known to be wrong, yet the plain
  accuracy counts it wrong;
- B³ F1 of the blocks' resulting clusters (old and new mentions), all blocks and ambiguous
  ones (2+ gold persons), by ``byline.evaluation.metrics.score``;
- throughput of the assignment (new mentions per second, 2 CPU cores, library loaded).

Rows: ``byline assign``; ``largest_person`` (every new mention to the name's largest existing
person, a new one when the name is new: today's author pages); ``name_only`` (one person
per name, old and new); and, for reference, ``full_resplit``: `byline split` of the whole
block after the new papers arrived (re-clustering, what assign avoids).

    BYLINE_DB=sqlite:////tmp/assign.sqlite .venv/bin/python bench/assign_bench.py --split dev
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

from byline.engine import Engine
from byline.evaluation.metrics import ambiguous_blocks, score
from byline.evaluation.protocol import blocks_in, gold_labels, heldout_corpus
from byline.features.stats import compute_stats
from byline.model import PairwiseModel
from byline.store import connect
from byline.store.corpus import Corpus, load_corpus
from byline.tasks.assign import Assigner, assign_papers

RESULTS = Path(__file__).parent / "results"


def accuracy(
    new_ids: list[str],
    assigned: dict[str, str],
    is_new: dict[str, bool],
    old_pred: dict[str, str],
    gold: dict[str, str],
    block_of: dict[str, str],
) -> dict[str, float]:
    """Share of gold-carrying new mentions put under the right person (see module doc)."""
    label: dict[tuple[str, str], str] = {}
    votes: dict[tuple[str, str], Counter[str]] = {}
    old_gold: dict[str, set[str]] = {}
    for mid, person in old_pred.items():
        if mid in gold:
            votes.setdefault((block_of[mid], person), Counter())[gold[mid]] += 1
            old_gold.setdefault(block_of[mid], set()).add(gold[mid])
    for key, c in votes.items():
        label[key] = c.most_common(1)[0][0]
    # "Correctly new" can only be told where every earlier mention of the block carries
    # gold (else an earlier mention without gold may be the same person).
    complete = {b for b in set(block_of.values())}
    for mid, b in block_of.items():
        if mid in old_pred and mid not in gold:
            complete.discard(b)
    right = n = existing = right_existing = told = right_told = 0
    for mid in new_ids:
        if mid not in gold:
            continue
        n += 1
        block = block_of[mid]
        known = gold[mid] in old_gold.get(block, set())
        if known:
            existing += 1
            ok = not is_new[mid] and label.get((block, assigned[mid])) == gold[mid]
            right_existing += ok
        else:
            ok = is_new[mid]
            if block in complete:
                told += 1
                right_told += ok
        right += ok
    return {
        "scored_new_mentions": n,
        "accuracy": right / n if n else 0.0,
        "of_existing_persons": existing,
        "accuracy_existing": right_existing / existing if existing else 0.0,
        "of_new_persons": n - existing,
        "accuracy_new": (right - right_existing) / (n - existing) if n > existing else 0.0,
        "of_new_persons_told": told,
        "accuracy_new_told": right_told / told if told else 0.0,
        "decidable": existing + told,
        "accuracy_decidable": (right_existing + right_told) / (existing + told)
        if existing + told
        else 0.0,
    }


def scores(gold_by_block: dict[str, dict[str, str]], pred: dict[str, str]) -> dict[str, float]:
    amb = ambiguous_blocks(gold_by_block)
    s_all, s_amb = score(gold_by_block, pred), score(amb, pred)
    return {
        "b3_f1_all": s_all.b3_f1,
        "b3_p_all": s_all.b3_precision,
        "b3_r_all": s_all.b3_recall,
        "b3_f1_ambiguous": s_amb.b3_f1,
        "b3_p_ambiguous": s_amb.b3_precision,
        "b3_r_ambiguous": s_amb.b3_recall,
        "ambiguous_blocks": s_amb.blocks,
    }


def decidable_from(result: dict) -> dict[str, float]:  # type: ignore[type-arg]
    """Decidable accuracy per row of an older result file (written before the figure
    existed): right existing + right told-new over existing + told-new mentions."""
    out = {}
    for name, row in result["rows"].items():
        if "accuracy" in row:
            existing, told = row["of_existing_persons"], row["of_new_persons_told"]
            right = row["accuracy_existing"] * existing + row["accuracy_new_told"] * told
            out[name] = round(right / (existing + told), 4) if existing + told else 0.0
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev", choices=["dev", "test"])
    ap.add_argument("--cutoff", type=int, default=2024, help="last year of the old library")
    ap.add_argument("--db", default=os.environ.get("BYLINE_DB"))
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument(
        "--decidable-from",
        type=argparse.FileType("r"),
        metavar="RESULT_JSON",
        help="print the decidable accuracy of an older result file ('-': stdin) and stop",
    )
    args = ap.parse_args()
    if args.decidable_from:
        old = json.load(args.decidable_from)
        print(json.dumps({"model": old["model"], "split": old["split"], **decidable_from(old)}))
        return 0

    t0 = time.perf_counter()
    store = connect(args.db, create=False)
    full = load_corpus(store)
    gold = gold_labels(full)
    held = heldout_corpus(full, gold)  # every dev/test gold mention without id/ORCID
    model = PairwiseModel.load()
    late = {pid for pid, p in held.papers.items() if (p.year or 0) > args.cutoff}
    slugs = [
        s
        for s in blocks_in(held, args.split)
        if any(m.paper_id in late and m.mention_id in gold for m in held.blocks[s])
    ]
    chosen = set(slugs)
    block_of = {m.mention_id: s for s in slugs for m in held.blocks[s]}
    old_corpus = Corpus(
        papers={pid: p for pid, p in held.papers.items() if pid not in late},
        persons=held.persons,
    )
    new_papers = [
        held.papers[pid]
        for pid in sorted({m.paper_id for s in slugs for m in held.blocks[s]} & late)
    ]
    new_ids = [m.mention_id for p in new_papers for m in p.authors if m.slug in chosen]
    t_load = time.perf_counter() - t0
    print(f"{args.split}: {len(slugs)} blocks, {len(new_ids)} new mentions", file=sys.stderr)

    t = time.perf_counter()
    engine = Engine(old_corpus, model, store, stats=compute_stats(old_corpus))
    t_stats = time.perf_counter() - t
    t = time.perf_counter()
    old_slugs = [s for s in slugs if s in old_corpus.blocks]
    engine.prepare(old_slugs)
    old_pred: dict[str, str] = {}
    for s in old_slugs:
        res = engine.split_block(s)
        old_pred.update({m.mention_id: k for m, k in zip(res.mentions, res.keys, strict=True)})
    engine.previous = old_pred  # as `split --all` would have stored them
    t_split = time.perf_counter() - t

    # Warm the caches (embedding model, registry index) outside the timed run.
    Assigner(engine).new_vectors(new_papers[:1])
    t = time.perf_counter()
    assigner = Assigner(engine)
    results = assign_papers(engine, new_papers, slugs=chosen, assigner=assigner)
    t_assign = time.perf_counter() - t
    assigned = {r.mention_id: r.person for r in results}
    is_new = {r.mention_id: r.new_person for r in results}
    assert set(assigned) == set(new_ids)

    gold_by_block: dict[str, dict[str, str]] = {}
    for mid, s in block_of.items():
        if mid in gold:
            gold_by_block.setdefault(s, {})[mid] = gold[mid]
    rows: dict[str, dict[str, float]] = {}

    pred = {**old_pred, **assigned}
    rows["byline_assign"] = {
        **accuracy(new_ids, assigned, is_new, old_pred, gold, block_of),
        **scores(gold_by_block, pred),
    }

    largest: dict[str, str] = {}
    for s in slugs:
        sizes = Counter(old_pred[m.mention_id] for m in old_corpus.blocks.get(s, ()))
        largest[s] = sizes.most_common(1)[0][0] if sizes else f"{s}/new"
    base = {mid: largest[block_of[mid]] for mid in new_ids}
    base_new = {mid: base[mid].endswith("/new") for mid in new_ids}
    rows["largest_person"] = {
        **accuracy(new_ids, base, base_new, old_pred, gold, block_of),
        **scores(gold_by_block, {**old_pred, **base}),
    }
    name_only = {mid: s for mid, s in block_of.items()}
    no_new = {mid: block_of[mid] not in old_corpus.blocks for mid in new_ids}
    old_name_only = {mid: name_only[mid] for mid in old_pred}
    rows["name_only"] = {
        **accuracy(new_ids, name_only, no_new, old_name_only, gold, block_of),
        **scores(gold_by_block, name_only),
    }

    # Reference: re-split every block with the new papers in (what assign avoids).
    t = time.perf_counter()
    full_engine = Engine(held, model, store, stats=compute_stats(held))
    full_engine.prepare(slugs)
    resplit: dict[str, str] = {}
    for s in slugs:
        res = full_engine.split_block(s)
        resplit.update({m.mention_id: k for m, k in zip(res.mentions, res.keys, strict=True)})
    t_resplit = time.perf_counter() - t
    rows["full_resplit"] = scores(gold_by_block, resplit)

    result = {
        "split": args.split,
        "cutoff": args.cutoff,
        "blocks": len(slugs),
        "blocks_with_old_mentions": len(old_slugs),
        "new_papers": len(new_papers),
        "new_mentions": len(new_ids),
        "blocks_split_on_the_fly": assigner.split_blocks,
        "model": model.version,
        "threshold": model.threshold,
        "link_threshold": model.link_threshold,
        "rows": rows,
        "seconds": {
            "load": round(t_load, 1),
            "stats_old_library": round(t_stats, 1),
            "split_old_blocks": round(t_split, 1),
            "assign": round(t_assign, 2),
            "full_resplit_incl_stats": round(t_resplit, 1),
        },
        "mentions_per_second": round(len(new_ids) / t_assign, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "command": f"BYLINE_DB=<store> .venv/bin/python bench/assign_bench.py --split {args.split}",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"assign-{args.split}.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / f"assign-{args.split}.md").write_text(markdown(result))
    print(markdown(result))
    return 0


def markdown(r: dict) -> str:  # type: ignore[type-arg]
    lines = [
        f"Split **{r['split']}**, persons from papers up to {r['cutoff']}, "
        f"{r['new_mentions']} later mentions of {r['blocks']} blocks assigned "
        f"({r['new_papers']} papers); {r['mentions_per_second']} mentions/s "
        f"({r['seconds']['assign']} s on {r['machine']['cpus']} cores).",
        "",
        "| system | accuracy | decidable | to existing | to new | to new, told "
        "| B³ F1 ambiguous | B³ F1 all | B³ P / R all |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in r["rows"].items():
        if "accuracy" in row:
            acc = (
                f"{row['accuracy']:.3f} ({row['scored_new_mentions']})",
                f"{row['accuracy_decidable']:.3f} ({row['decidable']})",
                f"{row['accuracy_existing']:.3f} ({row['of_existing_persons']})",
                f"{row['accuracy_new']:.3f} ({row['of_new_persons']})",
                f"{row['accuracy_new_told']:.3f} ({row['of_new_persons_told']})",
            )
        else:
            acc = ("-", "-", "-", "-", "-")
        lines.append(
            f"| {name} | {' | '.join(acc)} | {row['b3_f1_ambiguous']:.3f} "
            f"| {row['b3_f1_all']:.3f} | {row['b3_p_all']:.3f} / {row['b3_r_all']:.3f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
