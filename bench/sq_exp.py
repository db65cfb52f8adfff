"""Split-quality experiments, step 2 (issue 11), on the cache of bench/sq_prep.py.

    .venv/bin/python bench/sq_exp.py 20 5     # group-stage runs with ambiguous weight 20, 5

Prints, for train names out of fold and dev names (B³ F1 ambiguous / all): the shipped
clustering, the co-author/affiliation rule, the evidence groups alone ("stage A": chaining of
pairs with direct evidence at P >= 0.5), and a second stage that merges those groups with a
LightGBM classifier on group-level features (topic centroids, 2-hop co-authors, years,
venues, affiliation conflicts, sizes, name commonness), trained out of fold on train names.
``oracle(part)`` merges the evidence groups by gold: the best any second stage can do.
Findings of the session 4 runs are in the issue 11 note; nothing here is shipped.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import time
from collections import Counter

import lightgbm as lgb
import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from byline.cluster.constrained import _Groups
from byline.engine import Engine, evidence_constraints
from byline.evaluation import peers
from byline.evaluation.metrics import ambiguous_blocks, score
from byline.features.pairwise import evidence_of
from byline.model import PairwiseModel
from byline.names import fold as fold_name
from byline.store import connect
from byline.store.corpus import load_corpus

SHIPPED = PairwiseModel.load()
t0 = time.time()


def fold(slug: str) -> int:
    return int(hashlib.sha1(f"fold:{slug}".encode()).hexdigest(), 16) % 2


cache = pickle.load(open("bench/work/sq-cache.pkl", "rb"))
X, probs, blocks, gold = cache["X"], cache["probs"], cache["blocks"], cache["gold"]
store = connect("sqlite:////work/main/.byline/byline.sqlite")
corpus = load_corpus(store)
hidden = {m for part in blocks.values() for ms in part.values() for m in ms}
masked = corpus.masked(hidden)
del corpus
engine = Engine(masked, SHIPPED, store)
stats = engine.stats
engine.prepare(sorted(s for part in blocks.values() for s in part))
print("loaded", round(time.time() - t0), flush=True)


def evaluate(pred: dict[str, str], part: str) -> tuple[float, float, dict[str, float]]:
    gb = {s: {m: gold[m] for m in ms} for s, ms in blocks[part].items()}
    amb = ambiguous_blocks(gb)
    per = {}
    for s in amb:
        per[s] = score({s: amb[s]}, pred).b3_f1
    return score(amb, pred).b3_f1, score(gb, pred).b3_f1, per


def shipped_pred(part: str, thr=None, link=None) -> dict[str, str]:
    out = {}
    for s in blocks[part]:
        ms = masked.blocks[s]
        lab = engine.cluster(ms, probs[s], evidence_of(X[s]), thr, link)
        out.update({m.mention_id: f"{s}/{x}" for m, x in zip(ms, lab, strict=True)})
    return out


def rule_pred(part: str) -> dict[str, str]:
    return peers.shared_coauthor_or_affiliation(masked, {s: [] for s in blocks[part]})


# --- stage A: evidence groups --------------------------------------------------------


def stage_a(s: str, ev_thr: float = 0.5) -> np.ndarray:
    ms = masked.blocks[s]
    n = len(ms)
    c = evidence_constraints(ms, masked)
    g = _Groups(n)
    for a, b in c.must:
        g.union(a, b, force=True)
    for a, b in c.cannot:
        g.separate(a, b)
    p = probs[s]
    ev = evidence_of(X[s])
    iu = np.triu_indices(n, 1)
    strong = np.flatnonzero(ev & (p >= ev_thr))
    for e in strong[np.argsort(-p[strong], kind="stable")]:
        g.union(int(iu[0][e]), int(iu[1][e]))
    return g.labels(), c


def _coauthors(ms, i):
    slug = ms[i].slug
    return {a.slug for a in masked.papers[ms[i].paper_id].authors if a.slug != slug}


GF = [
    "p_max", "p_mean", "p_min", "p_mean_top3",
    "emb_cos", "text_cos",
    "co2_shared", "co2_norm", "co_in_2hop",
    "year_gap", "year_overlap", "year_mean_diff",
    "venue_cos", "aff_best", "aff_conflict", "aff_both",
    "size_min", "size_max", "block_size", "n_groups", "first_count", "last_count",
    "lang_match", "authors_mean_diff", "han",
]


def group_features(s: str, node: np.ndarray):
    ms = masked.blocks[s]
    n = len(ms)
    k = int(node.max()) + 1
    P = np.zeros((n, n), dtype=np.float32)
    iu = np.triu_indices(n, 1)
    P[iu] = probs[s]
    P.T[iu] = probs[s]
    members = [np.flatnonzero(node == g) for g in range(k)]
    ps = [masked.papers[m.paper_id] for m in ms]
    vec = np.stack([engine.vectors[p.paper_id] for p in ps]) if engine.use_embeddings else None
    rows = [stats.paper_row.get(p.paper_id, -1) for p in ps]
    tm = stats.text_matrix[[max(r, 0) for r in rows]].toarray()
    co = [_coauthors(ms, i) for i in range(n)]
    years = np.array([p.year or np.nan for p in ps], dtype=float)
    av = stats.aff_vectorizer.transform([m.affiliation or "" for m in ms]).toarray()
    has_aff = np.array([bool(m.affiliation) for m in ms])
    g_vec, g_tm, g_co, g_hop, g_ven, g_years, g_lang, g_auth = [], [], [], [], [], [], [], []
    for idx in members:
        if vec is not None:
            v = vec[idx].mean(0)
            g_vec.append(v / (np.linalg.norm(v) + 1e-9))
        t = tm[idx].mean(0)
        g_tm.append(t / (np.linalg.norm(t) + 1e-9))
        c = set().union(*(co[i] for i in idx))
        h = set(c)
        for x in c:
            nb = stats.coauthor_graph.get(x)
            if nb and len(nb) < 400:
                h |= nb
        h.discard(ms[0].slug)
        g_co.append(c)
        g_hop.append(h)
        g_ven.append(Counter(v for i in idx for v in ps[i].venues))
        g_years.append(years[idx])
        g_lang.append(Counter(ps[i].language or "" for i in idx).most_common(1)[0][0])
        g_auth.append(np.mean([len(ps[i].authors) for i in idx]))
    first = stats.per_million(stats.first_count.get(fold_name(ms[0].first), 0))
    last = stats.per_million(stats.last_count.get(fold_name(ms[0].last), 0))
    han = float(any("\u4e00" <= ch <= "\u9fff" for m in ms for ch in (m.variant or "")))
    pairs, feats = [], []
    for a in range(k):
        for b in range(a + 1, k):
            ia, ib = members[a], members[b]
            sub = P[np.ix_(ia, ib)].ravel()
            top = np.sort(sub)[::-1][:3]
            ya, yb = g_years[a], g_years[b]
            ya, yb = ya[~np.isnan(ya)], yb[~np.isnan(yb)]
            if len(ya) and len(yb):
                gap = max(0.0, max(ya.min(), yb.min()) - min(ya.max(), yb.max()))
                ov = max(0.0, min(ya.max(), yb.max()) - max(ya.min(), yb.min()))
                md = abs(ya.mean() - yb.mean())
            else:
                gap = ov = md = np.nan
            va, vb = g_ven[a], g_ven[b]
            num = sum(va[x] * vb[x] for x in va)
            den = np.sqrt(sum(x * x for x in va.values()) * sum(x * x for x in vb.values()))
            ha, hb = has_aff[ia], has_aff[ib]
            if ha.any() and hb.any():
                A = av[ia[ha]] @ av[ib[hb]].T
                best = float(A.max())
                conflict = 0.0
                for i in ia[ha]:
                    for j in ib[hb]:
                        if years[i] == years[j] and float(av[i] @ av[j]) < 0.2:
                            conflict = 1.0
                both = 1.0
            else:
                best, conflict, both = np.nan, np.nan, 0.0
            shared2 = len(g_hop[a] & g_hop[b])
            feats.append([
                sub.max(), sub.mean(), sub.min(), top.mean(),
                float(g_vec[a] @ g_vec[b]) if g_vec else np.nan,
                float(g_tm[a] @ g_tm[b]),
                shared2, shared2 / np.sqrt(max(len(g_hop[a]) * len(g_hop[b]), 1)),
                len(g_co[a] & g_hop[b]) + len(g_co[b] & g_hop[a]),
                gap, ov, md,
                num / den if den else np.nan, best, conflict, both,
                min(len(ia), len(ib)), max(len(ia), len(ib)), stats.per_million(n), k,
                first, last,
                float(g_lang[a] == g_lang[b]), abs(g_auth[a] - g_auth[b]), han,
            ])
            pairs.append((a, b))
    return pairs, np.asarray(feats, dtype=np.float32).reshape(-1, len(GF)), members


def group_label(members, ms):
    labs = []
    for idx in members:
        g = [gold[ms[i].mention_id] for i in idx if ms[i].mention_id in gold]
        labs.append(Counter(g).most_common(1)[0][0] if g else None)
    return labs


# Build group-pair data for all blocks.
data = {}
for part in blocks:
    for s in blocks[part]:
        node, c = stage_a(s)
        if node.max() == 0:
            data[s] = (node, c, [], np.zeros((0, len(GF)), np.float32), None, None)
            continue
        pairs, F, members = group_features(s, node)
        labs = group_label(members, masked.blocks[s])
        data[s] = (node, c, pairs, F, members, labs)
print("group features", round(time.time() - t0), flush=True)


def train_rows(slugs, amb_w):
    Fs, ys, ws = [], [], []
    for s in slugs:
        node, c, pairs, F, members, labs = data[s]
        if not pairs:
            continue
        nper = len({gold[m] for m in blocks["train"][s]})
        keep, y = [], []
        for r, (a, b) in enumerate(pairs):
            if labs[a] is None or labs[b] is None:
                continue
            keep.append(r)
            y.append(int(labs[a] == labs[b]))
        if not keep:
            continue
        w = amb_w if nper > 1 else 1.0
        Fs.append(F[keep])
        ys.append(np.array(y))
        ws.append(np.full(len(keep), w / np.sqrt(len(keep)), dtype=np.float32))
    return np.concatenate(Fs), np.concatenate(ys), np.concatenate(ws)


PARAMS = dict(objective="binary", learning_rate=0.05, num_leaves=15, min_data_in_leaf=20,
              feature_fraction=0.8, bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0,
              verbose=-1, num_threads=1, deterministic=True, force_row_wise=True, seed=13,
              bagging_seed=13, feature_fraction_seed=13)


def fit(slugs, amb_w, rounds=300):
    F, y, w = train_rows(slugs, amb_w)
    return lgb.train(PARAMS, lgb.Dataset(F, label=y, weight=w, feature_name=GF), rounds)


def stage_b_pred(s, gp, thr):
    node, c, pairs, F, members, labs = data[s]
    ms = masked.blocks[s]
    k = int(node.max()) + 1
    if k == 1:
        return {m.mention_id: f"{s}/0" for m in ms}
    D = np.zeros((k, k))
    for (a, b), p in zip(pairs, gp, strict=True):
        D[a, b] = D[b, a] = 1 - p
    for a, b in c.cannot:
        na, nb = node[a], node[b]
        if na != nb:
            D[na, nb] = D[nb, na] = 1e9
    tree = linkage(D[np.triu_indices(k, 1)], method="average")
    lab = fcluster(tree, t=1 - thr, criterion="distance")
    return {m.mention_id: f"{s}/{lab[node[i]]}" for i, m in enumerate(ms)}


def run(amb_w=20.0, thrs=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8), rounds=300):
    train = sorted(blocks["train"])
    gprob = {}
    for k in (0, 1):
        b = fit([s for s in train if fold(s) != k], amb_w, rounds)
        for s in train:
            if fold(s) == k and len(data[s][2]):
                gprob[s] = b.predict(data[s][3])
    b = fit(train, amb_w, rounds)
    for s in blocks["dev"]:
        if len(data[s][2]):
            gprob[s] = b.predict(data[s][3])
    res = {}
    for thr in thrs:
        row = {}
        for part in ("train", "dev"):
            pred = {}
            for s in blocks[part]:
                pred.update(stage_b_pred(s, gprob.get(s, []), thr))
            a, al, per = evaluate(pred, part)
            row[part] = (round(a, 3), round(al, 3))
        res[thr] = row
        print(f"amb_w={amb_w} thr={thr}", row, flush=True)
    return b, gprob


if __name__ == "__main__":
    for part in ("train", "dev"):
        a, al, _ = evaluate(shipped_pred(part), part)
        r, rl, _ = evaluate(rule_pred(part), part)
        sa = {}
        for s in blocks[part]:
            node = data[s][0]
            sa.update({m.mention_id: f"{s}/{node[i]}" for i, m in enumerate(masked.blocks[s])})
        g, gl, _ = evaluate(sa, part)
        print(part, "shipped", round(a, 3), round(al, 3), "rule", round(r, 3), round(rl, 3),
              "stageA", round(g, 3), round(gl, 3), flush=True)
    for w in [float(x) for x in (sys.argv[1:] or ["20"])]:
        run(w)


def oracle(part):
    pred = {}
    for s in blocks[part]:
        node, c, pairs, F, members, labs = data[s]
        ms = masked.blocks[s]
        if members is None:
            pred.update({m.mention_id: f"{s}/0" for m in ms})
            continue
        for g, idx in enumerate(members):
            key = labs[g] if labs[g] is not None else f"g{g}"
            for i in idx:
                pred[ms[i].mention_id] = f"{s}/{key}"
    return evaluate(pred, part)
