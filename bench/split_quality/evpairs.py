from lib import *
import sys
from byline.store import connect
from byline.store.corpus import load_corpus
corpus = load_corpus(connect("sqlite:///.byline/byline.sqlite"))
sh = PairwiseModel.load()
for s in sys.argv[1:]:
    block = corpus.blocks[s]
    g = gold_by["dev"].get(s) or gold_by["train"].get(s)
    n = len(block); iu = np.triu_indices(n, 1)
    x = X[s]; pr = sh.predict_proba(x); ev = evidence_of(x)
    idx = {m.mention_id: i for i, m in enumerate(block)}
    for k in np.flatnonzero(ev > 0):
        a, b = block[iu[0][k]], block[iu[1][k]]
        if a.mention_id in g and b.mention_id in g and g[a.mention_id] != g[b.mention_id]:
            pa, pb = corpus.papers[a.paper_id], corpus.papers[b.paper_id]
            sh_co = pa.coauthor_slugs(s) & pb.coauthor_slugs(s)
            print(s, a.mention_id, b.mention_id, f"P={pr[k]:.3f}", "co:", sorted(sh_co), "aff:", a.affiliation if a.affiliation == b.affiliation else "", pa.year, pb.year)
            print("     ", pa.title[:70], "|", pb.title[:70])
