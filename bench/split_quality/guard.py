from lib import *
from clus import agglo
from byline.cluster.constrained import _Groups, triu_pairs
_BLOCKED = 1e9  # a distance no merge reaches (cluster_block used it before linkage.py)
from byline.cluster import pair_matrix

def groups_guard(n, probs, cons, ev, guard, minsize=1, link=0.95, ev_t=0.5, stat="mean"):
    iu = triu_pairs(n)
    cannot = list(cons.cannot) + list(zip(iu[0][ev < 0].tolist(), iu[1][ev < 0].tolist()))
    g = _Groups(n)
    for a, b in cons.must: g.union(a, b, force=True)
    for a, b in cannot: g.separate(a, b)
    P = pair_matrix(n, probs).astype(np.float64)
    members = {i: [i] for i in range(n)}
    def root(i): return g.sets[i]
    for a, b in cons.must:
        pass
    # rebuild members after must
    members = {}
    for i in range(n): members.setdefault(root(i), []).append(i)
    e = ev > 0
    for chosen in (e & (probs >= ev_t), ~e & (probs >= link)):
        strong = np.flatnonzero(chosen)
        for k in strong[np.argsort(-probs[strong], kind="stable")]:
            a, b = int(iu[0][k]), int(iu[1][k])
            ra, rb = root(a), root(b)
            if ra == rb: continue
            A, B = members[ra], members[rb]
            if min(len(A), len(B)) >= minsize:
                sub = P[np.ix_(A, B)]
                val = sub.mean() if stat == "mean" else np.median(sub)
                if val < guard: continue
            if g.union(a, b):
                r = root(a)
                members[r] = A + B
                other = rb if r == ra else ra
                members.pop(other, None)
    return g.labels(), cannot

def run(probs, thr=0.35, **kw):
    pred = {}
    for s in probs:
        n = len(C["mids"][s])
        if n < 2: continue
        node, cannot = groups_guard(n, probs[s], C["cons"][s], evidence_of(X[s]), **kw)
        lab = agglo(n, probs[s], node, cannot, thr)
        pred.update({m: f"{s}/{x}" for m, x in zip(C["mids"][s], lab)})
    return pred

if __name__ == "__main__":
    import sys
    p = pickle.load(open(sys.argv[1] if len(sys.argv) > 1 else "bench/work/sq/base_probs.pkl","rb"))
    report("guard0", run(p, guard=0.0))
    for guard in (0.05, 0.1, 0.2, 0.3):
        for ms in (1, 2, 3):
            report(f"guard{guard} min{ms}", run(p, guard=guard, minsize=ms))
