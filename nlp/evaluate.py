"""Agreement between themes and human labels: NMI, ARI, coverage, theme count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def score(labels_true: Sequence[object], labels_pred: Sequence[int | None]) -> dict[str, Any]:
    """NMI and ARI over all rows (unassigned rows count as one "Other" cluster, so leaving
    answers out is not rewarded), coverage = share of rows in a theme, themes vs labels."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    y = [str(v) for v in labels_true]
    pred = [-1 if p is None else int(p) for p in labels_pred]
    n = len(y)
    if n == 0:
        return {"n": 0, "nmi": 0.0, "ari": 0.0, "coverage": 0.0, "themes": 0, "labels": 0}
    return {
        "n": n,
        "nmi": float(normalized_mutual_info_score(y, pred)),
        "ari": float(adjusted_rand_score(y, pred)),
        "coverage": float(np.mean([p >= 0 for p in pred])),
        "themes": len({p for p in pred if p >= 0}),
        "labels": len(set(y)),
    }


def average(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows:
        return {}
    keys = ["nmi", "ari", "coverage", "themes", "labels"]
    return {k: float(np.mean([r[k] for r in rows])) for k in keys} | {"n": int(sum(r["n"] for r in rows))}
