from lib import *
from byline.evaluation.metrics import score
p = pickle.load(open("bench/work/sq/base_probs.pkl","rb"))
a = cluster(p)
for part in ("train", "dev"):
    amb = ambiguous_blocks(gold_by[part])
    rows = []
    for s in amb:
        fa = score({s: amb[s]}, a); fr = score({s: amb[s]}, C["rule"])
        rows.append((len(amb[s]) * (1 - fa.b3_f1), s, len(C["mids"][s]), len(amb[s]), len(set(amb[s].values())), fa.b3_f1, fa.b3_precision, fa.b3_recall, fr.b3_f1))
    rows.sort(reverse=True)
    tot = sum(len(v) for v in amb.values())
    print(part, "total gold amb mentions", tot)
    for r in rows[:15]:
        print(f"  loss={r[0]/tot:.4f} {r[1]:18s} n={r[2]:4d} gold={r[3]:3d} persons={r[4]:2d} F={r[5]:.3f} P={r[6]:.3f} R={r[7]:.3f} rule={r[8]:.3f}")
