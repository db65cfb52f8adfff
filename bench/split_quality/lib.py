import pickle, time
import numpy as np
from byline.cluster import cluster_block
from byline.evaluation.metrics import ambiguous_blocks, compare_blocks, score
from byline.features.pairwise import evidence_of, FEATURES
from byline.model import PairwiseModel

C = pickle.load(open("bench/work/sq/cache.pkl", "rb"))
X, blocks, gold = C["X"], C["blocks"], C["gold"]
train = sorted(blocks["train"]); dev = sorted(blocks["dev"])
folds = C["folds"]
gold_by = {p: {b: {m: gold[m] for m in ms} for b, ms in blocks[p].items()} for p in blocks}
FI = {f: i for i, f in enumerate(FEATURES)}

def fit(slugs, k, gold_w=None, pseudo_w=None, extra=None, params=None, feats=None):
    """gold_w(slug, X, y, w)->w ; pseudo_w(X, y, w)->w"""
    Xs, ys, ws = [], [], []
    for s in slugs:
        x, y, w = C["gold_rows"][s]
        if gold_w: w = gold_w(s, x, y, w)
        Xs.append(x); ys.append(y); ws.append(w)
    for x, y, w in C["pseudo"][k]:
        if pseudo_w: w = pseudo_w(x, y, w)
        Xs.append(x); ys.append(y); ws.append(w)
    Xa = np.concatenate(Xs); ya = np.concatenate(ys); wa = np.concatenate(ws)
    if extra is not None:
        Xa, ya, wa = extra(Xa, ya, wa)
    m = PairwiseModel(seed=13)
    if params: m.params = {**m.params, **params} if hasattr(m, "params") else params
    if feats is not None:
        Xa = Xa.copy(); Xa[:, feats] = np.nan
    return m.fit(Xa, ya, wa)

def oof_probs(**kw):
    p = {}
    feats = kw.get("feats")
    def pred(m, s):
        x = X[s]
        if feats is not None:
            x = x.copy(); x[:, feats] = np.nan
        return m.predict_proba(x)
    for k in (0, 1):
        m = fit([s for s in train if folds[s] != k], k, **kw)
        p.update({s: pred(m, s) for s in train if folds[s] == k})
    m = fit(train, "all", **kw)
    p.update({s: pred(m, s) for s in dev})
    return p

def cluster(probs, t=0.35, link=0.95, ev_t=0.5, evfn=None, slugs=None):
    pred = {}
    for s in (slugs or list(probs)):
        ev = evidence_of(X[s]) if evfn is None else evfn(s, X[s], probs[s])
        lab = cluster_block(len(C["mids"][s]), probs[s], t, C["cons"][s], link_threshold=link,
                            evidence=ev, evidence_threshold=ev_t)
        pred.update({m: f"{s}/{x}" for m, x in zip(C["mids"][s], lab)})
    return pred

def view(pred, part):
    g = gold_by[part]
    amb = ambiguous_blocks(g)
    a, al = score(amb, pred), score(g, pred)
    vs = compare_blocks(amb, pred, C["rule"])
    return dict(amb=round(a.b3_f1, 4), all=round(al.b3_f1, 4), macro=round(a.block_macro_b3_f1, 4),
                moves=a.paper_moves, P=round(a.b3_precision, 3), R=round(a.b3_recall, 3),
                allP=round(al.b3_precision, 4), allR=round(al.b3_recall, 4),
                wl=(len(vs["wins"]), len(vs["losses"])))

def report(name, pred):
    t, d = view(pred, "train"), view(pred, "dev")
    print(f"{name:40s} OOF {t['amb']:.3f}/{t['all']:.3f} m{t['macro']:.3f} mv{t['moves']} {t['wl']} | "
          f"DEV {d['amb']:.3f}/{d['all']:.3f} m{d['macro']:.3f} mv{d['moves']} {d['wl']} P{d['P']} R{d['R']} aP{d['allP']} aR{d['allR']}", flush=True)
    return t, d
