"""Where `split --changed` spends its load phase (issue 13): each step of loading the engine,
timed in one process on the ingested store, and the title+abstract TF-IDF fit inside the
library statistics against transforming 1,000 papers with the fitted vectorizer.

    .venv/bin/python bench/load_phases.py [--db URL] [--out bench/results/load-phases.json]
"""

from __future__ import annotations

import argparse
import time

t_start = time.perf_counter()

import numpy as np  # noqa: E402
from results_io import write_result  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from byline.features.stats import compute_stats, paper_text  # noqa: E402
from byline.model import PairwiseModel  # noqa: E402
from byline.store import connect  # noqa: E402
from byline.store.corpus import load_corpus  # noqa: E402
from byline.store.decisions import decided_state  # noqa: E402
from byline.store.predictions import load_predictions  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite:///.byline/byline.sqlite")
    ap.add_argument("--out", default="bench/results/load-phases.json")
    a = ap.parse_args()
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    seconds["imports"] = t - t_start
    store = connect(a.db, create=False)
    steps = {
        "load_corpus": lambda: load_corpus(store),
        "decided_state": lambda: decided_state(store),
        "load_predictions": lambda: load_predictions(store),
        "model": PairwiseModel.load,
    }
    done = {}
    for name, step in steps.items():
        t = time.perf_counter()
        done[name] = step()
        seconds[name] = time.perf_counter() - t
    corpus = done["load_corpus"]
    t = time.perf_counter()
    compute_stats(corpus)
    seconds["compute_stats"] = time.perf_counter() - t
    # the text TF-IDF as compute_stats builds it: fit on every paper, then transform only
    ids = list(corpus.papers)
    texts = [paper_text(corpus.papers[p].title, corpus.papers[p].abstract) for p in ids]
    vec = TfidfVectorizer(
        min_df=2, max_df=0.2, sublinear_tf=True, dtype=np.float32, stop_words="english"
    )
    t = time.perf_counter()
    vec.fit_transform(texts)
    seconds["text_tfidf_fit"] = time.perf_counter() - t
    t = time.perf_counter()
    vec.transform(texts[:1000])
    seconds["text_tfidf_transform_1000"] = time.perf_counter() - t
    result = {
        "papers": len(corpus.papers),
        "predictions": len(done["load_predictions"]),
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }
    write_result(a.out, result)


if __name__ == "__main__":
    main()
