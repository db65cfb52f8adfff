from lib import *
from sklearn.metrics import roc_auc_score
from byline.store import connect
from byline.store.corpus import load_corpus
corpus = load_corpus(connect("sqlite:///.byline/byline.sqlite"))
p = pickle.load(open("bench/work/sq/nocap_probs.pkl","rb"))
for part in ("train", "dev"):
    F, ys, ps = [], [], []
    amb = ambiguous_blocks(gold_by[part])
    for s, g in amb.items():
        mids = C["mids"][s]; n = len(mids); iu = np.triu_indices(n, 1)
        gi = np.array([g.get(m) for m in mids], dtype=object)
        pos = np.array([int(m.split("#")[1]) for m in mids]); na = np.array([len(corpus.papers[m.split("#")[0]].authors) for m in mids])
        rel = np.where(na > 1, pos / np.maximum(na - 1, 1), 0.5)
        first = pos == 0; last = (pos == na - 1) & (na > 1)
        ok = (gi[iu[0]] != None) & (gi[iu[1]] != None) & (X[s][:, FI["chain_hops"]] != 1)
        k = np.flatnonzero(ok); a, b = iu[0][k], iu[1][k]
        F.append(np.c_[np.abs(rel[a] - rel[b]), first[a] & first[b], last[a] & last[b], (first[a] & last[b]) | (last[a] & first[b]), np.minimum(rel[a], rel[b]), np.maximum(rel[a], rel[b])])
        ys.append(gi[a] == gi[b]); ps.append(p[s][k])
    F = np.vstack(F).astype(float); y = np.concatenate(ys).astype(int); P = np.concatenate(ps)
    print(part, len(y), y.mean(), "P auc", roc_auc_score(y, P))
    for j, nm in enumerate(["relpos_diff", "both_first", "both_last", "first_last", "rel_min", "rel_max"]):
        print(f"  {nm} auc={roc_auc_score(y, F[:, j]):.3f}")
