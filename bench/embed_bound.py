"""Is a cold `split --all` under 4 minutes possible with the shipped title embedder here?

A cold run embeds every distinct title of the papers a name with 2+ mentions touches, with
the packaged MiniLM (``features.embeddings``: 32 tokens at most, batches of 64 sorted by
length as sentence-transformers does). This bench counts the arithmetic that takes and
sets it against what this machine's cores can do:

* tokens: every such title tokenised by the model's own tokenizer, padded to its batch's
  longest as the encoder pads it, so the count is the tokens the encoder really runs, for
  batches ordered by characters (sentence-transformers' own order) and by tokens (byline's
  since session 14, ``features.embeddings.token_length_batches``);
* FLOPs per token from the model's configuration (the four attention projections and the
  two feed-forward layers of each layer, 2 FLOPs per multiply-add; attention scores and
  the rest are left out, so the figure is a lower bound);
* the machine's float32 matrix-multiply rate with a thread per core, measured by NumPy's
  BLAS on the encoder's own shapes (a batch's tokens times 384 by 1536) and on a large
  square product (about the cores' peak);
* the encoder's rate on ``-n`` titles (torch, a thread per core, after a warm-up), batched
  both ways, and how far the two ways' vectors differ.

* whether int8 could close the gap: torch's dynamic int8 quantisation of the linear layers
  (what ONNX Runtime's dynamic quantisation does too) takes each activation's scale from
  the whole batch, so a title's vector depends on the titles it is batched with. 640
  titles are embedded in batches of one token length and each alone, and compared.

From these: the seconds the embedding needs at the encoder's measured rate and at the
matrix-multiply peak, and the rate a cold run within 4 minutes would need, given the
load and clustering seconds of the last `bench/speed.py` run
(``bench/results/speed.json``).

    .venv/bin/python bench/embed_bound.py [-n 2000] [--out bench/results/embed-bound.json]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sqlite3
import time
from pathlib import Path

import numpy as np
from results_io import write_result

BATCH = 64
TARGET_SECONDS = 240.0


def _titles(db: Path) -> list[str]:
    """The distinct titles a cold split embeds: papers with a mention of a 2+ mention name."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "WITH big AS (SELECT slug FROM mentions GROUP BY slug HAVING count(*) >= 2) "
            "SELECT DISTINCT p.title FROM papers p JOIN mentions m ON m.paper_id = p.paper_id "
            "WHERE m.slug IN (SELECT slug FROM big) ORDER BY p.title"
        ).fetchall()
    return [r[0] for r in rows]


def _padded_tokens(model, titles: list[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Tokens the encoder runs over ``titles``: batched by characters, by tokens, unpadded."""
    from byline.features.embeddings import token_length_batches, token_lengths

    lengths = np.array(token_lengths(model, titles))
    by_chars = np.argsort([-len(t) for t in titles], kind="stable")
    char_batches = [by_chars[i : i + BATCH] for i in range(0, len(titles), BATCH)]
    token_batches = token_length_batches(lengths.tolist(), BATCH)

    def run(batches: list[np.ndarray]) -> int:
        return int(sum(int(lengths[b].max()) * len(b) for b in batches))

    return {
        "char_batches": run(char_batches),
        "token_batches": run(token_batches),
        "unpadded": int(lengths.sum()),
    }


def _gemm_gflops(m: int, k: int, n: int, seconds: float = 3.0) -> float:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    a @ b
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        done += 1
    return 2.0 * m * k * n * done / (time.perf_counter() - start) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, default=Path(".byline/byline.sqlite"))
    ap.add_argument("-n", type=int, default=2000, help="titles timed through the encoder")
    ap.add_argument("--out", type=Path, default=Path("bench/results/embed-bound.json"))
    args = ap.parse_args()

    import torch

    from byline.features.embeddings import _transformer, encode_by_token_length

    model = _transformer()
    cfg = model[0].auto_model.config
    h, ffn, layers = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    flops_per_token = 2.0 * layers * (4 * h * h + 2 * h * ffn)

    titles = _titles(args.db)
    tokens = _padded_tokens(model, titles)
    gflop = {k: v * flops_per_token / 1e9 for k, v in tokens.items()}

    cores = os.cpu_count() or 1
    gemm_encoder = _gemm_gflops(BATCH * max(1, tokens["token_batches"] // len(titles)), h, ffn)
    gemm_peak = _gemm_gflops(2048, 2048, 2048)

    rng = np.random.default_rng(13)
    pick = rng.choice(len(titles), size=min(args.n, len(titles)), replace=False)
    sample = [titles[i] for i in pick]
    sample_tokens = _padded_tokens(model, sample)
    model.encode(sample[:BATCH], batch_size=BATCH)  # warm-up
    encoder = {}
    vectors: dict[str, np.ndarray] = {}
    for label, encode, key in (
        (
            "char_batches",
            lambda x: model.encode(x, batch_size=BATCH, normalize_embeddings=True),
            "char_batches",
        ),
        ("token_batches", lambda x: encode_by_token_length(model, x), "token_batches"),
    ):
        start = time.perf_counter()
        vectors[label] = np.asarray(encode(sample), dtype=np.float32)
        sec = time.perf_counter() - start
        encoder[label] = {
            "seconds": round(sec, 2),
            "titles_per_second": round(len(sample) / sec, 1),
            "gflops_achieved": round(sample_tokens[key] * flops_per_token / sec / 1e9, 1),
            "embed_seconds_projected": round(len(titles) * sec / len(sample), 1),
        }

    q8 = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8
    )
    few = sample[:640]
    batched = encode_by_token_length(q8, few)
    alone = np.vstack([q8.encode([x], normalize_embeddings=True) for x in few])
    fp32 = np.vstack([model.encode([x], normalize_embeddings=True) for x in few])
    int8_batch_vs_alone = (batched * alone).sum(1)
    int8_vs_fp32 = (batched * fp32).sum(1)

    speed = json.loads(Path("bench/results/speed.json").read_text())
    cold = next(s for s in speed["stages"] if s["stage"] == "split_all_cold")
    rest = cold["wall_seconds"] - cold["report"]["embed_seconds"]
    budget = TARGET_SECONDS - rest
    out = {
        "machine": {"cpus": cores, "torch_threads": torch.get_num_threads()},
        "model": {
            "hidden": h,
            "ffn": ffn,
            "layers": layers,
            "max_tokens": model.max_seq_length,
            "gflop_per_token_lower_bound": round(flops_per_token / 1e9, 5),
        },
        "titles": len(titles),
        "tokens_run": tokens,
        "total_tflop_lower_bound": {k: round(v / 1000, 2) for k, v in gflop.items()},
        "gemm_gflops_encoder_shape": round(gemm_encoder, 1),
        "gemm_gflops_2048_square": round(gemm_peak, 1),
        "encoder_sample_titles": len(sample),
        "encoder": encoder,
        "embed_seconds_at_gemm_peak": {k: round(v / gemm_peak, 1) for k, v in gflop.items()},
        "token_vs_char_batches_max_abs_diff": float(
            np.abs(vectors["token_batches"] - vectors["char_batches"]).max()
        ),
        "token_vs_char_batches_min_cosine": round(
            float((vectors["token_batches"] * vectors["char_batches"]).sum(1).min()), 7
        ),
        "torch_dynamic_int8": {
            "titles": len(few),
            "cosine_batched_vs_alone_min": round(float(int8_batch_vs_alone.min()), 4),
            "cosine_batched_vs_alone_mean": round(float(int8_batch_vs_alone.mean()), 4),
            "cosine_to_fp32_mean": round(float(int8_vs_fp32.mean()), 4),
        },
        "cold_rest_seconds_from_speed_json": round(rest, 1),
        "embed_budget_for_4_minutes": round(budget, 1),
        "gflops_needed_for_4_minutes_token_batches": round(gflop["token_batches"] / budget, 1)
        if budget > 0
        else None,
    }
    write_result(args.out, out)


if __name__ == "__main__":
    main()
