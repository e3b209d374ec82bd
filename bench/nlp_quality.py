"""Quality: Engage's themes vs BERTopic's defaults vs KMeans told the true number of labels,
on every labelled set, with the same all-MiniLM-L6-v2 embeddings.

    .venv/bin/python bench/nlp_quality.py [--data ../shared/data] [--bertopic-python PY]

NMI and ARI count unassigned answers as one "Other" cluster (so leaving answers out is not
rewarded); coverage is the share of answers in a theme. Engage is scored on its top-level
themes and on its most specific themes (the ``theme`` of each assignment).
Writes bench/results/nlp_quality.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlp_common import (  # noqa: E402
    DEFAULT_DATA,
    LABELLED,
    bertopic_python,
    bertopic_topics,
    kmeans_true_k,
    labelled_sets,
    machine,
    score_table,
    write_results,
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--sets", nargs="*", default=list(LABELLED))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--bertopic-python", default=None, help="python of a venv with bertopic")
    ap.add_argument("--cache-dir", default="/tmp/engage-cache")
    args = ap.parse_args()

    from nlp import NumpyDiskCache, SentenceEmbedder, ThemePipeline, warm_up
    from nlp.evaluate import score
    from nlp.preprocess import normalise

    embedder = SentenceEmbedder(cache=NumpyDiskCache(args.cache_dir))
    warm_up()
    bt_python = bertopic_python(args.bertopic_python)
    rows = []
    for name, texts, y in labelled_sets(args.data, args.sets):
        k = len(set(y))
        t = time.perf_counter()
        pipe = ThemePipeline(embedder=embedder, random_state=args.seed).fit(texts)
        secs = time.perf_counter() - t
        result = {"set": name, "n": len(texts), "labels": k, "engage_seconds": round(secs, 1)}
        result["engage_top"] = score(y, pipe.model_.labels("top"))
        result["engage_leaf"] = score(y, pipe.model_.labels("leaf"))
        emb = embedder.encode([normalise(x) for x in texts])
        result["kmeans_true_k"] = score(y, kmeans_true_k(emb, k, args.seed))
        if bt_python:
            result["bertopic"] = score(y, bertopic_topics(bt_python, texts, emb))
        rows.append(result)
        print(name, {k2: v for k2, v in result.items() if isinstance(v, dict)}, flush=True)

    systems = ["engage_top", "engage_leaf", "kmeans_true_k", "bertopic"]
    md = score_table(
        ["set", "n", "labels", "system"],
        [([r["set"], r["n"], r["labels"], s], r[s]) for r in rows for s in systems if s in r],
    )
    info = machine()
    text = f"Quality (seed {args.seed}; {info['cpu']}, {info['cores']} cores)\n\n" + "\n".join(md) + "\n"
    write_results("nlp_quality", {"machine": info, "seed": args.seed, "results": rows}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
