"""A second stage that decides on whole groups (issue 11, session 14).

After evidence-first chaining a block is a set of groups; the shipped clustering joins two
groups where the mean P(same) of their mention pairs is at least 0.3. Here a classifier
trained on pairs of groups of train names (their gold persons by majority) gives the
group pair's probability from group-level aggregates of the pair features (mean, max and
min P(same); mean and max of every pair feature over the two groups' mention pairs; group
sizes, the block's size and number of groups), and average linkage runs on that instead.
Out of fold as the harness: a fold's names are decided by a classifier fitted on the
other fold's names; dev by one fitted on all train names.

    PYTHONPATH=bench/split_quality .venv/bin/python bench/split_quality/grpclf.py PROBS.pkl
"""
import sys

import lightgbm as lgb
from sklearn.metrics import roc_auc_score

from byline.cluster.constrained import triu_pairs, _node_pairs
from byline.cluster.linkage import average_linkage
from lib import *
from sizethr import clustered

LINK, EV_T, MERGE, CONFLICT = 0.95, 0.5, 0.3, 0.5


def groups_of(s, p):
    """The chained groups of block ``s`` (average linkage never merges at threshold 2)."""
    n = len(C["mids"][s])
    return cluster_block(n, p, 2.0, C["cons"][s], link_threshold=LINK, evidence=evidence_of(X[s]),
                         evidence_threshold=EV_T, conflict_threshold=CONFLICT)


def group_rows(s, p):
    """(group a, group b, feature rows) of every pair of groups of block ``s``."""
    n = len(C["mids"][s])
    node = groups_of(s, p)
    k = int(node.max()) + 1 if n else 0
    if k < 2:
        return node, k, None, None, None
    iu = triu_pairs(n)
    na, nb = node[iu[0]], node[iu[1]]
    cross = na != nb
    lo, hi = np.minimum(na, nb)[cross], np.maximum(na, nb)[cross]
    key = lo * k + hi
    uniq, inv = np.unique(key, return_inverse=True)
    m = len(uniq)
    cnt = np.bincount(inv, minlength=m).astype(float)
    cols = []
    pc = p[cross]
    cols.append(np.bincount(inv, weights=pc, minlength=m) / cnt)
    mx = np.full(m, -np.inf); np.maximum.at(mx, inv, pc); cols.append(mx)
    mn = np.full(m, np.inf); np.minimum.at(mn, inv, pc); cols.append(mn)
    x = X[s][cross]
    for j in range(x.shape[1]):
        v = x[:, j]; ok = ~np.isnan(v)
        c = np.bincount(inv, weights=ok.astype(float), minlength=m)
        sm = np.bincount(inv, weights=np.where(ok, v, 0.0), minlength=m)
        cols.append(np.where(c > 0, sm / np.maximum(c, 1), np.nan))
        vx = np.full(m, -np.inf); np.maximum.at(vx, inv[ok], v[ok]); cols.append(np.where(np.isinf(vx), np.nan, vx))
    sizes = np.bincount(node, minlength=k).astype(float)
    a, b = uniq // k, uniq % k
    cols += [np.minimum(sizes[a], sizes[b]), np.maximum(sizes[a], sizes[b]), np.full(m, n), np.full(m, k)]
    return node, k, a, b, np.column_stack(cols)


def labelled(s, node, a, b, part):
    g = gold_by[part][s]
    mids = C["mids"][s]
    maj = {}
    for grp in range(int(node.max()) + 1):
        vals = [g[mids[i]] for i in np.flatnonzero(node == grp) if mids[i] in g]
        if vals:
            maj[grp] = max(set(vals), key=vals.count)
    ok = np.array([(x in maj) and (y in maj) for x, y in zip(a.tolist(), b.tolist())], bool)
    y = np.array([maj.get(x) == maj.get(y) for x, y in zip(a.tolist(), b.tolist())], int)
    return ok, y


def fit_groups(rows, seed=13):
    Xa = np.vstack([r[0] for r in rows]); ya = np.concatenate([r[1] for r in rows]); wa = np.concatenate([r[2] for r in rows])
    clf = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, num_leaves=15, min_child_samples=10,
                             subsample=0.8, subsample_freq=1, colsample_bytree=0.8, random_state=seed,
                             n_jobs=1, deterministic=True, force_row_wise=True, verbose=-1)
    return clf.fit(Xa, ya, sample_weight=wa)


def run(probs, weight_pow=0.5):
    G = {}
    for s in probs:
        G[s] = group_rows(s, probs[s])
    def train_rows(slugs):
        rows = []
        for s in slugs:
            node, k, a, b, R = G[s]
            if R is None:
                continue
            ok, y = labelled(s, node, a, b, "train")
            if ok.sum():
                w = np.full(ok.sum(), 1.0 / ok.sum() ** weight_pow)
                rows.append((R[ok], y[ok], w))
        return rows
    Q = {}
    for k in (0, 1):
        clf = fit_groups(train_rows([s for s in train if folds[s] != k]))
        for s in train:
            if folds[s] == k and G[s][4] is not None:
                Q[s] = clf.predict_proba(G[s][4])[:, 1]
    clf = fit_groups(train_rows(train))
    for s in dev:
        if G[s][4] is not None:
            Q[s] = clf.predict_proba(G[s][4])[:, 1]
    return G, Q


def auc_report(G, Q, parts=("train", "dev")):
    for part, slugs in (("train", train), ("dev", dev)):
        amb = ambiguous_blocks(gold_by[part])
        ys, qs, ps = [], [], []
        for s in slugs:
            if s not in amb or s not in Q:
                continue
            node, k, a, b, R = G[s]
            ok, y = labelled(s, node, a, b, part)
            ys.append(y[ok]); qs.append(Q[s][ok]); ps.append(R[ok, 0])
        y = np.concatenate(ys); q = np.concatenate(qs); pm = np.concatenate(ps)
        print(f"{part}: ambiguous names' group pairs {len(y)} same {y.mean():.3f}  AUC mean P {roc_auc_score(y, pm):.3f}  AUC classifier {roc_auc_score(y, q):.3f}", flush=True)


def clustered_groups(probs, G, Q, t2, conflict=None):
    pred = {}
    for s in probs:
        mids = C["mids"][s]
        node, k, a, b, R = G[s]
        if R is None:
            lab = node
        else:
            n = len(mids)
            iu = triu_pairs(n)
            ev = np.asarray(evidence_of(X[s])).astype(np.int8)
            bad = np.flatnonzero(ev < 0)
            confl = list(zip(iu[0][bad].tolist(), iu[1][bad].tolist()))
            lab = average_linkage(k, a, b, Q[s], t2, apart=_node_pairs(node, C["cons"][s].cannot),
                                  conflicts=_node_pairs(node, confl), conflict_threshold=conflict)[node]
        pred.update({m: f"{s}/{x}" for m, x in zip(mids, lab)})
    return pred


if __name__ == "__main__":
    p = pickle.load(open(sys.argv[1], "rb"))
    report("shipped (0.3, conflicts 0.5)", clustered(p))
    for wp in (0.5, 1.0):
        G, Q = run(p, wp)
        auc_report(G, Q)
        for t2 in (0.3, 0.4, 0.5, 0.6, 0.7):
            for conflict in (None, 0.8):
                report(f"groups w^{wp} t={t2} conflict={conflict}", clustered_groups(p, G, Q, t2, conflict))
