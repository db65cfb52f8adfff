"""Peer systems run side by side with byline: one person per name, singletons, S2AND."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from byline.errors import BylineError
from byline.evaluation.protocol import partition_of
from byline.sources.ids import parse_mention_id
from byline.store.corpus import Corpus


def name_only(blocks: dict[str, list[str]]) -> dict[str, str]:
    """Today's author pages: everyone with one name is one person."""
    return {m: slug for slug, ms in blocks.items() for m in ms}


def singletons(blocks: dict[str, list[str]]) -> dict[str, str]:
    return {m: m for ms in blocks.values() for m in ms}


def shared_coauthor_or_affiliation(corpus: Corpus, blocks: dict[str, list[str]]) -> dict[str, str]:
    """A rule baseline: link two mentions of a name when their papers share a co-author
    (by name) or both give the same affiliation string; persons are connected components.
    Co-authors of one paper are never linked."""
    from byline.cluster import Constraints, cluster_block
    from byline.names import fold

    pred: dict[str, str] = {}
    for slug in blocks:
        ms = corpus.blocks[slug]
        n = len(ms)
        co = [corpus.papers[m.paper_id].coauthor_slugs(slug) for m in ms]
        aff = [fold(m.affiliation) if m.affiliation else "" for m in ms]
        probs = [
            1.0 if (co[i] & co[j] or (aff[i] and aff[i] == aff[j])) else 0.0
            for i in range(n)
            for j in range(i + 1, n)
        ]
        cannot = [
            (i, j) for i in range(n) for j in range(i + 1, n) if ms[i].paper_id == ms[j].paper_id
        ]
        labels = cluster_block(n, probs, 1.0, Constraints(cannot=cannot), link_threshold=1.0)
        pred.update({m.mention_id: f"{slug}/{lab}" for m, lab in zip(ms, labels, strict=True)})
    return pred


def dump_for_s2and(
    corpus: Corpus,
    gold: dict[str, str],
    partition: str,
    eval_blocks: list[str],
    out_dir: Path,
) -> None:
    """Write the masked input the S2AND runner reads (see bench/README_s2and.md).

    ``corpus`` must already be masked; gold is written only for mentions of the train
    partition. ``partition`` (dev or test) is what the runner scores; the files name it
    ``eval_split`` and ``split`` (their format).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "meta.json").write_text(json.dumps({"eval_split": partition}))
    with open(out_dir / "papers.jsonl", "w", encoding="utf-8") as fh:
        for p in corpus.papers.values():
            row = {
                "paper_id": p.paper_id,
                "title": p.title,
                "abstract": p.abstract,
                "year": p.year,
                "venue": p.venues[0] if p.venues else "",
                "authors": [
                    {
                        "position": m.position,
                        "first": m.first,
                        "last": m.last,
                        "affiliation": m.affiliation,
                    }
                    for m in p.authors
                ],
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    train_blocks: dict[str, list[str]] = {}
    for slug, ms in corpus.blocks.items():
        if partition_of(slug) == "train":
            labelled = [m.mention_id for m in ms if m.mention_id in gold]
            if len(labelled) >= 2:
                train_blocks[slug] = labelled
    with open(out_dir / "signatures.jsonl", "w", encoding="utf-8") as fh:
        for slug, ids in sorted(train_blocks.items()):
            for mid in ids:
                pid, pos = parse_mention_id(mid)
                fh.write(
                    json.dumps(
                        {
                            "mention_id": mid,
                            "paper_id": pid,
                            "position": pos,
                            "block": slug,
                            "split": "train",
                            "gold": gold[mid],
                        }
                    )
                    + "\n"
                )
        for slug in eval_blocks:
            for m in corpus.blocks[slug]:
                fh.write(
                    json.dumps(
                        {
                            "mention_id": m.mention_id,
                            "paper_id": m.paper_id,
                            "position": m.position,
                            "block": slug,
                            "split": partition,
                            "gold": None,
                        }
                    )
                    + "\n"
                )


def run_s2and(
    data_dir: Path, python: Path, script: Path, extra: list[str] | None = None
) -> tuple[dict[str, str], dict, float]:
    """Run bench/s2and_peer.py in S2AND's own virtualenv; returns preds, report, seconds."""
    if not python.exists() or not script.exists():
        raise BylineError(
            f"S2AND peer not set up ({python} or {script} missing); run bench/setup_s2and.sh"
        )
    out = data_dir / "s2and_preds.jsonl"
    report = data_dir / "s2and_report.json"
    cmd = [
        str(python),
        str(script),
        "--data",
        str(data_dir),
        "--out",
        str(out),
        "--json-report",
        str(report),
        *(extra or []),
    ]
    t = time.perf_counter()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise BylineError(f"S2AND peer failed ({proc.returncode}): {proc.stderr[-2000:]}")
    preds = {}
    with open(out, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            preds[row["mention_id"]] = row["person"]
    rep = json.loads(report.read_text()) if report.exists() else {}
    return preds, rep, seconds
