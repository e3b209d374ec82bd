"""Embedding throughput: Engage's embedder (precision chosen automatically) against plain fp32
sentence-transformers, in one run, on the same texts (petition titles by default).

    .venv/bin/python bench/nlp_embed_speed.py [--data ../shared/data] [--n 3000]

Also times forced bf16 (autocast), whatever the CPU, and reports its cosine agreement with fp32.
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
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
    plain.encode(texts[:64])  # warm
    t = time.perf_counter()
    ref = plain.encode(texts, normalize_embeddings=True)
    dt = time.perf_counter() - t
    results["plain_fp32"] = {"seconds": dt, "texts_per_s": len(texts) / dt}

    # 2. Engage's embedder, automatic precision, no cache
    ours = SentenceEmbedder(precision="auto").load()
    ours.encode(texts[:64])
    ours_fresh = SentenceEmbedder(precision="auto").load()  # no cache: nothing reused
    t = time.perf_counter()
    got = ours_fresh.encode(texts)
    dt = time.perf_counter() - t
    results["engage_auto"] = {
        "precision": ours_fresh.precision,
        "seconds": dt,
        "texts_per_s": len(texts) / dt,
        "min_cosine_vs_fp32": float(np.min(np.sum(ref * got, axis=1))),
    }

    # 3. forced bf16 autocast, on a subset (slow without native bf16)
    sub = texts[: min(len(texts), 1000)]
    bf = SentenceEmbedder(precision="bf16").load()
    t = time.perf_counter()
    got_bf = bf.encode(sub)
    dt = time.perf_counter() - t
    results["forced_bf16"] = {
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
        f"| forced bf16 autocast ({len(sub)} texts) | bf16 | "
        f"{results['forced_bf16']['texts_per_s']:.0f} | "
        f"{results['forced_bf16']['min_cosine_vs_fp32']:.5f} |",
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
