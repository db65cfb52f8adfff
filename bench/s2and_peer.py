"""Run Semantic Scholar's shipped S2AND production model as a peer system, offline.

Runs under ``.venv-s2and/bin/python`` (see ``bench/setup_s2and.sh``); it must not
import byline. Input is the directory ``byline eval`` exports (``meta.json``,
``papers.jsonl``, ``signatures.jsonl``); output is one JSON line per evaluated
mention: ``{"mention_id": ..., "person": "<block>/<cluster>", "confidence": 1.0}``.

    .venv-s2and/bin/python bench/s2and_peer.py --data DIR --out preds.jsonl \\
        [--model v1.1] [--threshold auto|FLOAT] [--name-counts anthology|none] \\
        [--json-report report.json]

S2AND clusters exactly our blocks: every signature carries its block slug as
``author_info.block`` and the block dicts handed to the Clusterer are built from
our ``block`` field. Nothing is downloaded: fastText language id is switched off
(``S2AND_SKIP_FASTTEXT=1``, pycld2 alone detects the language), there are no
SPECTER embeddings, and S2AND's download helper is replaced by one that raises.
See bench/README_s2and.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

# Must be set before s2and (or tqdm) is imported.
os.environ["S2AND_SKIP_FASTTEXT"] = "1"  # never fetch/load lid.176.bin; cld2 does language id
os.environ.setdefault("S2AND_BACKEND", "python")  # the Rust extension is not installed
os.environ.setdefault("TQDM_DISABLE", "1")

MODELS = {
    "v1.0": "production_model_v1.0.pickle",
    "v1.1": "production_model_v1.1.pickle",
    "v1.2": "production_model_v1.2.pickle",
    "v1.21": "production_model_v1.21",
}
DEFAULT_GRID = [round(0.05 + 0.025 * i, 3) for i in range(37)]  # 0.05 .. 0.95

_T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[s2and-peer {time.perf_counter() - _T0:7.1f}s] {msg}", flush=True)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _forbid_downloads() -> None:
    """Make any attempt of S2AND to fetch an artifact from the web fail loudly."""
    import s2and.file_cache as file_cache
    import s2and.text as s2text

    def _no_download(url: str, cache_dir: str | None = None) -> str:
        raise RuntimeError(f"s2and_peer runs offline; S2AND tried to download {url}")

    file_cache.get_from_cache = _no_download
    s2text.set_fasttext_loading_enabled(False)


def _quiet_progress_bars() -> None:
    """Silence S2AND's tqdm bars (some force ``disable=``); we print one line per stage."""
    import importlib

    from tqdm import tqdm as _tqdm

    def quiet(*args, **kwargs):
        kwargs["disable"] = True
        return _tqdm(*args, **kwargs)

    for name in ("s2and.data", "s2and.featurizer", "s2and.model", "s2and.subblocking"):
        module = importlib.import_module(name)
        if getattr(module, "tqdm", None) is _tqdm:
            module.tqdm = quiet


def load_clusterer(model: str, n_jobs: int):
    from s2and.consts import _PACKAGE_DATA_DIR
    from s2and.production_model import load_production_model

    if model in MODELS:
        path = Path(_PACKAGE_DATA_DIR) / MODELS[model]
    else:
        path = Path(model)
    if path.is_dir():
        clusterer = load_production_model(path, require_incremental_linker=False)
    else:
        clusterer = load_production_model(path)
    clusterer.n_jobs = n_jobs
    clusterer.use_cache = False
    return clusterer, path


def name_count_key_parts(first: str, last: str, semantics: str) -> tuple[str, str, str, str]:
    """The four name-count lookup keys S2AND derives for a signature.

    Mirrors ``ANDData._compute_signature_name_counts`` (s2and 0.51.2) for a signature whose
    ``author_info`` has ``first`` = our first name, ``middle`` = "" and ``last`` = our last name,
    so the dicts built here are looked up with exactly the keys the library computes.
    Returns (first, last, first_last, last_first_initial).
    """
    from s2and.data import NAME_COUNTS_LAST_FIRST_INITIAL_LEGACY, _canonicalize_last_for_counts
    from s2and.text import has_name_dash, normalize_text, split_first_middle_hyphen_aware

    first_without_apostrophe, _ = split_first_middle_hyphen_aware(first, "")
    last_normalized = normalize_text(last)
    first_token = first_without_apostrophe.split(" ")[0] if first_without_apostrophe else ""
    first_for_counts = first_token
    if has_name_dash(first):
        joined = (first_without_apostrophe or "").replace(" ", "")
        if joined:
            first_for_counts = joined
    last_for_counts = _canonicalize_last_for_counts(last, last_normalized)
    first_last = (first_for_counts + " " + last_for_counts).strip()
    if semantics == NAME_COUNTS_LAST_FIRST_INITIAL_LEGACY:
        last_first_initial = (last_for_counts + " " + first_for_counts).strip()
    else:
        initial = first_for_counts[0] if first_for_counts else ""
        last_first_initial = (last_for_counts + " " + initial).strip()
    return first_for_counts, last_for_counts, first_last, last_first_initial


def build_name_counts(papers: list[dict], semantics: str) -> dict[str, dict[str, int]]:
    """S2AND's ``load_name_counts`` dict, counted over every author mention of the library."""
    first_dict: Counter = Counter()
    last_dict: Counter = Counter()
    first_last_dict: Counter = Counter()
    last_first_initial_dict: Counter = Counter()
    cache: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for paper in papers:
        for author in paper.get("authors") or []:
            name = (author.get("first") or "", author.get("last") or "")
            keys = cache.get(name)
            if keys is None:
                keys = cache[name] = name_count_key_parts(name[0], name[1], semantics)
            first, last, first_last, last_first_initial = keys
            first_dict[first] += 1
            last_dict[last] += 1
            first_last_dict[first_last] += 1
            last_first_initial_dict[last_first_initial] += 1
    return {
        "first_dict": dict(first_dict),
        "last_dict": dict(last_dict),
        "first_last_dict": dict(first_last_dict),
        "last_first_initial_dict": dict(last_first_initial_dict),
    }


def to_s2and(papers: list[dict], signatures: list[dict]) -> tuple[dict, dict]:
    """Our export -> S2AND's ``papers`` and ``signatures`` dicts (no ORCID, no email, no refs)."""
    by_id = {str(p["paper_id"]): p for p in papers}
    s2_papers: dict[str, dict] = {}
    s2_signatures: dict[str, dict] = {}
    for sig in signatures:
        pid = str(sig["paper_id"])
        paper = by_id.get(pid)
        if paper is None:
            raise SystemExit(f"signature {sig['mention_id']} refers to unknown paper {pid}")
        if pid not in s2_papers:
            venue = paper.get("venue") or None
            s2_papers[pid] = {
                "paper_id": pid,
                "title": paper.get("title") or "",
                "abstract": paper.get("abstract") or "",
                "authors": [
                    {
                        "position": a["position"],
                        "author_name": " ".join(x for x in (a.get("first"), a.get("last")) if x),
                    }
                    for a in paper.get("authors") or []
                ],
                # The Anthology has one venue string (proceedings/journal title); S2 records
                # carry it in both fields.
                "venue": venue,
                "journal_name": venue,
                "year": paper.get("year"),
                "references": [],
            }
        author = next(
            (a for a in paper.get("authors") or [] if a["position"] == sig["position"]), None
        )
        if author is None:
            raise SystemExit(
                f"signature {sig['mention_id']}: paper {pid} has no author "
                f"at position {sig['position']}"
            )
        affiliation = author.get("affiliation")
        s2_signatures[sig["mention_id"]] = {
            "signature_id": sig["mention_id"],
            "paper_id": pid,
            "author_info": {
                "first": author.get("first") or "",
                "middle": "",  # S2AND splits extra first-name tokens into the middle itself
                "last": author.get("last") or "",
                "suffix": None,
                "affiliations": [affiliation] if affiliation else [],
                "email": None,
                "position": sig["position"],
                "block": sig["block"],
            },
        }
    return s2_papers, s2_signatures


def b3(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall, F1 over the mentions that have a gold label."""
    ids = [m for m in gold if m in pred]
    if not ids:
        return 0.0, 0.0, 0.0
    pred_sets: dict[str, set] = defaultdict(set)
    gold_sets: dict[str, set] = defaultdict(set)
    for m in ids:
        pred_sets[pred[m]].add(m)
        gold_sets[gold[m]].add(m)
    p = r = 0.0
    for m in ids:
        ps, gs = pred_sets[pred[m]], gold_sets[gold[m]]
        inter = len(ps & gs)
        p += inter / len(ps)
        r += inter / len(gs)
    p /= len(ids)
    r /= len(ids)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def clusters_to_assignment(
    pred_clusters: dict[str, list[str]], sig_block: dict[str, str]
) -> dict[str, str]:
    """S2AND cluster keys are '<block>_<label>'; ours are '<block>/s2and-<label>'."""
    out: dict[str, str] = {}
    for key, members in pred_clusters.items():
        label = key.rsplit("_", 1)[-1]
        for m in members:
            out[m] = f"{sig_block[m]}/s2and-{label}"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, type=Path, help="directory exported by `byline eval`")
    ap.add_argument("--out", required=True, type=Path, help="predictions (JSON lines)")
    ap.add_argument(
        "--model", default="v1.1", help=f"one of {sorted(MODELS)} or a path (default v1.1)"
    )
    ap.add_argument(
        "--threshold",
        default="auto",
        help="'auto' (tune on train blocks, default), 'shipped' (the model's own eps) or a float",
    )
    ap.add_argument("--name-counts", choices=("anthology", "none"), default="anthology")
    ap.add_argument("--json-report", type=Path)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument(
        "--tune-max-pairs",
        type=int,
        default=1_000_000,
        help="pairs budget of the random train-block sample used by --threshold auto",
    )
    ap.add_argument(
        "--tune-on",
        choices=("all", "ambiguous"),
        default="all",
        help="--threshold auto maximises B3 F1 over all gold train mentions of the sample "
        "(default) or only over those of train blocks with more than one gold person",
    )
    ap.add_argument(
        "--tune-max-block",
        type=int,
        default=400,
        help="skip train blocks larger than this when tuning",
    )
    args = ap.parse_args(argv)

    import logging

    logging.getLogger("s2and").setLevel(logging.WARNING)
    import warnings

    warnings.filterwarnings("ignore")

    report: dict = {
        "system": "s2and",
        "model": args.model,
        "name_counts": args.name_counts,
        "n_jobs": args.n_jobs,
    }
    timings: dict[str, float] = {}

    t = time.perf_counter()
    meta = json.loads((args.data / "meta.json").read_text(encoding="utf-8"))
    eval_split = meta["eval_split"]
    papers = read_jsonl(args.data / "papers.jsonl")
    signatures = read_jsonl(args.data / "signatures.jsonl")
    timings["read_seconds"] = time.perf_counter() - t
    log(f"read {len(papers)} papers, {len(signatures)} signatures; eval split = {eval_split}")

    t = time.perf_counter()
    from importlib.metadata import version

    from s2and.data import ANDData

    _forbid_downloads()
    _quiet_progress_bars()
    clusterer, model_path = load_clusterer(args.model, args.n_jobs)
    shipped_eps = float(clusterer.cluster_model.eps)
    semantics = (getattr(clusterer, "feature_contract", None) or {}).get(
        "name_counts_last_first_initial_semantics", "initial_char"
    )
    report.update(
        s2and_version=version("s2and"), model_file=model_path.name, shipped_threshold=shipped_eps
    )
    timings["load_model_seconds"] = time.perf_counter() - t
    log(f"loaded S2AND {report['s2and_version']} {model_path.name} (shipped eps {shipped_eps:.4f})")

    want_tune = args.threshold == "auto"
    if want_tune and not any(s["split"] == "train" and s.get("gold") for s in signatures):
        log("no gold-labelled train signatures: --threshold auto falls back to the shipped eps")
        want_tune = False
    splits = {eval_split, "train"} if want_tune else {eval_split}
    used = [s for s in signatures if s["split"] in splits]
    sig_block = {s["mention_id"]: s["block"] for s in used}
    eval_blocks: dict[str, list[str]] = defaultdict(list)
    train_blocks: dict[str, list[str]] = defaultdict(list)
    train_gold: dict[str, str] = {}
    for s in used:
        if s["split"] == eval_split:
            eval_blocks[s["block"]].append(s["mention_id"])
        elif s["split"] == "train":
            train_blocks[s["block"]].append(s["mention_id"])
            if s.get("gold") is not None:
                train_gold[s["mention_id"]] = f"{s['block']}/{s['gold']}"

    tune_blocks: dict[str, list[str]] = {}
    if want_tune:
        rng = random.Random(args.seed)
        keys = sorted(train_blocks)
        rng.shuffle(keys)
        budget = 0
        for key in keys:
            members = train_blocks[key]
            n_gold = sum(1 for m in members if m in train_gold)
            if n_gold < 2 or len(members) > args.tune_max_block:
                continue
            pairs = len(members) * (len(members) - 1) // 2
            if budget + pairs > args.tune_max_pairs:
                continue
            tune_blocks[key] = members
            budget += pairs
        report["tune"] = {
            "train_blocks_available": len(train_blocks),
            "train_blocks_sampled": len(tune_blocks),
            "train_signatures_sampled": sum(len(v) for v in tune_blocks.values()),
            "train_pairs_sampled": budget,
            "seed": args.seed,
        }
        log(
            f"threshold tuning sample: {len(tune_blocks)} train blocks, {budget} pairs "
            f"(seed {args.seed})"
        )
        keep = set(eval_blocks) | set(tune_blocks)
        used = [
            s
            for s in used
            if s["block"] in keep and (s["split"] == eval_split or s["block"] in tune_blocks)
        ]

    t = time.perf_counter()
    name_counts: dict | bool = False
    if args.name_counts == "anthology":
        name_counts = build_name_counts(papers, semantics)
        log(
            "built Anthology name counts: "
            + ", ".join(f"{k}={len(v)}" for k, v in name_counts.items())
            + f" (semantics {semantics})"
        )
    timings["name_counts_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    s2_papers, s2_signatures = to_s2and(papers, used)
    del papers
    dataset = ANDData(
        signatures=s2_signatures,
        papers=s2_papers,
        name="anthology",
        mode="inference",
        load_name_counts=name_counts,
        n_jobs=args.n_jobs,
        preprocess=True,
        name_tuples="filtered",
        compute_reference_features=False,
    )
    timings["dataset_seconds"] = time.perf_counter() - t
    log(f"built ANDData: {len(dataset.signatures)} signatures, {len(dataset.papers)} papers")

    threshold = shipped_eps
    if want_tune:
        t = time.perf_counter()
        tune_dists = clusterer.make_distance_matrices(tune_blocks, dataset, disable_tqdm=True)
        timings["tune_featurize_predict_seconds"] = time.perf_counter() - t
        log(
            "train sample distance matrices done in "
            f"{timings['tune_featurize_predict_seconds']:.1f}s"
        )
        t = time.perf_counter()
        grid = sorted(set(DEFAULT_GRID) | {round(shipped_eps, 4)})
        tune_gold = {m: g for m, g in train_gold.items() if sig_block[m] in tune_blocks}
        labels_per_block: dict[str, set] = defaultdict(set)
        for m, g in tune_gold.items():
            labels_per_block[sig_block[m]].add(g)
        ambiguous_gold = {
            m: g for m, g in tune_gold.items() if len(labels_per_block[sig_block[m]]) > 1
        }
        report["tune"]["objective"] = args.tune_on
        report["tune"]["gold_mentions"] = len(tune_gold)
        report["tune"]["ambiguous_blocks"] = sum(1 for v in labels_per_block.values() if len(v) > 1)
        report["tune"]["ambiguous_gold_mentions"] = len(ambiguous_gold)
        scores = []
        for eps in grid:
            pred, _ = clusterer.predict(
                tune_blocks, dataset, dists=tune_dists, cluster_model_params={"eps": eps}
            )
            assignment = clusters_to_assignment(pred, sig_block)
            p, r, f = b3(assignment, tune_gold)
            ap_, ar_, af_ = b3(assignment, ambiguous_gold)
            scores.append(
                {
                    "threshold": eps,
                    "b3_precision": p,
                    "b3_recall": r,
                    "b3_f1": f,
                    "ambiguous_b3_precision": ap_,
                    "ambiguous_b3_recall": ar_,
                    "ambiguous_b3_f1": af_,
                }
            )
        key = "b3_f1" if args.tune_on == "all" else "ambiguous_b3_f1"
        # ties (flat F1 once whole blocks are merged) go to the threshold nearest the shipped one
        best = max(scores, key=lambda s: (round(s[key], 6), -abs(s["threshold"] - shipped_eps)))
        threshold = best["threshold"]
        timings["tune_cluster_seconds"] = time.perf_counter() - t
        report["tune"]["grid"] = scores
        shipped_score = next(s for s in scores if s["threshold"] == round(shipped_eps, 4))
        report["tune"]["train_b3_f1_at_shipped"] = shipped_score[key]
        report["tune"]["train_b3_f1_at_chosen"] = best[key]
        del tune_dists
        log(
            f"tuned threshold on train blocks ({args.tune_on} gold mentions): eps={threshold} "
            f"(B3 F1 {best[key]:.4f}; shipped eps {shipped_eps:.4f} gives {shipped_score[key]:.4f})"
        )
    elif args.threshold not in ("shipped", "auto"):
        threshold = float(args.threshold)
    report["threshold"] = threshold
    report["threshold_mode"] = args.threshold

    t = time.perf_counter()
    n_pairs = sum(len(v) * (len(v) - 1) // 2 for v in eval_blocks.values())
    dists = clusterer.make_distance_matrices(eval_blocks, dataset, disable_tqdm=True)
    timings["featurize_predict_seconds"] = time.perf_counter() - t
    log(
        f"{eval_split}: featurized + scored {n_pairs} pairs in {len(eval_blocks)} blocks "
        f"in {timings['featurize_predict_seconds']:.1f}s"
    )
    t = time.perf_counter()
    pred_clusters, _ = clusterer.predict(
        eval_blocks, dataset, dists=dists, cluster_model_params={"eps": threshold}
    )
    timings["cluster_seconds"] = time.perf_counter() - t
    assignment = clusters_to_assignment(pred_clusters, sig_block)
    log(
        f"{eval_split}: clustered into {len(pred_clusters)} clusters "
        f"in {timings['cluster_seconds']:.1f}s"
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    n_out = 0
    with args.out.open("w", encoding="utf-8") as handle:
        for s in signatures:
            if s["split"] != eval_split:
                continue
            handle.write(
                json.dumps(
                    {
                        "mention_id": s["mention_id"],
                        "person": assignment[s["mention_id"]],
                        "confidence": 1.0,
                    }
                )
                + "\n"
            )
            n_out += 1
    timings["total_seconds"] = time.perf_counter() - _T0
    report.update(
        eval_split=eval_split,
        eval_blocks=len(eval_blocks),
        eval_signatures=n_out,
        eval_pairs=n_pairs,
        eval_clusters=len(pred_clusters),
        timings=timings,
        offline={
            "fasttext": "disabled (S2AND_SKIP_FASTTEXT=1); language id by pycld2 only",
            "specter_embeddings": "none (embedding_similarity features missing)",
            "references": "none",
            "email": "none",
            "orcid": "none (not exported)",
        },
    )
    if args.json_report:
        args.json_report.parent.mkdir(parents=True, exist_ok=True)
        args.json_report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    log(
        f"wrote {n_out} predictions to {args.out} (threshold {threshold}); "
        f"total {timings['total_seconds']:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
