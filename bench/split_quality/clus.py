from lib import *
from byline.cluster.constrained import _Groups, triu_pairs
_BLOCKED = 1e9  # a distance no merge reaches (cluster_block used it before linkage.py)
from scipy.cluster.hierarchy import fcluster, linkage

def groups0(n, probs, cons, ev, link=0.95, ev_t=0.5):
    iu = triu_pairs(n)
    cannot = list(cons.cannot) + list(zip(iu[0][ev < 0].tolist(), iu[1][ev < 0].tolist()))
    g = _Groups(n)
    for a, b in cons.must: g.union(a, b, force=True)
    for a, b in cannot: g.separate(a, b)
    e = ev > 0
    for chosen in (e & (probs >= ev_t), ~e & (probs >= link)):
        strong = np.flatnonzero(chosen)
        for k in strong[np.argsort(-probs[strong], kind="stable")]:
            g.union(int(iu[0][k]), int(iu[1][k]))
    return g.labels(), cannot

def agglo(n, probs, node, cannot, thr, method="average", transform="p", msize=False):
    k = int(node.max()) + 1
    if k == 1: return node
    iu = triu_pairs(n)
    p = np.clip(probs.astype(np.float64), 1e-4, 1 - 1e-4)
    if transform == "p": v = p
    elif transform == "logit": v = np.log(p / (1 - p))
    M = np.zeros((n, n)); M[iu] = v; M = M + M.T
    oh = np.zeros((n, k)); oh[np.arange(n), node] = 1
    sz = oh.sum(0)
    G = oh.T @ M @ oh / np.outer(sz, sz)
    if transform == "logit": G = 1 / (1 + np.exp(-G))
    D = 1 - G
    for a, b in cannot:
        if node[a] != node[b]: D[node[a], node[b]] = D[node[b], node[a]] = _BLOCKED
    if msize:
        # mention-weighted average linkage (UPGMA on mentions): custom loop
        lab = np.arange(k); S = sz.copy(); Dm = D.copy(); np.fill_diagonal(Dm, np.inf)
        alive = np.ones(k, bool)
        while True:
            i, j = np.unravel_index(np.argmin(Dm), Dm.shape)
            if Dm[i, j] > 1 - thr: break
            # merge j into i
            new = (S[i] * Dm[i] + S[j] * Dm[j]) / (S[i] + S[j])
            new = np.where((Dm[i] >= _BLOCKED) | (Dm[j] >= _BLOCKED), _BLOCKED, new)
            Dm[i] = new; Dm[:, i] = new; Dm[i, i] = np.inf
            Dm[j] = np.inf; Dm[:, j] = np.inf; S[i] += S[j]; lab[lab == j] = i
        _, out = np.unique(lab, return_inverse=True)
        return out[node]
    tree = linkage(D[triu_pairs(k)], method=method)
    return (fcluster(tree, t=1.0 - thr, criterion="distance") - 1)[node]

def run(probs, thr, **kw):
    pred = {}
    for s in probs:
        n = len(C["mids"][s])
        if n < 2: continue
        node, cannot = groups0(n, probs[s], C["cons"][s], evidence_of(X[s]))
        lab = agglo(n, probs[s], node, cannot, thr, **kw)
        pred.update({m: f"{s}/{x}" for m, x in zip(C["mids"][s], lab)})
    return pred

if __name__ == "__main__":
    p = pickle.load(open("bench/work/sq/base_probs.pkl","rb"))
    report("base-check t0.35", run(p, 0.35))
    for method in ("average", "weighted", "complete"):
        for thr in (0.2, 0.35, 0.5):
            report(f"{method} t{thr}", run(p, thr, method=method))
    for thr in (0.2, 0.35, 0.5):
        report(f"logit t{thr}", run(p, thr, transform="logit"))
        report(f"msize t{thr}", run(p, thr, msize=True))
