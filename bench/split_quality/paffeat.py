"""Paper-level affiliations (issue 11, session 12): the affiliations of every author of the
two papers, not only the mention's own. Two papers of one person often share co-authors'
institutions even where the person's own affiliation is missing or moved.

NAMES: cosine of the two papers' affiliation sets (TF-IDF of the library's affiliation
vectorizer over the joined, de-duplicated strings; NaN where a paper has none), and whether
they share one affiliation string exactly (normalised).
"""
import numpy as np
from byline.features.pairwise import _aff_key

NAMES = ["paper_aff_cosine", "paper_aff_shared"]


def features(mentions, papers, stats, vectors=None):
    n = len(mentions)
    iu = np.triu_indices(n, 1)
    keys, texts = [], []
    for m in mentions:
        affs = sorted({a.affiliation for a in papers[m.paper_id].authors if a.affiliation})
        keys.append({_aff_key(a) for a in affs} - {""})
        texts.append(" ; ".join(affs))
    out = np.full((len(iu[0]), 2), np.nan, dtype=np.float32)
    has = np.array([bool(t) for t in texts])
    if has.sum() >= 2:
        A = stats.aff_vectorizer.transform(texts)
        norms = np.sqrt(np.asarray(A.multiply(A).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        cos = (A @ A.T).toarray() / np.outer(norms, norms)
        both = has[iu[0]] & has[iu[1]]
        out[both, 0] = cos[iu][both]
        shared = np.array([bool(keys[i] & keys[j]) for i, j in zip(*iu)], dtype=np.float32)
        out[both, 1] = shared[both]
    return out
