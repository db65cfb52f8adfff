"""Affiliation conflicts as soft cannot-links (issue 11, session 10).

Chaining refuses to cross any cannot-link, as shipped. In the average-linkage stage only the
hard ones (two authors of one paper, two different ids) block two groups; two groups whose
pairs hold affiliation conflicts are blocked only when the conflicts are more than ``rho`` of
their pairs (lei-li on dev: two groups of one person, 60 and 24 mentions, 165 pairs of direct
evidence, 8 conflicts, mean P 0.70, kept apart by the shipped hard conflicts).

    PYTHONPATH=bench/split_quality .venv/bin/python bench/split_quality/softconf.py [probs.pkl]
"""
import sys
from lib import *
import os
OVERRIDE = float(os.environ.get("SOFT_OVERRIDE", "0"))
from byline.cluster import cluster_block
from byline.cluster.constrained import triu_pairs
from byline.features.pairwise import evidence_of

def cluster_soft(n, probs, threshold, cons, link, ev, ev_t, rho):
    if n <= 1:
        return np.zeros(n, dtype=int)
    iu = triu_pairs(n)
    conflicts = np.flatnonzero(ev < 0)
    soft = list(zip(iu[0][conflicts].tolist(), iu[1][conflicts].tolist()))
    # the shipped chaining stage (conflicts stop chains); a threshold above 1 merges nothing
    # afterwards, so the labels are its groups
    node = cluster_block(n, probs, 2.0, cons, link_threshold=link, evidence=ev, evidence_threshold=ev_t)
    k = int(node.max()) + 1
    if k == 1:
        return node
    P = np.zeros((n, n)); P[iu] = probs; P = P + P.T
    onehot = np.zeros((n, k)); onehot[np.arange(n), node] = 1.0
    S = onehot.T @ P @ onehot
    H = np.zeros((n, n))
    for a, b in cons.cannot:
        H[a, b] = H[b, a] = 1
    H = onehot.T @ H @ onehot
    cm = np.zeros((n, n))
    if soft:
        sa, sb = zip(*soft); cm[list(sa), list(sb)] = 1; cm = cm + cm.T
    Cn = onehot.T @ cm @ onehot
    size = onehot.sum(0)
    alive = np.ones(k, bool)
    lab = np.arange(k)
    while True:
        pairs = np.outer(size, size)
        mean = S / pairs
        # conflicts are overridden only by a strong mean P (SOFT_OVERRIDE, default 0: any)
        soft_ok = (Cn == 0) | ((Cn <= rho * pairs) & (mean >= OVERRIDE))
        ok = (H == 0) & soft_ok & np.outer(alive, alive)
        np.fill_diagonal(ok, False)
        mean = np.where(ok, mean, -1.0)
        i, j = np.unravel_index(int(np.argmax(mean)), mean.shape)
        if mean[i, j] < threshold:
            break
        for M in (S, H, Cn):
            M[i, :] += M[j, :]; M[:, i] += M[:, j]; M[j, :] = 0; M[:, j] = 0
        size[i] += size[j]; size[j] = 1; alive[j] = False
        lab[lab == j] = i
    _, out = np.unique(lab, return_inverse=True)
    return out[node]

def run(probs, rho, t=0.35, link=0.95, ev_t=0.5):
    pred = {}
    for s in probs:
        lab = cluster_soft(len(C["mids"][s]), probs[s], t, C["cons"][s], link, evidence_of(X[s]), ev_t, rho)
        pred.update({m: f"{s}/{x}" for m, x in zip(C["mids"][s], lab)})
    return pred

if __name__ == "__main__":
    p = pickle.load(open(sys.argv[1] if len(sys.argv) > 1 else "bench/work/sq/base_probs.pkl", "rb"))
    report("shipped", cluster(p))
    print("override", OVERRIDE)
    for rho in (0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 1.0):
        report(f"soft rho={rho}", run(p, rho))
