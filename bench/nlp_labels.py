"""How well theme labels tell themes apart, on real opinion text: Pol.is conversations, a sample of petition
titles and, when ``--argkp`` is given, the ArgKP-2021 proposals with their stance (see nlp_keypoints.py).

    .venv/bin/python bench/nlp_labels.py [--data ../shared/data] [--argkp DIR] [--petitions 2000]

For every set of sibling themes (the top-level themes of a question, or the sub-themes of one theme) it counts:
- labels that start with the same phrase as a sibling's label (a councillor scanning the list cannot tell them apart
  by their first words);
- labels whose embedding is closer to their own theme's centre than to any sibling's (the label picks out its theme);
- the mean cosine similarity of a label to its own theme's centre (how much the label says about its theme).
Writes bench/results/nlp_labels.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlp_common import DEFAULT_DATA, machine, write_results  # noqa: E402

POLIS = [
    "scoop-hivemind.affordable-housing",
    "american-assembly.bowling-green",
    "london.youth.policing",
    "scoop-hivemind.biodiversity",
]


def load_sets(data: Path, argkp: Path | None, petitions: int) -> list[tuple[str, list[str], list[str] | None]]:
    import pandas as pd

    sets: list[tuple[str, list[str], list[str] | None]] = []
    if argkp is not None:
        from nlp_keypoints import load_arguments

        args = load_arguments(argkp, ["dev", "test"])
        for topic, df in args.groupby("topic", sort=False):
            sets.append((f"ArgKP: {topic}", df["argument"].tolist(), df["stance"].tolist()))
    for name in POLIS:
        path = data / "polis" / name / "comments.csv"
        if path.exists():
            comments = pd.read_csv(path, dtype=str, keep_default_na=False)
            sets.append((f"Pol.is: {name}", comments["comment-body"].tolist(), None))
    path = data / "petitions" / "published_petitions_2015_2017.csv"
    if petitions and path.exists():
        titles = pd.read_csv(path, dtype=str, keep_default_na=False)["Petition"].drop_duplicates()
        sets.append((f"{petitions} petition titles", titles.sample(petitions, random_state=0).tolist(), None))
    return sets


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--argkp", default=None, help="folder holding the ArgKP-2021 CSV files")
    ap.add_argument("--petitions", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--cache-dir", default="/tmp/engage-cache")
    args = ap.parse_args()

    import numpy as np

    from nlp import NumpyDiskCache, SentenceEmbedder, ThemePipeline, warm_up

    sets = load_sets(Path(args.data), Path(args.argkp) if args.argkp else None, args.petitions)
    if not sets:
        print(f"error: no data found under {args.data}", file=sys.stderr)
        return 2
    embedder = SentenceEmbedder(cache=NumpyDiskCache(args.cache_dir))
    warm_up()
    rows = []
    for name, texts, stances in sets:
        model = ThemePipeline(embedder=embedder, random_state=args.seed).fit(texts, stances=stances).model_
        families: dict[int | None, list] = {}
        for theme in model.themes:
            families.setdefault(theme.parent, []).append(theme)
        labelled = shared = picks_own = 0
        similarity = 0.0
        for siblings in families.values():
            if len(siblings) < 2:
                continue
            leads = [t.label.split(", ")[0].lower() for t in siblings]
            vectors = embedder.encode([t.label for t in siblings])
            centres = model.centroids[[t.id for t in siblings]]
            sims = vectors @ centres.T
            for i in range(len(siblings)):
                labelled += 1
                shared += leads.count(leads[i]) > 1
                picks_own += int(np.argmax(sims[i])) == i
                similarity += float(sims[i, i])
        rows.append(
            {"set": name, "labels": labelled, "shared_lead": shared, "picks_own": picks_own, "similarity": similarity}
        )
        print(name, rows[-1], flush=True)

    total = {k: sum(r[k] for r in rows) for k in ("labels", "shared_lead", "picks_own", "similarity")}
    md = [
        f"Theme labels among their siblings (seed {args.seed}; {machine()['cpu']})",
        "",
        "| set | labels | starting like a sibling | picking out their own theme | similarity to own theme |",
        "|---|---|---|---|---|",
    ]
    for r in [*rows, {"set": "all", **total}]:
        k = max(r["labels"], 1)
        md.append(
            f"| {r['set']} | {r['labels']} | {r['shared_lead'] / k:.1%} | {r['picks_own'] / k:.1%} "
            f"| {r['similarity'] / k:.3f} |"
        )
    doc = {"machine": machine(), "seed": args.seed, "results": rows, "total": total}
    write_results("nlp_labels", doc, "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
