"""Is the name shared? A block-level classifier as a switch (issue 11, session 14).

Between chained groups the pair features barely tell one person from two (grpclf.py), but
whether groups should merge is mostly a question about the whole name: in a one-person
name every group pair is one person, in an ambiguous one few are. Here a classifier on
block-level features (size, number of chained groups and the largest one's share, name
commonness and first/last name counts, the spread of years, venues and title
embeddings across groups, the mean and upper quantiles of P(same) between groups)
predicts whether a name has 2+ gold persons, out of fold by name halves (dev: fitted on
all train names). Where it says "shared" above a cut, the block's groups are kept apart
(the rule's answer on the chained groups); elsewhere the shipped clustering stands.

    PYTHONPATH=bench/split_quality .venv/bin/python bench/split_quality/blkclf.py PROBS.pkl
"""
import sys

import lightgbm as lgb
from sklearn.metrics import roc_auc_score

from grpclf import group_rows
from lib import *
from sizethr import clustered

Y = FI["year_min"]; YG = FI["year_gap"]; VS = FI["venue_shared"]; EC = FI["embedding_cosine"]
NC, FC, LC = FI["name_commonness"], FI["first_count_log"], FI["last_count_log"]


def block_row(s, p, G):
    node, k, a, b, R = G[s]
    n = len(C["mids"][s])
    x = X[s]
    sizes = np.bincount(node)
    row = [n, k, sizes.max() / n, np.nanmax(x[:, NC]), np.nanmax(x[:, FC]), np.nanmax(x[:, LC])]
    if R is None:
        return row + [np.nan] * 8
    mp = R[:, 0]
    iu = np.triu_indices(n, 1)
    cross = node[iu[0]] != node[iu[1]]
    yg = x[cross, YG]; vs = x[cross, VS]; ec = x[cross, EC]
    row += [mp.mean(), np.quantile(mp, 0.9), mp.max(), np.nanmean(yg), np.nanmax(yg), np.nanmean(vs), np.nanmean(ec),
            np.nanquantile(ec, 0.1)]
    return row


def fit(rows, seed=13):
    Xa = np.array([r for r, _ in rows]); ya = np.array([y for _, y in rows])
    clf = lgb.LGBMClassifier(n_estimators=200, learning_rate=0.05, num_leaves=7, min_child_samples=10,
                             subsample=0.8, subsample_freq=1, random_state=seed, n_jobs=1,
                             deterministic=True, force_row_wise=True, verbose=-1)
    return clf.fit(Xa, ya)


def multi_group(s, part, G):
    return G[s][1] >= 2 and s in gold_by[part] and len(gold_by[part][s]) >= 2


P_FREE = [0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13]  # the columns that do not read P(same)


def shared_probs(p, G, F, cols):
    """P(the name has 2+ persons) of every block: train out of fold, dev fitted on all train."""
    def lab(s):
        return int(len(set(gold_by["train"][s].values())) >= 2)
    def rows(slugs):
        return [([F[s][c] for c in cols], lab(s)) for s in slugs if multi_group(s, "train", G)]
    A = {}
    for k in (0, 1):
        clf = fit(rows([s for s in train if folds[s] != k]))
        for s in train:
            if folds[s] == k:
                A[s] = clf.predict_proba(np.array([[F[s][c] for c in cols]]))[0, 1]
    clf = fit(rows(train))
    for s in dev:
        A[s] = clf.predict_proba(np.array([[F[s][c] for c in cols]]))[0, 1]
    return A


def apart(base, p, G, A, cut):
    pred = dict(base)
    for s in p:
        if A.get(s, 0) >= cut and G[s][1] >= 2:
            pred.update({m: f"{s}/g{x}" for m, x in zip(C["mids"][s], G[s][0])})
    return pred


def auc_lines(G, F, A, label):
    for part, slugs in (("train", train), ("dev", dev)):
        ss = [s for s in slugs if multi_group(s, part, G)]
        y = [int(len(set(gold_by[part][s].values())) >= 2) for s in ss]
        print(f"  {label} {part}: blocks with 2+ gold mentions and 2+ chained groups {len(ss)}, ambiguous {sum(y)}, "
              f"AUC {roc_auc_score(y, [A[s] for s in ss]):.3f}", flush=True)


if __name__ == "__main__":
    results = {}
    for path in sys.argv[1:]:
        print(path, flush=True)
        p = pickle.load(open(path, "rb"))
        G = {s: group_rows(s, p[s]) for s in p}
        F = {s: block_row(s, p[s], G) for s in p}
        base = clustered(p)
        variants = {"shipped": base}
        for label, cols in (("all features", list(range(14))), ("without P(same)", P_FREE), ("commonness only", [3])):
            A = shared_probs(p, G, F, cols)
            auc_lines(G, F, A, label)
            for cut in (0.3, 0.5, 0.7, 0.9):
                variants[f"{label}, groups apart at P(shared) >= {cut}"] = apart(base, p, G, A, cut)
        nc = np.array([F[s][3] for s in train if multi_group(s, "train", G)])
        for q in (50, 70, 80, 90, 95):
            c = float(np.nanpercentile(nc, q))
            A = {s: float(F[s][3] >= c) for s in p}
            variants[f"name commonness >= its train {q}th percentile, groups apart"] = apart(base, p, G, A, 0.5)
        for name, pred in variants.items():
            t, d = report(name, pred)
            results.setdefault(name, []).append((t["amb"], t["all"], t["macro"], t["moves"], d["amb"], d["all"], d["macro"], d["moves"]))
    if len(sys.argv) > 2:
        print("MEANS over", len(sys.argv) - 1, "probability files (OOF amb/all macro moves | DEV amb/all macro moves; lowest amb OOF / DEV)")
        for name, rows in results.items():
            r = np.array(rows)
            m = r.mean(0)
            print(f"MEAN {name:60s} OOF {m[0]:.3f}/{m[1]:.3f} m{m[2]:.3f} mv{m[3]:.0f} | DEV {m[4]:.3f}/{m[5]:.3f} m{m[6]:.3f} mv{m[7]:.0f} | min {r[:,0].min():.3f} / {r[:,4].min():.3f}")
