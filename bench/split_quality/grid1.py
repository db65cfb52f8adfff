from lib import *
import itertools, sys
amb_train = set(ambiguous_blocks(gold_by["train"]))
orig_total = sum(float(C["gold_rows"][s][2].sum()) for s in train)
def make_gold_w(alpha, A):
    raw = {}
    for s in train:
        r = len(C["gold_rows"][s][1])
        if r == 0: continue
        g = len(blocks["train"][s])
        raw[s] = (A if s in amb_train else 1.0) * g ** alpha
    # normalise over all train to orig_total (approximately; folds use same constants)
    K = orig_total / sum(raw.values())
    def f(s, x, y, w):
        r = len(y)
        return np.full(r, K * raw[s] / max(r, 1), dtype=np.float32) if r else w
    return f
for alpha, A, pm in itertools.product([1.0, 1.5], [5.0, 20.0], [1.0, 4.0]):
    p = oof_probs(gold_w=make_gold_w(alpha, A), pseudo_w=lambda x, y, w: w * pm)
    for t in (0.35, 0.5):
        report(f"a{alpha} A{A} pm{pm} t{t}", cluster(p, t=t))
