"""Probabilities of the harness (.pkl files in bench/work/sq) clustered as shipped: merge
0.3 (or each of --thresholds), link 0.95, evidence 0.5, affiliation conflicts crossed from a
mean P(same) of 0.5.

    PYTHONPATH=bench/split_quality .venv/bin/python bench/split_quality/cmpship.py A.pkl B.pkl \
        [--thresholds 0.15,0.2,0.25,0.3,0.4]
"""
import sys
args = sys.argv[1:]
thresholds = [0.3]
if "--thresholds" in args:
    i = args.index("--thresholds")
    thresholds = [float(x) for x in args[i + 1].split(",")]
    args = args[:i] + args[i + 2:]
sys.argv = [sys.argv[0]]
from sizethr import *
for name in args:
    p = pickle.load(open(f"bench/work/sq/{name}", "rb"))
    for t in thresholds:
        report(name if thresholds == [0.3] else f"{name} t{t}", clustered(p, t=t))
