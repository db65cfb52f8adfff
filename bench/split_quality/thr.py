from lib import *
sh = PairwiseModel.load()
ps = {s: sh.predict_proba(X[s]) for s in dev}
po = pickle.load(open("bench/work/sq/base_probs.pkl","rb"))
po = {s: po[s] for s in train}
for link in (0.9, 0.95, 0.98):
    for t in (0.25, 0.35, 0.45, 0.55):
        pr = cluster(ps, t=t, link=link); pr.update(cluster(po, t=t, link=link))
        report(f"link{link} t{t}", pr)
