import numpy as np
NAMES = ["shared_coauthor_commonness_min", "shared_coauthor_commonness_max"]
def co_features(mentions, papers, stats, vectors=None):
    n = len(mentions); iu = np.triu_indices(n, 1)
    slug = mentions[0].slug
    cos = []
    for m in mentions:
        d = {}
        for a in papers[m.paper_id].authors:
            if a.slug != slug:
                d[a.slug] = stats.name_commonness(a.first, a.last)
        cos.append(d)
    out = np.full((len(iu[0]), 2), np.nan, dtype=np.float32)
    for k, (i, j) in enumerate(zip(*iu)):
        sh = cos[i].keys() & cos[j].keys()
        if sh and mentions[i].paper_id != mentions[j].paper_id:
            v = [cos[i][s] for s in sh]
            out[k, 0] = min(v); out[k, 1] = max(v)
    return out
features = co_features
