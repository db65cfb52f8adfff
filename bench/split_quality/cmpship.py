"""Probabilities of the harness (.pkl files in bench/work/sq) clustered as shipped: merge
0.3, link 0.95, evidence 0.5, affiliation conflicts crossed from a mean P(same) of 0.5.

    PYTHONPATH=bench/split_quality .venv/bin/python bench/split_quality/cmpship.py A.pkl B.pkl ...
"""
import sys
names = sys.argv[1:]
sys.argv = [sys.argv[0]]
from sizethr import *
for name in names:
    p = pickle.load(open(f"bench/work/sq/{name}", "rb"))
    report(name, clustered(p))
