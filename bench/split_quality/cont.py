from lib import *
import sys
from collections import Counter
p = pickle.load(open("bench/work/sq/base_probs.pkl","rb"))
sh = PairwiseModel.load()
which = sys.argv[1]
for s in sys.argv[2:]:
    probs = {s: (sh.predict_proba(X[s]) if which == "shipped" else p[s])}
    pred = cluster(probs)
    g = gold_by["dev"].get(s) or gold_by["train"].get(s)
    tab = Counter((g[m], pred[m]) for m in g)
    print(s, "clusters:", len(set(pred.values())), "gold persons", len(set(g.values())))
    for (gp, pc), c in sorted(tab.items()): print("   ", gp, pc, c, "cluster size", sum(1 for v in pred.values() if v == pc))
