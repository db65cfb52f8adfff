"""The average-linkage threshold by name commonness (issue 11, session 10): names shared by
more people (the name_commonness feature, constant within a block) need a higher mean
P(same) to merge two evidence groups.

    PYTHONPATH=bench/split_quality .venv/bin/python bench/split_quality/cthr.py PROBS.pkl [...]
"""
import sys
from lib import *
nc = FI["name_commonness"]
def by_commonness(probs, cut, t_hi, t=0.35):
    pred = {}
    for s in probs:
        x = X[s]
        common = len(x) and np.nanmax(x[:, nc]) >= cut
        pred.update(cluster({s: probs[s]}, t=t_hi if common else t, slugs=[s]))
    return pred
if __name__ == "__main__":
    allc = np.concatenate([X[s][:1, nc] for s in X if len(X[s])])
    print("name_commonness quantiles 50/75/90/95/99:", np.nanpercentile(allc, [50, 75, 90, 95, 99]).round(2))
    for path in sys.argv[1:]:
        p = pickle.load(open(path, "rb"))
        print(path)
        report(" shipped", cluster(p))
        for q in (75, 90, 95):
            cut = np.nanpercentile(allc, q)
            for t_hi in (0.45, 0.55, 0.7):
                report(f" q{q} t_hi={t_hi}", by_commonness(p, cut, t_hi))
