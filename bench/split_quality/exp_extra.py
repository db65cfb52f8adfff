"""The shipped training with extra features (cache_extra.py first), out of fold and on dev.

    PYTHONPATH=bench/split_quality .venv/bin/python bench/split_quality/exp_extra.py \
        compfeat|posfeat|cofeat all|0,1,.. [--nocap]

--nocap: every gold pair of the largest names (weighted down to 3,000 rows' worth) instead of
3,000 drawn.
"""
from lib import *
import hashlib, importlib, sys
import byline.training.pairwise as tp
module, cols = sys.argv[1], sys.argv[2]
nocap = "--nocap" in sys.argv
extra = importlib.import_module(module)
E = pickle.load(open(f"bench/work/sq/extra-{module}.pkl", "rb"))
if nocap:
    tp.MAX_PAIRS_PER_BLOCK = 10**9
class B:
    def __init__(s, mid): s.mention_id = mid; s.paper_id = mid.split("#")[0]
use = list(range(len(extra.NAMES))) if cols == "all" else [int(x) for x in cols.split(",")]
PairwiseModel.FEATURES = tuple(list(FEATURES) + [extra.NAMES[i] for i in use])
for s in list(X):
    X[s] = np.hstack([X[s], E["XE"][s][:, use]])
for s in train:
    rng = np.random.default_rng(int(hashlib.sha1(s.encode()).hexdigest(), 16) % 2**32)
    C["gold_rows"][s] = tp.block_training_pairs(X[s], [B(m) for m in C["mids"][s]], blocks["train"][s], gold, rng)
base = list(range(len(FEATURES)))
C["pseudo"] = {k: [(x[:, base + [len(FEATURES) + i for i in use]], y, w) for x, y, w in v] for k, v in E["pseudoE"].items()}
gold_w = (lambda s, x, y, w: w * min(1.0, 3000 / max(len(y), 1))) if nocap else None
p = oof_probs(gold_w=gold_w)
pickle.dump(p, open(f"bench/work/sq/{module}_probs_{cols}.pkl", "wb"))
for t in (0.35, 0.5):
    report(f"{module} {use} t{t}", cluster(p, t=t))
