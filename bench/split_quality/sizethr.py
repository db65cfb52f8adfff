"""The average-linkage threshold by block size (issue 11, session 12): a small block (few
mentions of a name) needs a higher mean P(same) to merge two evidence groups, since the
training pairs of small names are nearly all one person (selection bias of the gold).

    PYTHONPATH=bench/split_quality .venv/bin/python bench/split_quality/sizethr.py PROBS.pkl
"""
import sys
from lib import *

def clustered(probs, small_n=0, t_small=0.3, t=0.3, conflict=0.5):
    pred = {}
    for s in probs:
        n = len(C["mids"][s])
        lab = cluster_block(n, probs[s], t_small if n <= small_n else t, C["cons"][s],
                            link_threshold=0.95, evidence=evidence_of(X[s]),
                            evidence_threshold=0.5, conflict_threshold=conflict)
        pred.update({m: f"{s}/{x}" for m, x in zip(C["mids"][s], lab)})
    return pred

if __name__ == "__main__":
    p = pickle.load(open(sys.argv[1], "rb"))
    report("shipped (0.3, conflicts 0.5)", clustered(p))
    for small_n in (2, 3, 5, 8, 12):
        for t_small in (0.4, 0.5, 0.6, 0.8):
            report(f"n<={small_n} t={t_small}", clustered(p, small_n, t_small))
