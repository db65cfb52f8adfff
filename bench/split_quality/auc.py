from lib import *
from compfeat import NAMES
from sklearn.metrics import roc_auc_score
E = pickle.load(open("bench/work/sq/extra-compfeat.pkl", "rb"))
p = pickle.load(open("bench/work/sq/base_probs.pkl","rb"))
for part in ("train", "dev"):
    rows, ys, ps, cats = [], [], [], []
    amb = ambiguous_blocks(gold_by[part])
    for s, g in amb.items():
        n = len(C["mids"][s]); iu = np.triu_indices(n, 1)
        gi = np.array([g.get(m) for m in C["mids"][s]], dtype=object)
        ok = (gi[iu[0]] != None) & (gi[iu[1]] != None) & ~np.isnan(E["XE"][s][:, 0])
        k = np.flatnonzero(ok)
        rows.append(np.hstack([X[s][k], E["XE"][s][k]])); ys.append(gi[iu[0]][k] == gi[iu[1]][k]); ps.append(p[s][k])
    R = np.vstack(rows); y = np.concatenate(ys).astype(int); P = np.concatenate(ps)
    print(part, "cross-component gold pairs", len(y), "same rate", y.mean(), "AUC of P", roc_auc_score(y, P))
    for j, nm in enumerate(list(FEATURES) + NAMES):
        v = R[:, j]; ok = ~np.isnan(v)
        if ok.sum() > 50 and len(set(y[ok])) > 1:
            a = roc_auc_score(y[ok], v[ok])
            if abs(a - 0.5) > 0.1: print(f"   {nm:24s} auc={a:.3f} cover={ok.mean():.2f}")
