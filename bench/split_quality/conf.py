from lib import *
import sys
p = pickle.load(open(sys.argv[1],"rb"))
nc = FI["name_commonness"]
vals = sorted(set(float(X[s][0, nc]) for s in X if len(X[s])))
print("commonness quantiles", np.quantile(vals, [0.1, 0.25, 0.5, 0.75, 0.9]))
report("shipped conflicts", cluster(p))
report("no conflicts", cluster(p, evfn=lambda s, x, pr: (evidence_of(x) > 0).astype(np.int8)))
def byP(c):
    def f(s, x, pr):
        ev = evidence_of(x); ev[(ev < 0) & (pr >= c)] = 0; return ev
    return f
def byC(c):
    def f(s, x, pr):
        ev = evidence_of(x)
        if len(x) and x[0, nc] < c: ev[ev < 0] = 0
        return ev
    return f
for c in (0.3, 0.5, 0.7, 0.9):
    report(f"conflict if P<{c}", cluster(p, evfn=byP(c)))
for c in (-3, -2, -1, -0.5, 0):
    report(f"conflict if commonness>={c}", cluster(p, evfn=byC(c)))
