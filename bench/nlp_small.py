"""Quality on small consultations: Engage's themes vs KMeans told the true number of labels,
on samples of 20 to 150 texts drawn from every labelled set, with the same embeddings.

    .venv/bin/python bench/nlp_small.py [--data ../shared/data] [--sizes 20 30 ...] [--draws 8]

Each draw picks ``--labels`` labels at random from a set (all of them where the set has
fewer) and then ``n`` texts at random from those labels, so each sample looks like a
small consultation with a handful of things said (a sample is smaller than asked where its
labels hold fewer texts). Scores are averaged over the draws and the sets; NMI and ARI count
unassigned texts as one "Other" cluster, as in nlp_quality.py.
Writes bench/results/nlp_small.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlp_common import DEFAULT_DATA, LABELLED, kmeans_true_k, labelled_sets, machine, score_table, write_results  # noqa: E402

METRICS = ("nmi", "ari", "coverage", "themes")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--sets", nargs="*", default=list(LABELLED))
    ap.add_argument("--sizes", nargs="*", type=int, default=[20, 30, 45, 60, 80, 100, 150])
    ap.add_argument("--labels", type=int, default=6, help="labels per sample")
    ap.add_argument("--draws", type=int, default=8, help="samples per set and size")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--cache-dir", default="/tmp/engage-cache")
    args = ap.parse_args()

    import numpy as np

    from nlp import NumpyDiskCache, SentenceEmbedder, ThemePipeline, warm_up
    from nlp.evaluate import score
    from nlp.preprocess import normalise

    embedder = SentenceEmbedder(cache=NumpyDiskCache(args.cache_dir))
    warm_up()
    runs = []
    for name, texts, labels in labelled_sets(args.data, args.sets):
        y = np.array(labels, dtype=object)
        emb = embedder.encode([normalise(t) for t in texts])
        names = np.array(sorted(set(y.tolist())), dtype=object)
        for n in args.sizes:
            for d in range(args.draws):
                rng = np.random.default_rng([args.seed, n, d])
                chosen = rng.choice(names, size=min(args.labels, len(names)), replace=False)
                pool = np.flatnonzero(np.isin(y, chosen))
                rows = np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False))
                sub_texts = [texts[i] for i in rows]
                sub_y = y[rows].tolist()
                pipe = ThemePipeline(embedder=embedder, random_state=args.seed).fit(sub_texts)
                run = {"set": name, "size": n, "n": len(rows), "draw": d, "labels": len(set(sub_y))}
                run["engage_top"] = score(sub_y, pipe.model_.labels("top"))
                run["engage_leaf"] = score(sub_y, pipe.model_.labels("leaf"))
                run["kmeans_true_k"] = score(sub_y, kmeans_true_k(emb[rows], run["labels"], args.seed))
                runs.append(run)
            print(name, n, "done", flush=True)

    systems = ["engage_top", "engage_leaf", "kmeans_true_k"]
    summary = []
    for n in args.sizes:
        at_n = [r for r in runs if r["size"] == n]
        if not at_n:
            continue
        row = {
            "size": n,
            "samples": len(at_n),
            "n": float(np.mean([r["n"] for r in at_n])),
            "labels": float(np.mean([r["labels"] for r in at_n])),
        }
        for s in systems:
            row[s] = {m: float(np.mean([r[s][m] for r in at_n])) for m in METRICS}
        summary.append(row)

    md = score_table(
        ["answers", "samples", "labels", "system"],
        [([row["size"], row["samples"], f"{row['labels']:.1f}", s], row[s]) for row in summary for s in systems],
        themes=".1f",
    )
    info = machine()
    text = (
        f"Small consultations (seed {args.seed}, {args.draws} draws of up to {args.labels} labels per set "
        f"and size, sets: {', '.join(sorted({r['set'] for r in runs}))}; {info['cpu']}, {info['cores']} cores)"
        "\n\n" + "\n".join(md) + "\n"
    )
    doc = {"machine": info, "seed": args.seed, "summary": summary, "runs": runs}
    write_results("nlp_small", doc, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
