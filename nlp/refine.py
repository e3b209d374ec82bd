"""Refine step: reassign outliers, merge themes that say the same thing, build 5-20 top-level
themes with sub-themes, and keep the two sides of a stance apart."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def centroids(emb: np.ndarray, labels: np.ndarray, k: int, weights: np.ndarray) -> np.ndarray:
    """Weighted, L2-normalised mean embedding of each cluster 0..k-1."""
    out = np.zeros((k, emb.shape[1]), dtype=np.float32)
    for c in range(k):
        idx = labels == c
        if idx.any():
            v = (emb[idx] * weights[idx, None]).sum(axis=0)
            out[c] = v / (np.linalg.norm(v) or 1.0)
    return out


def outlier_threshold(
    emb: np.ndarray,
    labels: np.ndarray,
    cents: np.ndarray,
    quantile: float = 0.02,
    ceiling: float = 0.5,
) -> float:
    """How close an answer must be to a theme's centre to join it: the ``quantile`` of the
    similarities of clustered answers to their own theme centre (so reassigned answers are no
    further out than the loosest answers HDBSCAN itself accepted), at most ``ceiling``: with
    few answers every clustered one is close, and a moderately similar answer still belongs."""
    m = labels >= 0
    if not m.any():
        return 1.0
    sims = np.sum(emb[m] * cents[labels[m]], axis=1)
    return float(min(np.quantile(sims, quantile), ceiling))


def nearest_theme(emb: np.ndarray, rows: np.ndarray, cents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``rows``: the index of its most similar theme centre and that similarity (in blocks of rows, so
    memory stays bounded however many there are)."""
    index, similarity = [], []
    for s in range(0, len(rows), 4096):
        sims = emb[rows[s : s + 4096]] @ cents.T
        best = np.argmax(sims, axis=1)
        index.append(best)
        similarity.append(sims[np.arange(len(best)), best])
    return np.concatenate(index), np.concatenate(similarity)


MIN_JOIN_SIMILARITY = 0.2
"""Below this cosine similarity to every theme centre an answer stays in Other, whatever the coverage target."""


def threshold_for_coverage(
    emb: np.ndarray,
    labels: np.ndarray,
    cents: np.ndarray,
    weights: np.ndarray,
    target: float,
    floor: float = MIN_JOIN_SIMILARITY,
) -> float:
    """The highest similarity threshold at which reassigning "Other" answers to their nearest theme brings the share of
    answers in themes (counted with ``weights``) up to ``target``; never below ``floor``. 1.0 when the target is
    already met."""
    noise = np.flatnonzero(labels < 0)
    total = float(weights.sum())
    need = target * total - (total - float(weights[noise].sum()))
    if need <= 0 or len(noise) == 0 or len(cents) == 0:
        return 1.0
    _, best = nearest_theme(emb, noise, cents)
    order = np.argsort(-best, kind="stable")
    reached = np.flatnonzero(np.cumsum(weights[noise][order]) >= need)
    sim = float(best[order[reached[0]]]) if len(reached) else float(best[order[-1]])
    return max(sim, floor)


def reassign_outliers(emb: np.ndarray, labels: np.ndarray, cents: np.ndarray, threshold: float) -> np.ndarray:
    out = labels.copy()
    noise = np.flatnonzero(labels < 0)
    if len(noise) == 0 or len(cents) == 0:
        return out
    best, similarity = nearest_theme(emb, noise, cents)
    ok = similarity >= threshold
    out[noise[ok]] = best[ok]
    return out


def merge_similar(labels: np.ndarray, cents: np.ndarray, min_similarity: float) -> np.ndarray:
    """Merge clusters whose centres are at least ``min_similarity`` cosine-similar (average
    linkage), renumbered by decreasing size."""
    k = len(cents)
    if k < 2:
        return labels
    from sklearn.cluster import AgglomerativeClustering

    # A cluster left with no members has an all-zero centre, which has no cosine: leave it out.
    live = np.flatnonzero(np.linalg.norm(cents, axis=1) > 1e-12)
    if len(live) < 2:
        return renumber(labels)
    groups = np.full(k, -1, dtype=np.int64)
    groups[live] = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=1.0 - min_similarity,
    ).fit_predict(cents[live])
    out = np.where(labels >= 0, groups[np.maximum(labels, 0)], -1)
    return renumber(out)


def renumber(labels: np.ndarray) -> np.ndarray:
    """Renumber non-negative labels 0..k-1 by decreasing size (ties by first occurrence)."""
    out = np.full(len(labels), -1, dtype=np.int64)
    m = labels >= 0
    if not m.any():
        return out
    ids, first, counts = np.unique(labels[m], return_index=True, return_counts=True)
    order = sorted(zip(-counts, first, ids, strict=True))
    mapping = {old: new for new, (_, _, old) in enumerate(order)}
    out[m] = [mapping[v] for v in labels[m]]
    return out


def choose_top_level(
    reduced: np.ndarray,
    labels: np.ndarray,
    cents: np.ndarray,
    min_top: int = 5,
    max_top: int = 20,
    random_state: int = 0,
    sample: int = 3000,
    sizes: np.ndarray | None = None,
) -> np.ndarray:
    """Group leaf themes into top-level themes: k-means on the leaf centres weighted by leaf
    size (so large themes pull as hard as their answers would) for every k in
    [min_top, max_top], keeping the k with the best silhouette of the answers in the reduced
    space. Returns the top-level group of each leaf (identity when there are few leaves).
    (Measured on the labelled sets: weighted k-means beat Ward linkage of the centres; with 10
    restarts rather than 3 SearchSnippets gets 9 top-level themes for 8 labels, not 13, as with 20.)"""
    k_leaf = len(cents)
    if k_leaf <= min_top:
        return np.arange(k_leaf)
    from scipy.spatial.distance import pdist, squareform
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    if sizes is None:
        sizes = np.bincount(labels[labels >= 0], minlength=k_leaf).astype(np.float64)
    m = np.flatnonzero(labels >= 0)
    rng = np.random.default_rng(random_state)
    s = np.sort(rng.choice(m, size=min(sample, len(m)), replace=False))
    dist = squareform(pdist(reduced[s].astype(np.float64)))
    best_score, best_groups = -np.inf, np.arange(k_leaf)
    for k in range(min_top, min(max_top, k_leaf) + 1):
        km = KMeans(n_clusters=k, random_state=random_state, n_init=10)
        groups = _canonical(km.fit_predict(cents, sample_weight=sizes))
        top = groups[labels[s]]
        if not 2 <= len(np.unique(top)) < len(s):  # a silhouette needs 2 to n-1 groups
            continue
        score = silhouette_score(dist, top, metric="precomputed")
        if score > best_score + 1e-9:
            best_score, best_groups = score, groups
    return best_groups


def _canonical(groups: np.ndarray) -> np.ndarray:
    """Renumber group ids by first appearance (0, 1, 2, ...)."""
    mapping: dict[int, int] = {}
    return np.array([mapping.setdefault(int(g), len(mapping)) for g in groups], dtype=np.int64)


def stance_sides_differ(
    emb: np.ndarray,
    idx: np.ndarray,
    stances: Sequence[str | None],
    weights: np.ndarray,
    min_share: float,
    min_count: int,
    level: float = 0.05,
    shuffles: int = 199,
    random_state: int = 0,
) -> dict[str, np.ndarray] | None:
    """If the answers ``idx`` hold at least two stances each with a substantial share (``min_share`` of the theme's
    weight and at least ``min_count``), and the sides say different things, return the indices of each side.

    "Different things" is a permutation test. The sides' weighted centres are compared (the lowest cosine similarity
    between two of them); then the same answers are dealt at random into sides of the same sizes ``shuffles`` times.
    The sides differ when random sides come out as far apart at most a ``level`` share of the time. So a theme whose
    supporters and opponents make the same point stays whole, with its stance split shown, while one in which each
    side makes its own point about one subject ("the scheme will cut traffic", "it pushes traffic onto our road") is
    separated; and the test is as fair to a theme of 10 answers as to one of 10,000."""
    sides: dict[str, list[int]] = {}
    for i in idx.tolist():
        s = stances[i]
        if s is not None:
            sides.setdefault(s, []).append(i)
    if len(sides) < 2:
        return None
    total = float(weights[idx].sum())
    big = {s: np.array(v) for s, v in sides.items() if weights[v].sum() >= max(min_count, min_share * total)}
    if len(big) < 2:
        return None
    members = np.concatenate(list(big.values()))
    side_of = np.repeat(np.arange(len(big)), [len(v) for v in big.values()])
    vectors = emb[members].astype(np.float64) * weights[members, None]
    pairs = np.triu_indices(len(big), 1)

    def lowest_similarity(assignment: np.ndarray) -> float:
        sums = np.eye(len(big))[assignment].T @ vectors
        sums /= np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        return float((sums @ sums.T)[pairs].min())

    observed = lowest_similarity(side_of)
    rng = np.random.default_rng(random_state)
    as_far = sum(lowest_similarity(rng.permutation(side_of)) <= observed for _ in range(shuffles))
    return big if (1 + as_far) / (1 + shuffles) <= level else None
