from lib import *
import lib, hashlib, sys
from cofeat import NAMES
import byline.training.pairwise as tp
tp.MAX_PAIRS_PER_BLOCK = 10**9
block_training_pairs = tp.block_training_pairs
E = pickle.load(open("bench/work/sq/cache4.pkl", "rb"))
class B:
    def __init__(s, mid): s.mention_id = mid; s.paper_id = mid.split("#")[0]
use = [int(x) for x in sys.argv[1].split(",")] if len(sys.argv) > 1 and sys.argv[1] != "all" else list(range(len(NAMES)))
names = list(FEATURES) + [NAMES[i] for i in use]
PairwiseModel.FEATURES = tuple(names)
for s in list(X):
    X[s] = np.hstack([X[s], E["XE"][s][:, use]])
for s in train:
    rng = np.random.default_rng(int(hashlib.sha1(s.encode()).hexdigest(), 16) % 2**32)
    C["gold_rows"][s] = block_training_pairs(X[s], [B(m) for m in C["mids"][s]], blocks["train"][s], gold, rng)
C["pseudo"] = {k: [(x[:, list(range(26)) + [26 + i for i in use]], y, w) for x, y, w in v] for k, v in E["pseudoE"].items()}
p = oof_probs(gold_w=lambda s, x, y, w: w * min(1.0, 3000 / max(len(y), 1)))
pickle.dump(p, open(f"bench/work/sq/co_probs_{sys.argv[1] if len(sys.argv)>1 else 'all'}.pkl", "wb"))
for t in (0.35, 0.5):
    report(f"co {use} t{t}", cluster(p, t=t))
