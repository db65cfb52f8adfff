from lib import *
import sys
p = pickle.load(open("bench/work/sq/base_probs.pkl","rb"))
pred = cluster(p)
cols = ["coauthors_2hop_norm","aff_cosine","year_gap","venue_shared","text_cosine","embedding_cosine","name_commonness","chain_hops"]
allrows = []
for part in ("train","dev"):
  for s, g in gold_by[part].items():
    n = len(C["mids"][s]); iu = np.triu_indices(n, 1)
    mids = C["mids"][s]
    gi = np.array([g.get(m) for m in mids], dtype=object)
    pi = np.array([pred[m] for m in mids], dtype=object)
    ok = (gi[iu[0]] != None) & (gi[iu[1]] != None)
    same = ok & (gi[iu[0]] == gi[iu[1]])
    diffc = pi[iu[0]] != pi[iu[1]]
    amb = len(set(x for x in gi if x)) > 1
    for k in np.flatnonzero(ok):
        allrows.append((part, amb, bool(same[k]), bool(diffc[k]), float(p[s][k]), *X[s][k, [FI[c] for c in cols]]))

A = np.array([r[1:] for r in allrows], dtype=float); part = np.array([r[0] for r in allrows])
names = ["amb","same","split","P"]+cols
for pt in ("train","dev"):
  for amb in (1,0):
    for same in (1,0):
      for split in (1,0):
        sel = (part==pt)&(A[:,0]==amb)&(A[:,1]==same)&(A[:,2]==split)
        if sel.sum()==0: continue
        med = np.nanmedian(A[sel,3:],0)
        print(pt, "amb" if amb else "one", "same" if same else "diff", "split" if split else "joined", sel.sum(), " ".join(f"{n}={v:.2f}" for n,v in zip(names[3:], med)))
m = (A[:,1]==1)&(A[:,2]==1)
print("missed same P hist", np.histogram(A[m,3], bins=[0,0.01,0.05,0.1,0.2,0.35,0.5,1])[0])
m = (A[:,1]==0)&(A[:,2]==0)
print("merged diff P hist", np.histogram(A[m,3], bins=[0,0.01,0.05,0.1,0.2,0.35,0.5,0.9,1])[0])
