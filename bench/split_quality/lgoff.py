"""A prior correction by name commonness (issue 11, session 13): P(same) of the pairs
without direct evidence is shifted down on the logit scale by lam * f(name_commonness)
before clustering (chaining and average linkage both see it), so a common name needs more
to link two mentions that share nothing.

    PYTHONPATH=bench/split_quality .venv/bin/python bench/split_quality/lgoff.py PROBS.pkl
"""
import sys
from lib import *
from sizethr import clustered

nc = FI["name_commonness"]

def shifted(probs, lam, form="lin", evidence_too=False):
    out = {}
    for s, p in probs.items():
        x = X[s]
        if not len(x):
            out[s] = p
            continue
        sh = np.maximum(np.exp(np.nan_to_num(x[:, nc], nan=-6.9)) - 0.001, 0)  # sharing
        f = {"lin": sh, "sat": sh / (sh + 0.1), "sqrt": np.sqrt(sh)}[form]
        ev = evidence_of(x)
        mask = np.ones(len(p), bool) if evidence_too else ~(np.asarray(ev) > 0)
        q = np.clip(p, 1e-6, 1 - 1e-6)
        lg = np.log(q / (1 - q))
        lg = np.where(mask, lg - lam * f, lg)
        out[s] = 1 / (1 + np.exp(-lg))
    return out

if __name__ == "__main__":
    p = pickle.load(open(sys.argv[1], "rb"))
    allc = np.concatenate([X[s][:1, nc] for s in X if len(X[s])])
    print("name_commonness (log(sharing + 0.001)) quantiles 50/75/90/95/99:", np.nanpercentile(allc, [50, 75, 90, 95, 99]).round(3))
    report("shipped", clustered(p))
    for form in ("lin", "sat", "sqrt"):
        for lam in (0.5, 1, 2, 4, 8):
            report(f"{form} lam={lam}", clustered(shifted(p, lam, form)))
