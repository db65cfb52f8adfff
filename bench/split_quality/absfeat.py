"""Topic from the abstract (issue 11): cosine of the static embedder's vectors of title +
abstract, NaN where either paper has no abstract; and whether both have one.

Vectors of every paper with an abstract are computed once (static embedder, not written to
the store) and kept in bench/work/sq/absvec.pkl."""
import numpy as np
from pickled import pickled
NAMES = ["abstract_embedding_cosine", "abstracts_both"]
_V = None
def _vectors(papers):
    global _V
    if _V is None:
        _V = pickled("bench/work/sq/absvec.pkl", lambda: _embed_abstracts(papers))
    return _V
def _embed_abstracts(papers):
    from byline.features.embeddings import _static, _unit
    ids = sorted(p for p, x in papers.items() if x.abstract)
    vecs = _unit(_static().encode([f"{papers[p].title}. {papers[p].abstract}" for p in ids], max_length=256, batch_size=1024, use_multiprocessing=False))
    return {p: np.asarray(v, dtype=np.float32) for p, v in zip(ids, vecs)}
def features(mentions, papers, stats=None, vectors=None):
    V = _vectors(papers)
    n = len(mentions); a, b = np.triu_indices(n, 1)
    have = np.array([m.paper_id in V for m in mentions])
    dim = next(iter(V.values())).shape[0]
    M = np.stack([V[m.paper_id] if h else np.zeros(dim, np.float32) for m, h in zip(mentions, have)]) if n else np.zeros((0, dim), np.float32)
    cos = np.einsum("ij,ij->i", M[a], M[b]) if n > 1 else np.zeros(0, np.float32)
    both = have[a] & have[b]
    return np.c_[np.where(both, cos, np.nan), both.astype(np.float32)].astype(np.float32)
