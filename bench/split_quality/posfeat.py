import numpy as np
NAMES = ["position_gap", "position_min", "position_max", "both_last"]
def pos_features(mentions, papers, stats=None, vectors=None):
    n = len(mentions); iu = np.triu_indices(n, 1)
    pos = np.array([m.position for m in mentions], dtype=np.float32)
    na = np.array([len(papers[m.paper_id].authors) for m in mentions], dtype=np.float32)
    rel = np.where(na > 1, pos / np.maximum(na - 1, 1), np.nan).astype(np.float32)
    last = ((pos == na - 1) & (na > 1)).astype(np.float32)
    a, b = iu
    return np.c_[np.abs(rel[a] - rel[b]), np.fmin(rel[a], rel[b]), np.fmax(rel[a], rel[b]), last[a] * last[b]].astype(np.float32)
features = pos_features
