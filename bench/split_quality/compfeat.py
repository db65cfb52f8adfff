"""Prototype: features of the two evidence components of a pair (group-level)."""
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from byline.features.pairwise import _coauthor_sets, _incidence, _same_affiliation, _evidence_adjacency

NAMES = ["comp_coauthor_2hop", "comp_aff_cosine", "comp_text_cosine", "comp_embedding_cosine",
         "comp_size_min", "comp_size_max", "comp_year_gap", "comp_venue_cosine"]

def _norm_rows(M):
    M = sparse.csr_matrix(M, dtype=np.float64)
    n = np.sqrt(np.asarray(M.multiply(M).sum(1)).ravel())
    n[n == 0] = 1
    return sparse.diags(1 / n) @ M

def comp_features(mentions, papers, stats, vectors):
    n = len(mentions)
    iu = np.triu_indices(n, 1)
    out = np.full((len(iu[0]), len(NAMES)), np.nan, dtype=np.float32)
    if n < 2: return out
    slug = mentions[0].slug
    co = _coauthor_sets(mentions, papers)
    c_bin = _incidence(co)
    shared = (c_bin @ c_bin.T).toarray()
    has, same_aff = _same_affiliation(mentions)
    adj = _evidence_adjacency(mentions, shared, same_aff)
    k, comp = connected_components(sparse.csr_matrix(adj), directed=False)
    O = sparse.csr_matrix((np.ones(n), (comp, np.arange(n))), shape=(k, n))  # comp x mention
    sizes = np.asarray(O.sum(1)).ravel()
    # 2-hop union per component
    hop = []
    for c in co:
        h = set(c)
        for s in c:
            nb = stats.coauthor_graph.get(s)
            if nb and len(nb) < 400: h |= nb
        h.discard(slug); hop.append(h)
    H = _incidence(hop)
    CH = (O @ H); CH.data[:] = 1.0
    inter = (CH @ CH.T).toarray()
    hs = np.asarray(CH.sum(1)).ravel()
    cc2 = inter / np.sqrt(np.maximum(np.outer(hs, hs), 1))
    # affiliations
    aff = np.full((k, k), np.nan)
    if has.any():
        av = stats.aff_vectorizer.transform([m.affiliation or "" for m in mentions])
        CA = _norm_rows(O @ av)
        ca = (CA @ CA.T).toarray()
        hasc = np.asarray(O @ has.astype(float)).ravel() > 0
        aff = np.where(np.outer(hasc, hasc), ca, np.nan)
    rows = [stats.paper_row.get(m.paper_id, -1) for m in mentions]
    txt = np.full((k, k), np.nan)
    if all(r >= 0 for r in rows):
        CT = _norm_rows(O @ stats.text_matrix[rows])
        txt = (CT @ CT.T).toarray()
    emb = np.full((k, k), np.nan)
    if vectors is not None:
        e = np.stack([vectors[m.paper_id] for m in mentions]).astype(np.float64)
        ce = O @ e
        ce /= np.maximum(np.linalg.norm(ce, axis=1, keepdims=True), 1e-9)
        emb = ce @ ce.T
    years = np.array([papers[m.paper_id].year or np.nan for m in mentions], dtype=float)
    ymin = np.array([np.nanmin(years[comp == c]) if np.isfinite(years[comp == c]).any() else np.nan for c in range(k)])
    ymax = np.array([np.nanmax(years[comp == c]) if np.isfinite(years[comp == c]).any() else np.nan for c in range(k)])
    ygap = np.maximum(ymin[:, None], ymin[None, :]) - np.minimum(ymax[:, None], ymax[None, :])
    V = _incidence([set(papers[m.paper_id].venues) for m in mentions])
    CV = _norm_rows(O @ V)
    ven = (CV @ CV.T).toarray()
    a, b = comp[iu[0]], comp[iu[1]]
    diff = a != b
    for j, M in enumerate([cc2, aff, txt, emb]):
        out[:, j] = np.where(diff, M[a, b], np.nan)
    out[:, 4] = np.where(diff, np.minimum(sizes[a], sizes[b]), np.nan)
    out[:, 5] = np.where(diff, np.maximum(sizes[a], sizes[b]), np.nan)
    out[:, 6] = np.where(diff, ygap[a, b], np.nan)
    out[:, 7] = np.where(diff, ven[a, b], np.nan)
    return out
features = comp_features
