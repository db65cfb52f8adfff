from lib import *
from byline.evaluation.metrics import score
p = pickle.load(open("bench/work/sq/nocap_probs.pkl","rb"))
pred = cluster(p)
pred_nc = cluster(p, evfn=lambda s, x, pr: (evidence_of(x) > 0).astype(np.int8))
for part in ("dev",):
    g = gold_by[part]; amb = ambiguous_blocks(g)
    rows = []
    for s in g:
        if s in amb: continue
        f = score({s: g[s]}, pred); f2 = score({s: g[s]}, pred_nc)
        if f.b3_f1 < 1: rows.append((len(g[s]) * (1 - f.b3_f1), s, len(C["mids"][s]), len(g[s]), f.b3_f1, f2.b3_f1, int((evidence_of(X[s]) < 0).sum())))
    rows.sort(reverse=True)
    tot = sum(len(v) for v in g.values())
    print("n one-person names split", len(rows), "loss all", sum(r[0] for r in rows) / tot)
    for r in rows[:25]: print(f"  {r[1]:22s} n={r[2]:4d} gold={r[3]:3d} F={r[4]:.3f} noconf={r[5]:.3f} conflicts={r[6]}")
