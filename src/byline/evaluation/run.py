"""`byline eval`: the benchmark protocol end to end, byline and its peers in one run."""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from byline.engine import Engine
from byline.errors import BylineError
from byline.evaluation import peers
from byline.evaluation.metrics import ambiguous_blocks, compare_blocks, score
from byline.evaluation.protocol import gold_labels, heldout_corpus, scored_mentions
from byline.model import PairwiseModel
from byline.store import Store
from byline.store.corpus import load_corpus

Progress = Callable[[str, int, int], None]


def run_eval(
    store: Store,
    partition: str = "dev",
    model: PairwiseModel | None = None,
    with_s2and: bool = True,
    s2and_python: Path = Path(".venv-s2and/bin/python"),
    s2and_script: Path = Path("bench/s2and_peer.py"),
    work_dir: Path = Path("bench/work"),
    progress: Progress | None = None,
) -> dict[str, Any]:
    if partition not in ("dev", "test"):
        raise BylineError(f"--split must be dev or test, not {partition!r}")
    model = model or PairwiseModel.load()
    timings: dict[str, float] = {}
    t = time.perf_counter()
    corpus = load_corpus(store)
    gold = gold_labels(corpus)
    masked = heldout_corpus(corpus, gold)  # every dev/test gold mention loses id= and orcid=
    del corpus
    blocks = scored_mentions(masked, gold, partition)
    gold_by_block = {b: {m: gold[m] for m in ms} for b, ms in blocks.items()}
    amb = ambiguous_blocks(gold_by_block)
    timings["load"] = time.perf_counter() - t

    t = time.perf_counter()
    engine = Engine(masked, model, store)
    timings["byline_stats"] = time.perf_counter() - t
    t = time.perf_counter()
    slugs = sorted(blocks)
    engine.prepare(slugs, progress=lambda d, n: progress and progress("embed", d, n))
    timings["byline_embeddings"] = time.perf_counter() - t
    t = time.perf_counter()
    ours: dict[str, str] = {}
    for i, slug in enumerate(slugs):
        res = engine.split_block(slug)
        ours.update({m.mention_id: k for m, k in zip(res.mentions, res.keys, strict=True)})
        if progress:
            progress("split", i + 1, len(slugs))
    timings["byline_split"] = time.perf_counter() - t

    systems: dict[str, dict[str, str]] = {
        "name_only": peers.name_only(blocks),
        "singletons": peers.singletons(blocks),
        "coauthor_or_affiliation_links": peers.shared_coauthor_or_affiliation(masked, blocks),
    }
    s2and_report: dict[str, Any] = {}
    if with_s2and:
        t = time.perf_counter()
        data_dir = work_dir / f"s2and-{partition}"
        peers.dump_for_s2and(masked, gold, partition, slugs, data_dir)
        timings["s2and_dump"] = time.perf_counter() - t
        for variant, extra in (
            ("s2and_shipped", ["--name-counts", "none", "--threshold", "shipped"]),
            ("s2and_namecounts_tuned", ["--name-counts", "anthology", "--threshold", "auto"]),
        ):
            preds, rep, secs = peers.run_s2and(data_dir, s2and_python, s2and_script, extra)
            systems[variant] = preds
            s2and_report[variant] = rep
            timings[variant] = secs
    systems["byline"] = ours

    rows = {}
    for name, pred in systems.items():
        rows[name] = {
            "all": score(gold_by_block, pred).as_dict(),
            "ambiguous": score(amb, pred).as_dict(),
        }
    rule = systems["coauthor_or_affiliation_links"]
    against_rule = {
        kind: [
            {"block": b, "byline": round(ours_f1, 4), "rule": round(rule_f1, 4)}
            for b, ours_f1, rule_f1 in found
        ]
        for kind, found in compare_blocks(amb, ours, rule).items()
    }
    return {
        "split": partition,
        "model_version": model.version,
        "threshold": model.threshold,
        "link_threshold": model.link_threshold,
        "blocks": len(gold_by_block),
        "ambiguous_blocks": len(amb),
        "mentions": sum(len(v) for v in gold_by_block.values()),
        "mentions_clustered": sum(len(masked.blocks[s]) for s in slugs),
        "systems": rows,
        "ambiguous_against_rule": against_rule,
        "seconds": {k: round(v, 1) for k, v in timings.items()},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "s2and": s2and_report,
    }


def markdown_table(result: dict[str, Any], worst: int = 10) -> str:
    """The benchmark table (every system of the run), then byline against the rule on each
    ambiguous name: how many it wins and loses, and the ``worst`` of each."""
    base = result["systems"]["name_only"]["ambiguous"]["paper_moves"]
    lines = [
        f"Split **{result['split']}**: {result['blocks']} blocks with gold "
        f"({result['ambiguous_blocks']} ambiguous), {result['mentions']} scored mentions.",
        "",
        "| system | B³ F1 ambiguous | B³ F1 all | block-macro B³ F1 ambiguous / all "
        "| paper moves ambiguous (÷ name_only) | B³ P / R ambiguous | B³ P / R all "
        "| pairwise F1 ambiguous / all |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in result["systems"].items():
        a, s = r["ambiguous"], r["all"]
        ratio = f"{a['paper_moves'] / base:.2f}" if base else "–"
        lines.append(
            f"| {name} | {a['b3_f1']:.3f} | {s['b3_f1']:.3f} | "
            f"{a['block_macro_b3_f1']:.3f} / {s['block_macro_b3_f1']:.3f} | "
            f"{a['paper_moves']} ({ratio}) | "
            f"{a['b3_precision']:.3f} / {a['b3_recall']:.3f} | "
            f"{s['b3_precision']:.3f} / {s['b3_recall']:.3f} | "
            f"{a['pairwise_f1']:.3f} / {s['pairwise_f1']:.3f} |"
        )
    vs = result.get("ambiguous_against_rule")
    if vs is not None:
        lines += [
            "",
            f"byline against the co-author/affiliation rule on the {result['ambiguous_blocks']} "
            f"ambiguous names (B³ F1 per name): wins {len(vs['wins'])}, loses "
            f"{len(vs['losses'])}, ties "
            f"{result['ambiguous_blocks'] - len(vs['wins']) - len(vs['losses'])}.",
        ]
        for kind in ("losses", "wins"):
            if vs[kind]:
                shown = ", ".join(
                    f"{r['block']} {r['byline']:.2f} vs {r['rule']:.2f}" for r in vs[kind][:worst]
                )
                lines.append(f"- {kind} (largest first): {shown}")
    return "\n".join(lines) + "\n"


def write_result(result: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"eval-{result['split']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    (out_dir / f"eval-{result['split']}.md").write_text(markdown_table(result))
    return path
