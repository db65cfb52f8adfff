"""Cache features, training parts and constraints for split-quality experiments."""
import hashlib, pickle, time
import numpy as np
from byline.engine import Engine, evidence_constraints
from byline.evaluation import peers
from byline.evaluation.protocol import blocks_in, gold_labels, heldout_corpus, scored_mentions
from byline.store import connect
from byline.store.corpus import load_corpus
from byline.training.pairwise import PartnerNames, block_training_pairs, pseudo_training_pairs

def fold(slug):
    return int(hashlib.sha1(f"fold:{slug}".encode()).hexdigest(), 16) % 2

t0 = time.time()
store = connect("sqlite:///.byline/byline.sqlite")
corpus = load_corpus(store)
gold = gold_labels(corpus)
scored = {s: scored_mentions(corpus, gold, s) for s in ("train", "dev")}
masked = heldout_corpus(corpus, gold, ("train", "dev", "test"))
del corpus
engine = Engine(masked, None, store)
train_names = blocks_in(masked, "train")
engine.prepare(train_names + sorted(scored["dev"]))
blocks = {s: {b: ms for b, ms in scored[s].items() if len(ms) >= 2} for s in ("train", "dev")}
X = {slug: engine.features(masked.blocks[slug]) for p in blocks.values() for slug in p}
print("features", time.time() - t0, flush=True)
train = sorted(blocks["train"])
# gold rows per train slug (rng per slug from its own seed so reweighting is easy)
gold_rows = {}
for s in train:
    rng = np.random.default_rng(int(hashlib.sha1(s.encode()).hexdigest(), 16) % 2**32)
    gold_rows[s] = block_training_pairs(X[s], masked.blocks[s], blocks["train"][s], gold, rng)
pseudo = {}
for k in (0, 1, "all"):
    slugs = train if k == "all" else [s for s in train if fold(s) != k]
    pool = train_names if k == "all" else [s for s in train_names if fold(s) != k]
    rng = np.random.default_rng(13)
    pseudo[k] = pseudo_training_pairs(engine, slugs, PartnerNames(masked, pool), rng)
print("pseudo", time.time() - t0, flush=True)
every = {s: [] for part in blocks.values() for s in part}
rule = peers.shared_coauthor_or_affiliation(masked, every)
cons = {s: evidence_constraints(masked.blocks[s], masked) for s in every}
mids = {s: [m.mention_id for m in masked.blocks[s]] for s in every}
with open("bench/work/sq/cache.pkl", "wb") as f:
    pickle.dump(dict(X=X, blocks=blocks, gold=gold, gold_rows=gold_rows, pseudo=pseudo,
                     rule=rule, cons=cons, mids=mids,
                     folds={s: fold(s) for s in train}), f, protocol=5)
print("done", time.time() - t0)
