"""Embedding throughput: Engage's embedder (precision chosen automatically) against plain fp32
sentence-transformers, in one run, on the same texts (petition titles by default). Each embedder is warmed with one
pass over the texts (so every batch shape has been seen), then the median of --repeats timed passes is kept.

    .venv/bin/python bench/nlp_embed_speed.py [--data ../shared/data] [--n 3000]

Also times the plain model under bf16 autocast, whatever the CPU, and reports its cosine agreement with fp32.
Writes bench/results/nlp_embed_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlp_common import DEFAULT_DATA, machine, write_results  # noqa: E402


def load_texts(data: Path, n: int, seed: int) -> list[str]:
    import pandas as pd

    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(data.glob("*.csv"))]
    texts = pd.concat(frames)["Petition"].drop_duplicates()
    return texts.sample(n=min(n, len(texts)), random_state=seed).tolist()


def timed(fn, repeats: int):
    """(median seconds over `repeats` calls, the last result)."""
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2], out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="timed passes after one warm pass; the median is kept")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from nlp.embed import SentenceEmbedder, default_model_dir

    texts = load_texts(Path(args.data) / "petitions", args.n, args.seed)
    results = {}

    # 1. plain fp32 sentence-transformers, its defaults (batch 32)
    plain = SentenceTransformer(str(default_model_dir()), device="cpu")
    plain.encode(texts)  # warm: every batch shape seen once
    dt, ref = timed(lambda: plain.encode(texts, normalize_embeddings=True), args.repeats)
    results["plain_fp32"] = {"seconds": dt, "texts_per_s": len(texts) / dt}

    # 2. Engage's embedder, automatic precision, no cache
    ours_fresh = SentenceEmbedder(precision="auto").load()  # no cache: nothing reused between passes
    ours_fresh.encode(texts)  # warm, as above
    dt, got = timed(lambda: ours_fresh.encode(texts), args.repeats)
    results["engage_auto"] = {
        "precision": ours_fresh.precision,
        "seconds": dt,
        "texts_per_s": len(texts) / dt,
        "min_cosine_vs_fp32": float(np.min(np.sum(ref * got, axis=1))),
    }

    # 3. the same plain model under bf16 autocast (the usual way to ask for bf16), for comparison
    sub = texts[: min(len(texts), 1000)]
    t = time.perf_counter()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        got_bf = plain.encode(sub, convert_to_tensor=True).float().numpy()
    dt = time.perf_counter() - t
    got_bf /= np.linalg.norm(got_bf, axis=1, keepdims=True)
    results["autocast_bf16"] = {
        "n": len(sub),
        "seconds": dt,
        "texts_per_s": len(sub) / dt,
        "min_cosine_vs_fp32": float(np.min(np.sum(ref[: len(sub)] * got_bf, axis=1))),
        "mean_cosine_vs_fp32": float(np.mean(np.sum(ref[: len(sub)] * got_bf, axis=1))),
    }
    speedup = results["engage_auto"]["texts_per_s"] / results["plain_fp32"]["texts_per_s"]
    info = machine() | {"torch_threads": torch.get_num_threads()}
    md = [
        f"Embedding throughput, {len(texts)} petition titles; {info['cpu']}, {info['cores']} "
        f"cores, bf16 CPU flags: {', '.join(info['bf16_flags']) or 'none'}",
        "",
        "| embedder | precision | texts/s | min cosine vs fp32 |",
        "|---|---|---|---|",
        f"| plain sentence-transformers | fp32 | {results['plain_fp32']['texts_per_s']:.0f} | 1 |",
        f"| Engage (auto) | {results['engage_auto']['precision']} | "
        f"{results['engage_auto']['texts_per_s']:.0f} | "
        f"{results['engage_auto']['min_cosine_vs_fp32']:.5f} |",
        f"| plain sentence-transformers under bf16 autocast ({len(sub)} texts) | bf16 | "
        f"{results['autocast_bf16']['texts_per_s']:.0f} | "
        f"{results['autocast_bf16']['min_cosine_vs_fp32']:.5f} |",
        "",
        f"Engage / plain fp32: {speedup:.2f}x",
        "",
    ]
    write_results(
        "nlp_embed_speed",
        {"machine": info, "n": len(texts), "results": results, "speedup": speedup},
        "\n".join(md),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
