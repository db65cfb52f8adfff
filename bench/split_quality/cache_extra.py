"""Extra pairwise features (a module of this folder: NAMES, features(mentions, papers, stats,
vectors)) for the cached blocks and the pseudo-ambiguous rows of each fold.

    .venv/bin/python bench/split_quality/cache_extra.py compfeat|posfeat|cofeat
"""
import hashlib, importlib, pickle, sys, time
sys.path.insert(0, "bench/split_quality")
import numpy as np
from byline.engine import Engine
from byline.evaluation.protocol import blocks_in, gold_labels, heldout_corpus, scored_mentions
from byline.store import connect
from byline.store.corpus import load_corpus
from byline.training.pairwise import PartnerNames, pseudo_training_pairs

extra = importlib.import_module(sys.argv[1])
C = pickle.load(open("bench/work/sq/cache.pkl", "rb"))
t0 = time.time()
store = connect("sqlite:///.byline/byline.sqlite")
corpus = load_corpus(store)
gold = gold_labels(corpus)
scored = {s: scored_mentions(corpus, gold, s) for s in ("train", "dev")}
masked = heldout_corpus(corpus, gold, ("train", "dev", "test"))
engine = Engine(masked, None, store)
train_names = blocks_in(masked, "train")
engine.prepare(train_names + sorted(scored["dev"]))
XE = {s: extra.features(masked.blocks[s], masked.papers, engine.stats, engine.vectors) for s in C["X"]}
print("extra features", time.time() - t0, flush=True)
orig = engine.features
def feats(mentions, papers=None):
    papers = masked.papers if papers is None else papers
    base = orig(mentions, papers)
    return np.hstack([base, extra.features(mentions, papers, engine.stats, engine.vectors)])
engine.features = feats
def fold(slug): return int(hashlib.sha1(f"fold:{slug}".encode()).hexdigest(), 16) % 2
train = sorted(C["blocks"]["train"])
pseudo = {}
for k in (0, 1, "all"):
    slugs = train if k == "all" else [s for s in train if fold(s) != k]
    pool = train_names if k == "all" else [s for s in train_names if fold(s) != k]
    pseudo[k] = pseudo_training_pairs(engine, slugs, PartnerNames(masked, pool), np.random.default_rng(13))
print("pseudo", time.time() - t0, flush=True)
pickle.dump(dict(XE=XE, pseudoE=pseudo), open(f"bench/work/sq/extra-{sys.argv[1]}.pkl", "wb"), protocol=5)
