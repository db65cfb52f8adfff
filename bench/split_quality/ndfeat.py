"""Population-level name commonness (issue 11) from the names-dataset package (3.3.1, its
wheel unpacked at $ND, default /tmp/ndtest): per block, the best (lowest) rank of the last
and the first name over all countries, and the first name's rank in the country where the
last name is most frequent; log-scaled, NaN when unknown. Constant within a block."""
import gzip, math, os, pickle
from functools import cache
import numpy as np
from text_unidecode import unidecode
from pickled import pickled
NAMES = ["last_pop_rank_log", "first_pop_rank_log", "first_rank_in_last_country_log"]
@cache
def _data():
    return pickled("bench/work/sq/nd-compact.pkl", _compact)
def _compact():
    root = os.environ.get("ND", "/tmp/ndtest") + "/names_dataset/v3/"
    out = {}
    for kind in ("first", "last"):
        d = pickle.load(gzip.open(root + f"{kind}_names.pkl.gz"))
        out[kind] = {k.lower(): (min(v["rank"].values()) if v["rank"] else None, dict(v["rank"]),
                                 max(v["country"], key=v["country"].get) if v["country"] else None)
                     for k, v in d.items()}
        del d
    return out
def _log(r):
    return math.log1p(r) if r is not None else np.nan
def block_values(first, last):
    D = _data()
    lt = unidecode(last).lower().split()
    ft = unidecode(first).lower().replace("-", " ").replace(".", " ").split()
    lv = D["last"].get(lt[-1]) if lt else None
    fv = D["first"].get(ft[0]) if ft and len(ft[0]) > 1 else None
    lr = lv[0] if lv else None
    fr = fv[0] if fv else None
    fc = None
    if lv and fv and lv[2]:
        fc = fv[1].get(lv[2])
        if fc is None:
            fc = 100000
    return [_log(lr), _log(fr), _log(fc)]
_cache = {}
def features(mentions, papers, stats=None, vectors=None):
    n = len(mentions); a, b = np.triu_indices(n, 1)
    if len(a) == 0:
        return np.zeros((0, len(NAMES)), np.float32)
    vals = []
    for m in mentions:
        key = (m.first, m.last)
        if key not in _cache:
            _cache[key] = block_values(m.first, m.last)
        vals.append(_cache[key])
    V = np.array(vals, np.float32)
    return np.fmax(V[a], V[b]).astype(np.float32)
