from lib import *
import sys
nc = FI["name_commonness"]
def byP(c):
    def f(s, x, pr):
        ev = evidence_of(x); ev[(ev < 0) & (pr >= c)] = 0; return ev
    return f
def byC(c):
    def f(s, x, pr):
        ev = evidence_of(x); ev[(ev < 0) & (x[:, nc] < c)] = 0; return ev
    return f
for path in sys.argv[1:]:
    if path == "shipped":
        sh = PairwiseModel.load(); p = {s: sh.predict_proba(X[s]) for s in dev}
    else:
        p = pickle.load(open(path, "rb"))
    print(path)
    report(" shipped conflicts", cluster(p))
    for c in (0.5,): report(f" conflict if P<{c}", cluster(p, evfn=byP(c)))
    for c in (-2.3, -3): report(f" conflict if commonness>={c}", cluster(p, evfn=byC(c)))
