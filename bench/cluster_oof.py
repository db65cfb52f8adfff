"""Training and clustering variants scored on train names out of fold and on dev, one run.

    .venv/bin/python bench/cluster_oof.py [--db URL] [--out bench/results/cluster-oof.json]
    .venv/bin/python bench/cluster_oof.py --seeds 13,1,2,3,4  # the seed spread
    .venv/bin/python bench/cluster_oof.py --ceiling [--seeds ...]  # what a second stage could reach

The ambiguous dev names are few (47); this bench adds the train names without touching
test. Train names are split in two folds by a hash of the slug; a pairwise model fitted (as
`byline train` does, same seed, same rows: gold pairs, then pseudo-ambiguous pairs with
partners from the fitting fold's names) on one fold predicts the other fold's names, and the
model fitted on all train names predicts dev. Every scored mention of every partition has
its id=/orcid=/openreview= hidden. Each clustering variant runs at the shipped model's
thresholds.

Views (issue 11): train names out of fold, dev, dev block-macro; B³ F1 on ambiguous names
and on all names (blocks with 2+ scored mentions), paper moves on ambiguous names against
one-person-per-name, and against the co-author/affiliation rule per ambiguous name.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from byline.cluster import cluster_block
from byline.engine import Engine, evidence_constraints
from byline.evaluation import peers
from byline.evaluation.metrics import ambiguous_blocks, compare_blocks, score
from byline.evaluation.protocol import (
    blocks_in,
    gold_labels,
    heldout_corpus,
    scored_mentions,
)
from byline.features.pairwise import FEATURES, evidence_of
from byline.model import PairwiseModel
from byline.store import connect
from byline.store.corpus import load_corpus
from byline.training.pairwise import PartnerNames, block_training_pairs, name_rows

SHIPPED = PairwiseModel.load()
TRAINING = {
    "gold pairs only (before)": False,
    "gold + pseudo-ambiguous pairs (shipped)": True,
}


# clustering variants: how affiliation conflicts are read, and the mean P(same) from which
# average linkage crosses them (None: never, a cannot-link)
CLUSTERING = {
    "conflicts on common names, crossed at mean P >= 0.5 (shipped)": (
        evidence_of,
        SHIPPED.conflict_threshold,
    ),
    "conflicts on common names as cannot-links (before)": (evidence_of, None),
    "conflicts on every name as cannot-links (earlier)": (
        lambda X: evidence_of(X, min_sharing=0.0),
        None,
    ),
    "no conflicts": (lambda X: evidence_of(X) > 0, None),
}


def fold(slug: str) -> int:
    return int(hashlib.sha1(f"fold:{slug}".encode()).hexdigest(), 16) % 2


def view(gold_by_block: dict, pred: dict, rule: dict, worst: int = 10) -> dict:
    amb = ambiguous_blocks(gold_by_block)
    a, al = score(amb, pred), score(gold_by_block, pred)
    versus = compare_blocks(amb, pred, rule)
    return {
        "blocks": len(gold_by_block),
        "ambiguous_blocks": len(amb),
        "ambiguous": a.as_dict(),
        "all": al.as_dict(),
        "against_rule": {
            "wins": len(versus["wins"]),
            "losses": len(versus["losses"]),
            "worst_losses": [list(r) for r in versus["losses"][:worst]],
            "best_wins": [list(r) for r in versus["wins"][:worst]],
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite:///.byline/byline.sqlite")
    ap.add_argument("--out", default="bench/results/cluster-oof.json")
    ap.add_argument(
        "--seeds",
        default="",
        help="comma-separated seeds: refit the shipped training and clustering under each "
        "seed (pair sampling, pseudo-ambiguous partners, LightGBM bagging) and report the "
        "spread of every view instead of the variants (default out: cluster-oof-seeds.json)",
    )
    ap.add_argument(
        "--conflict-grid",
        default="",
        help="with --seeds: also cluster each seed's probabilities with affiliation conflicts "
        "crossed from each of these mean P(same) (comma-separated), e.g. 0.3,0.4,0.6,0.7",
    )
    ap.add_argument(
        "--link-grid",
        default="",
        help="with --seeds: also cluster each seed's probabilities with chaining from each of "
        "these P(same) without direct evidence (comma-separated), e.g. 0.95,0.97,0.99",
    )
    ap.add_argument(
        "--ceiling",
        action="store_true",
        help="with --seeds (default 13): how far any decision between chained groups could "
        "go: the shipped clustering, the chained groups alone, the chained groups merged by "
        "gold, and how well mean P(same) ranks group pairs (default out: split-ceiling.json)",
    )
    ap.add_argument(
        "--embedder",
        default=None,
        help="title embedder of the embedding feature (default: the shipped model's)",
    )
    a = ap.parse_args()
    seeds = [int(x) for x in a.seeds.split(",") if x.strip()]
    if a.ceiling and not seeds:
        seeds = [13]
    if seeds and a.out == ap.get_default("out"):
        a.out = f"bench/results/{'split-ceiling' if a.ceiling else 'cluster-oof-seeds'}.json"
    t0 = time.perf_counter()
    store = connect(a.db)
    corpus = load_corpus(store)
    gold = gold_labels(corpus)
    scored = {s: scored_mentions(corpus, gold, s) for s in ("train", "dev")}
    masked = heldout_corpus(corpus, gold, ("train", "dev", "test"))
    del corpus
    engine = Engine(masked, None, store, embedder=a.embedder or SHIPPED.embedder)
    train_names = blocks_in(masked, "train")
    engine.prepare(train_names + sorted(scored["dev"]))
    blocks = {s: {b: ms for b, ms in scored[s].items() if len(ms) >= 2} for s in ("train", "dev")}
    X = {slug: engine.features(masked.blocks[slug]) for p in blocks.values() for slug in p}
    t_feat = time.perf_counter()

    def fit(slugs: list[str], pool: list[str], pseudo: bool, seed: int = 13) -> PairwiseModel:
        # as `byline train`: seed 13, gold pairs in slug order, then pseudo-ambiguous pairs
        rng = np.random.default_rng(seed)
        mids = {s: blocks["train"][s] for s in slugs}
        if pseudo:
            parts = name_rows(engine, gold, mids, PartnerNames(masked, pool), rng, X)
        else:
            parts = [
                block_training_pairs(X[s], masked.blocks[s], mids[s], gold, rng)
                for s in sorted(slugs)
            ]
        Xs, ys, ws = zip(*parts, strict=True)
        return PairwiseModel(seed=seed).fit(
            np.concatenate(Xs), np.concatenate(ys), np.concatenate(ws)
        )

    train = sorted(blocks["train"])

    def predict(pseudo: bool, seed: int = 13) -> dict[str, np.ndarray]:
        p: dict[str, np.ndarray] = {}
        for k in (0, 1):
            model = fit(
                [s for s in train if fold(s) != k],
                [s for s in train_names if fold(s) != k],
                pseudo,
                seed,
            )
            p.update({s: model.predict_proba(X[s]) for s in train if fold(s) == k})
        model = fit(train, train_names, pseudo, seed)
        p.update({s: model.predict_proba(X[s]) for s in blocks["dev"]})
        return p

    gold_by = {
        part: {b: {m: gold[m] for m in ms} for b, ms in blocks[part].items()} for part in blocks
    }
    every = {s: [] for part in blocks.values() for s in part}
    rule = peers.shared_coauthor_or_affiliation(masked, every)

    def clustered(  # type: ignore[no-untyped-def]
        p: dict[str, np.ndarray],
        evidence,
        conflict: float | None,
        threshold: float | None = None,
        link: float | None = None,
    ) -> dict[str, str]:
        pred = {}
        for slug in every:
            block = masked.blocks[slug]
            labels = cluster_block(
                len(block),
                p[slug],
                SHIPPED.threshold if threshold is None else threshold,
                evidence_constraints(block, masked),
                link_threshold=SHIPPED.link_threshold if link is None else link,
                evidence=evidence(X[slug]),
                evidence_threshold=SHIPPED.evidence_threshold,
                conflict_threshold=conflict,
            )
            pred.update({m.mention_id: f"{slug}/{x}" for m, x in zip(block, labels, strict=True)})
        return pred

    if seeds:
        runs = []
        for seed in seeds:
            p = predict(True, seed)
            run: dict = {"seed": seed}
            # the shipped clustering, and affiliation conflicts as cannot-links (before
            # conflict_threshold) at the same thresholds, on the same probabilities
            grid = [float(x) for x in a.conflict_grid.split(",") if x.strip()]
            variants = [
                (SHIPPED_CLUSTERING, SHIPPED.conflict_threshold),
                (HARD_CONFLICTS, None),
                *((f"{CROSSED_AT}{x}", x) for x in grid),
            ]
            if a.ceiling:
                variants = variants[:1]
            preds = {}
            for variant, conflict in variants:
                preds[variant] = clustered(p, evidence_of, conflict)
            for x in [float(x) for x in a.link_grid.split(",") if x.strip()]:
                preds[f"{LINKED_AT}{x}"] = clustered(
                    p, evidence_of, SHIPPED.conflict_threshold, link=x
                )
            if a.ceiling:
                # average linkage never reaches a mean P(same) of 2: the chains alone
                chains = clustered(p, evidence_of, SHIPPED.conflict_threshold, threshold=2.0)
                preds[CHAINS_ONLY] = chains
                preds[CHAINS_BY_GOLD] = merged_by_gold(chains, gold)
                run["group_pairs"] = {
                    label: group_pair_separability(gold_by[part], chains, p, masked)
                    for part, label in (("train", "train_out_of_fold"), ("dev", "dev"))
                }
                run["mixed_chains"] = {
                    label: mixed_chains(gold_by[part], chains, X, masked)
                    for part, label in (("train", "train_out_of_fold"), ("dev", "dev"))
                }
            for variant, pred in preds.items():
                row = {
                    label: view(gold_by[part], pred, rule)
                    for part, label in (("train", "train_out_of_fold"), ("dev", "dev"))
                }
                run[variant] = row
                amb = {k: round(row[k]["ambiguous"]["b3_f1"], 3) for k in row}
                print(seed, variant, json.dumps(amb), flush=True)
            runs.append(run)
        result = {
            "model": {
                "threshold": SHIPPED.threshold,
                "link_threshold": SHIPPED.link_threshold,
                "conflict_threshold": SHIPPED.conflict_threshold,
                "embedder": engine.embedder.key,
            },
            "runs": runs,
            "seconds": round(time.perf_counter() - t0, 1),
        }
        out = Path(a.out)
        out.write_text(json.dumps(result, indent=2) + "\n")
        md = ceiling_markdown(result) if a.ceiling else seeds_markdown(result)
        out.with_suffix(".md").write_text(md)
        print(f"written to {out}")
        return

    probs = {variant: predict(pseudo) for variant, pseudo in TRAINING.items()}
    t_fit = time.perf_counter()

    name_only = {m.mention_id: s for s in every for m in masked.blocks[s]}
    result: dict = {
        "model": {
            "version": SHIPPED.version,
            "threshold": SHIPPED.threshold,
            "link_threshold": SHIPPED.link_threshold,
            "evidence_threshold": SHIPPED.evidence_threshold,
            "conflict_threshold": SHIPPED.conflict_threshold,
        },
        "systems": {},
    }
    systems = {"one person per name": name_only, "co-author/affiliation rule": rule}
    for t_name in TRAINING:
        for c_name, (evidence, conflict) in CLUSTERING.items():
            systems[f"{t_name}, {c_name}"] = clustered(probs[t_name], evidence, conflict)
    for name, pred in systems.items():
        row = {
            label: view(gold_by[part], pred, rule)
            for part, label in (("train", "train_out_of_fold"), ("dev", "dev"))
        }
        result["systems"][name] = row
        print(
            name,
            json.dumps(
                {
                    k: (round(v["ambiguous"]["b3_f1"], 3), round(v["all"]["b3_f1"], 3))
                    for k, v in row.items()
                }
            ),
            flush=True,
        )
    result["seconds"] = {
        "features": round(t_feat - t0, 1),
        "fit": round(t_fit - t_feat, 1),
        "total": round(time.perf_counter() - t0, 1),
    }
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    print(f"written to {out}")


CHAINS_ONLY = "chained groups only (no average linkage)"
CHAINS_BY_GOLD = "chained groups merged by gold (ceiling of any decision between groups)"


def _labels(pred: dict[str, str], block: list) -> np.ndarray:
    """Each mention's group in ``pred`` as 0..k-1, in block order."""
    names = [pred[m.mention_id] for m in block]
    index = {x: i for i, x in enumerate(dict.fromkeys(names))}
    return np.array([index[x] for x in names])


def _majority(values: list[str]) -> str:
    counts = {v: values.count(v) for v in sorted(set(values))}
    return max(counts, key=lambda v: counts[v])


def merged_by_gold(pred: dict[str, str], gold: dict[str, str]) -> dict[str, str]:
    """``pred`` with every group that holds gold mentions renamed to its majority gold person
    (ties to the first in sorted order): the best any decision between groups could do."""
    members: dict[str, list[str]] = {}
    for m, x in pred.items():
        members.setdefault(x, []).append(m)
    out = {}
    for x, ms in members.items():
        labelled = [gold[m] for m in ms if m in gold]
        name = f"{x.split('/')[0]}/gold:{_majority(labelled)}" if labelled else x
        out.update({m: name for m in ms})
    return out


def _group_gold(block: list, node: np.ndarray, gold_of_block: dict[str, str]) -> dict[int, str]:
    out = {}
    for grp in range(int(node.max()) + 1):
        vals = [
            gold_of_block[block[i].mention_id]
            for i in np.flatnonzero(node == grp)
            if block[i].mention_id in gold_of_block
        ]
        if vals:
            out[grp] = _majority(vals)
    return out


def group_pair_separability(
    gold_by_block: dict, chains: dict[str, str], p: dict[str, np.ndarray], corpus
) -> dict:
    """On the ambiguous names: every pair of chained groups that both hold gold, labelled
    one person where their majority gold persons agree; how well the mean and the largest
    P(same) of their mention pairs rank one person above two (ROC AUC)."""
    from sklearn.metrics import roc_auc_score

    ys, means, maxes = [], [], []
    for slug in sorted(ambiguous_blocks(gold_by_block)):
        block = corpus.blocks[slug]
        node = _labels(chains, block)
        owner = _group_gold(block, node, gold_by_block[slug])
        iu = np.triu_indices(len(block), 1)
        a, b = node[iu[0]], node[iu[1]]
        groups = sorted(owner)
        for i, g in enumerate(groups):
            for h in groups[i + 1 :]:
                rows = ((a == g) & (b == h)) | ((a == h) & (b == g))
                ys.append(int(owner[g] == owner[h]))
                means.append(float(p[slug][rows].mean()))
                maxes.append(float(p[slug][rows].max()))
    y = np.array(ys)
    both = 0 < y.sum() < len(y)
    return {
        "group_pairs": len(y),
        "one_person_share": round(float(y.mean()), 3) if len(y) else None,
        "roc_auc_mean_p": round(float(roc_auc_score(y, means)), 3) if both else None,
        "roc_auc_max_p": round(float(roc_auc_score(y, maxes)), 3) if both else None,
    }


def mixed_chains(gold_by_block: dict, chains: dict[str, str], X: dict, corpus) -> dict:
    """Chained groups of ambiguous names that hold two gold persons: each such pair of gold
    persons, and whether a pair of their mentions is direct evidence (a shared co-author or
    the identical affiliation: the rule links them too), which suggests one person under two
    ids or ORCID iDs rather than an error of the chain."""
    shared = FEATURES.index("coauthors_shared")
    exact = FEATURES.index("aff_exact")
    pairs = []
    for slug in sorted(ambiguous_blocks(gold_by_block)):
        block = corpus.blocks[slug]
        node = _labels(chains, block)
        ev = evidence_of(X[slug])
        g = gold_by_block[slug]
        iu = np.triu_indices(len(block), 1)
        found: dict[tuple[str, str], set[str]] = {}
        for k in np.flatnonzero(node[iu[0]] == node[iu[1]]):
            ma, mb = block[iu[0][k]].mention_id, block[iu[1][k]].mention_id
            if ma in g and mb in g and g[ma] != g[mb]:
                kinds = found.setdefault(tuple(sorted((g[ma], g[mb]))), set())
                if ev[k] > 0:  # direct evidence: a shared co-author, an identical affiliation
                    by_coauthor = X[slug][k, shared] > 0
                    if by_coauthor:
                        kinds.add("co-author")
                    if X[slug][k, exact] == 1 or not by_coauthor:
                        kinds.add("affiliation")
        pairs += [[slug, a, b, sorted(kinds)] for (a, b), kinds in sorted(found.items())]
    return {
        "gold_person_pairs": len(pairs),
        "with_direct_evidence": sum(1 for r in pairs if r[3]),
        "pairs": pairs,
    }


def ceiling_markdown(result: dict) -> str:
    """Per seed: the shipped clustering, the chains alone and the chains merged by gold, then
    how well P(same) ranks the ambiguous names' group pairs and the chains' mixed persons."""
    lines = [seeds_markdown(result).rstrip("\n"), ""]
    lines += [
        "Pairs of chained groups of the ambiguous names (both holding gold), one person by "
        "their majority gold persons: ROC AUC of the mean and of the largest P(same) of "
        "their mention pairs.",
        "",
        "| seed | view | group pairs | one person | AUC mean P | AUC max P | gold persons "
        "chained together | of them with direct evidence |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["runs"]:
        for view_name, g in r["group_pairs"].items():
            mc = r["mixed_chains"][view_name]
            lines.append(
                f"| {r['seed']} | {view_name.replace('_', ' ')} | {g['group_pairs']} | "
                f"{g['one_person_share']} | {g['roc_auc_mean_p']} | {g['roc_auc_max_p']} | "
                f"{mc['gold_person_pairs']} | {mc['with_direct_evidence']} |"
            )
    return "\n".join(lines) + "\n"


SHIPPED_CLUSTERING = "shipped clustering"
HARD_CONFLICTS = "affiliation conflicts as cannot-links"
CROSSED_AT = "affiliation conflicts crossed from mean P(same) "
LINKED_AT = "chained without direct evidence from P(same) "


def seeds_markdown(result: dict) -> str:
    """The shipped training under several seeds: each run, then min / mean / max, for the
    shipped clustering and for affiliation conflicts as cannot-links."""
    m = result["model"]
    lines = [
        "The shipped training (gold + pseudo-ambiguous pairs) and clustering refitted under "
        "each seed (gold-pair sampling of the largest names, pseudo-ambiguous partners, "
        "LightGBM bagging); blocks with 2+ scored mentions. B³ F1 ambiguous / all, block-macro "
        "B³ F1 on ambiguous names, paper moves on ambiguous names. Title embedder: "
        f"{m.get('embedder', 'minilm')}; thresholds merge {m['threshold']}, link "
        f"{m['link_threshold']}, conflict {m.get('conflict_threshold')}.",
    ]
    views = ("train_out_of_fold", "dev")

    def cells(r: dict) -> list[str]:
        out = []
        for k in views:
            v = r[k]
            out += [
                f"{v['ambiguous']['b3_f1']:.3f} / {v['all']['b3_f1']:.3f}",
                f"{v['ambiguous']['block_macro_b3_f1']:.3f}",
                str(v["ambiguous"]["paper_moves"]),
            ]
        return out

    runs = result["runs"]
    meta = ("seed", "group_pairs", "mixed_chains")
    variants = [k for k in runs[0] if k not in meta] if SHIPPED_CLUSTERING in runs[0] else [None]
    for variant in variants:
        rows = [r if variant is None else {"seed": r["seed"], **r[variant]} for r in runs]
        lines += [
            "",
            *([f"{variant[0].upper()}{variant[1:]}:", ""] if variant else []),
            "| seed | train out of fold | block-macro | moves | dev | block-macro | moves |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(f"| {r['seed']} | " + " | ".join(cells(r)) + " |")
        for name, agg in (("min", min), ("mean", lambda v: sum(v) / len(v)), ("max", max)):
            row = []
            for k in views:
                vals = [r[k] for r in rows]
                amb = agg([v["ambiguous"]["b3_f1"] for v in vals])
                al = agg([v["all"]["b3_f1"] for v in vals])
                macro = agg([v["ambiguous"]["block_macro_b3_f1"] for v in vals])
                moves = agg([v["ambiguous"]["paper_moves"] for v in vals])
                row += [f"{amb:.3f} / {al:.3f}", f"{macro:.3f}", f"{moves:.0f}"]
            lines.append(f"| {name} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def markdown(result: dict) -> str:
    m = result["model"]
    lines = [
        "Blocks with 2+ scored mentions, gold of every partition hidden; model "
        f"{m['version']} thresholds (merge {m['threshold']}, link {m['link_threshold']}, "
        f"evidence {m['evidence_threshold']}, conflict {m.get('conflict_threshold')}). "
        "B³ F1 ambiguous / all, block-macro B³ F1 on "
        "ambiguous names, paper moves on ambiguous names (÷ one person per name), and "
        "ambiguous names won / lost against the rule.",
        "",
        "| system | train out of fold | block-macro | moves | vs rule "
        "| dev | block-macro | moves | vs rule |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    base = result["systems"]["one person per name"]
    for name, row in result["systems"].items():
        cells = []
        for k in ("train_out_of_fold", "dev"):
            v, b = row[k], base[k]["ambiguous"]["paper_moves"]
            moves = v["ambiguous"]["paper_moves"]
            cells += [
                f"{v['ambiguous']['b3_f1']:.3f} / {v['all']['b3_f1']:.3f}",
                f"{v['ambiguous']['block_macro_b3_f1']:.3f}",
                f"{moves} ({moves / b:.2f})" if b else str(moves),
                f"{v['against_rule']['wins']} / {v['against_rule']['losses']}",
            ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    shipped = next(k for k in result["systems"] if k.count("(shipped)") == 2)
    for k in ("train_out_of_fold", "dev"):
        vs = result["systems"][shipped][k]["against_rule"]
        lines += [
            "",
            f"Shipped, {k.replace('_', ' ')}: worst losses to the rule "
            + ", ".join(f"{b} {o:.2f} vs {r:.2f}" for b, o, r in vs["worst_losses"])
            + "; best wins "
            + ", ".join(f"{b} {o:.2f} vs {r:.2f}" for b, o, r in vs["best_wins"])
            + ".",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
