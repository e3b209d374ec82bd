"""Opinion themes with a stance: Engage against human key points on IBM's ArgKP-2021 arguments.

ArgKP-2021 (IBM Debater, CDLA-Sharing-1.0) holds crowd-written arguments for and against
controversial proposals ("We should abandon the use of school uniform"), each with its stance, and
the key points that expert annotators matched them to: about 9 key points and 150 to 250 arguments
a proposal, which is the shape of one consultation question with a support/oppose answer beside it.
It is not in ``../shared/data``: put the six files of the public release (``kpm_data/*_dev.csv`` and
``test_data/*_test.csv`` of IBM/KPA_2021_shared_task) in one folder and pass it as ``--argkp``.

    .venv/bin/python bench/nlp_keypoints.py --argkp ../argkp [--split dev test] [--csv keypoints.csv]

An argument is scored when the annotators matched it to exactly one key point (that key point is its
label); each proposal is themed on its own, as a consultation question would be, and scores are
averaged over proposals. Compared, with the same embeddings: Engage given each argument's stance,
Engage without it, KMeans told the true number of key points, KMeans told the true number on each
side separately (the stance split), and BERTopic's defaults. ``--csv`` also writes the scored
arguments as one CSV (columns ``topic, stance, argument, key_point``) for ``python -m nlp evaluate``.
Writes bench/results/nlp_keypoints.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlp_common import ROOT, bertopic_python, bertopic_topics, kmeans_true_k, machine, write_results  # noqa: E402

SYSTEMS = {
    "engage_top": "Engage top level, with stance",
    "engage_leaf": "Engage most specific, with stance",
    "engage_nostance_top": "Engage top level, without stance",
    "kmeans_true_k": "KMeans, true k",
    "kmeans_true_k_by_stance": "KMeans, true k on each side",
    "bertopic": "BERTopic defaults",
}


def load_arguments(folder: Path, splits: list[str]):
    """One row per argument matched to exactly one key point: topic, stance, argument, key_point."""
    import pandas as pd

    frames = []
    for split in splits:
        args = pd.read_csv(folder / f"arguments_{split}.csv", dtype=str, keep_default_na=False)
        kps = pd.read_csv(folder / f"key_points_{split}.csv", dtype=str, keep_default_na=False)
        labels = pd.read_csv(folder / f"labels_{split}.csv", dtype=str, keep_default_na=False)
        matched = labels[labels["label"] == "1"].groupby("arg_id")["key_point_id"].agg(list)
        single = matched[matched.map(len) == 1].map(lambda kp: kp[0])
        rows = args.merge(single.rename("key_point_id"), left_on="arg_id", right_index=True)
        rows = rows.merge(kps[["key_point_id", "key_point"]], on="key_point_id")
        frames.append(rows[["topic", "stance", "argument", "key_point"]].assign(split=split))
    return pd.concat(frames, ignore_index=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--argkp", default=str(ROOT.parent / "argkp"), help="folder holding the ArgKP-2021 CSV files")
    ap.add_argument("--split", nargs="*", default=["dev", "test"])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--bertopic-python", default=None)
    ap.add_argument("--cache-dir", default="/tmp/engage-cache")
    ap.add_argument("--csv", default=None, help="also write the scored arguments to this CSV")
    args = ap.parse_args()
    folder = Path(args.argkp)
    missing = [
        f"{kind}_{s}.csv"
        for s in args.split
        for kind in ("arguments", "key_points", "labels")
        if not (folder / f"{kind}_{s}.csv").exists()
    ]
    if missing:
        print(f"error: {folder} lacks {', '.join(missing)} (see this script's docstring)", file=sys.stderr)
        return 2

    import numpy as np

    from nlp import NumpyDiskCache, SentenceEmbedder, ThemePipeline, warm_up
    from nlp.evaluate import average, score
    from nlp.preprocess import normalise

    data = load_arguments(folder, args.split)
    if args.csv:
        data.drop(columns="split").to_csv(args.csv, index=False)
    embedder = SentenceEmbedder(cache=NumpyDiskCache(args.cache_dir))
    warm_up()
    bt_python = bertopic_python(args.bertopic_python)
    rows = []
    for topic, df in data.groupby("topic", sort=False):
        texts, y, stances = df["argument"].tolist(), df["key_point"].tolist(), df["stance"].tolist()
        result = {"topic": topic, "split": df["split"].iloc[0], "n": len(df), "key_points": len(set(y))}
        pipe = ThemePipeline(embedder=embedder, random_state=args.seed).fit(texts, stances=stances)
        result["engage_top"] = score(y, pipe.model_.labels("top"))
        result["engage_leaf"] = score(y, pipe.model_.labels("leaf"))
        plain = ThemePipeline(embedder=embedder, random_state=args.seed).fit(texts)
        result["engage_nostance_top"] = score(y, plain.model_.labels("top"))
        emb = embedder.encode([normalise(t) for t in texts])
        result["kmeans_true_k"] = score(y, kmeans_true_k(emb, len(set(y)), args.seed))
        by_stance = np.zeros(len(df), dtype=np.int64)
        offset = 0
        for side in sorted(set(stances)):
            idx = np.flatnonzero(np.array(stances) == side)
            k = len({y[i] for i in idx})
            by_stance[idx] = np.array(kmeans_true_k(emb[idx], k, args.seed)) + offset
            offset += k
        result["kmeans_true_k_by_stance"] = score(y, by_stance.tolist())
        if bt_python:
            result["bertopic"] = score(y, bertopic_topics(bt_python, texts, emb))
        rows.append(result)
        print(topic, {s: (round(result[s]["nmi"], 3), round(result[s]["ari"], 3)) for s in SYSTEMS if s in result})

    md = [
        f"Key points with stance, ArgKP-2021 {' + '.join(args.split)} ({len(rows)} proposals, {len(data)} arguments "
        f"matched to one key point; seed {args.seed}); mean over proposals of NMI / ARI / coverage / themes "
        "(key points: {:.1f} a proposal)".format(np.mean([r["key_points"] for r in rows])),
        "",
        "| system | NMI | ARI | coverage | themes |",
        "|---|---|---|---|---|",
    ]
    means = {}
    for s, name in SYSTEMS.items():
        scored = [r[s] for r in rows if s in r]
        if scored:
            m = means[s] = average(scored)
            md.append(f"| {name} | {m['nmi']:.3f} | {m['ari']:.3f} | {m['coverage']:.1%} | {m['themes']:.1f} |")
    info = machine()
    write_results("nlp_keypoints", {"machine": info, "seed": args.seed, "means": means, "results": rows}, "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
