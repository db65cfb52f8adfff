from lib import *
nc = FI["name_commonness"]; thr = np.log(0.1 + 1e-3)
for part in ("train", "dev"):
    cnt = {}
    for s, g in gold_by[part].items():
        n = len(C["mids"][s]); iu = np.triu_indices(n, 1)
        gi = np.array([g.get(m) for m in C["mids"][s]], dtype=object)
        pid = np.array([m.split("#")[0] for m in C["mids"][s]])
        ev = evidence_of(X[s])
        k = np.flatnonzero((ev < 0) & (gi[iu[0]] != None) & (gi[iu[1]] != None) & (pid[iu[0]] != pid[iu[1]]))
        if not len(k): continue
        common = X[s][0, nc] >= thr
        two = (gi[iu[0]][k] != gi[iu[1]][k]).sum()
        c = cnt.setdefault(common, [0, 0, set()]); c[0] += len(k); c[1] += int(two); c[2].add(s)
    for common, (tot, two, names) in cnt.items():
        print(part, "common" if common else "rare", "conflict gold pairs", tot, "two people", two, "names", len(names))
