"""Reduce and cluster steps: seeded UMAP and HDBSCAN with sizes adapted to the number of answers,
plus a small-N path (Ward clustering, cut where the silhouette is best) where UMAP/HDBSCAN have
too little to work with."""

from __future__ import annotations

import warnings
from typing import Protocol

import numpy as np

SMALL_N = 80  # below this many distinct answers, skip UMAP/HDBSCAN (see WardSmall)
TINY_N = 40  # below this many, a theme of two answers is worth showing


class Reducer(Protocol):
    def fit_transform(self, emb: np.ndarray) -> np.ndarray: ...  # pragma: no cover


class Clusterer(Protocol):
    def fit_predict(self, x: np.ndarray, emb: np.ndarray) -> np.ndarray: ...  # pragma: no cover


def min_theme_size(n: int) -> int:
    """Smallest theme worth showing: 2 for tiny sets, about 0.5% of answers beyond 1,000,
    capped at 500."""
    if n < TINY_N:
        return 2
    return int(min(500, max(5, round(0.005 * n))))


class UmapReducer:
    """Seeded UMAP to a few dimensions (cosine metric). Neighbours and epochs adapt to N."""

    def __init__(
        self,
        n_components: int = 5,
        n_neighbors: int = 15,
        min_dist: float = 0.0,
        random_state: int = 42,
        n_epochs: int | None = None,
        exact_neighbours_up_to: int = 50_000,
    ) -> None:
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.random_state = random_state
        self.n_epochs = n_epochs
        self.exact_neighbours_up_to = exact_neighbours_up_to

    def fit_transform(self, emb: np.ndarray) -> np.ndarray:
        n = len(emb)
        if n <= self.n_components + 2:
            return np.asarray(emb, dtype=np.float32)
        cache_compiled_code()
        import umap

        n_epochs = self.n_epochs
        if n_epochs is None:
            n_epochs = 200 if n > 2000 else 400
        n_neighbors = int(min(self.n_neighbors, n - 1))
        # Up to a few tens of thousands of answers, exact neighbours by one matrix product are quicker than UMAP's
        # approximate search and need none of its just-in-time compilation; above that, UMAP's own search is used.
        knn = exact_cosine_neighbours(emb, n_neighbors) if n <= self.exact_neighbours_up_to else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = umap.UMAP(
                n_neighbors=n_neighbors,
                n_components=int(min(self.n_components, n - 2)),
                min_dist=self.min_dist,
                metric="cosine",
                random_state=self.random_state,
                n_epochs=n_epochs,
                low_memory=True,
                init="spectral" if n > 50 else "random",
                precomputed_knn=(knn[0], knn[1], None) if knn is not None else (None, None, None),
            )
            out = model.fit_transform(emb)
        return np.asarray(out, dtype=np.float32)


def exact_cosine_neighbours(emb: np.ndarray, k: int, chunk_bytes: int = 64 * 2**20) -> tuple[np.ndarray, np.ndarray]:
    """(indices, cosine distances) of each row's k nearest rows, itself first, best first; exact, in row chunks.
    The products and the top-k selection run in torch, on every core (numpy's selection is single-threaded)."""
    import torch

    x = np.asarray(emb, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    xt = torch.from_numpy(np.ascontiguousarray(x / np.where(norms == 0, 1, norms)))
    n = len(x)
    rows = max(1, chunk_bytes // (4 * n))
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, n, rows):
            stop = min(start + rows, n)
            sims = xt[start:stop] @ xt.T
            sims[torch.arange(stop - start), torch.arange(start, stop)] = 2.0  # self first
            top = torch.topk(sims, k, dim=1, largest=True, sorted=True)
            indices[start:stop] = top.indices.numpy()
            distances[start:stop] = top.values.numpy()
    distances = np.clip(1.0 - distances, 0.0, 2.0)
    distances[:, 0] = 0.0
    return indices, distances


_COMPILED_MODULES = ("umap.umap_", "umap.layouts", "umap.utils", "umap.distances", "umap.sparse", "umap.spectral")
_caching_enabled = False


def cache_compiled_code() -> None:
    """Keep UMAP's just-in-time compiled functions on disk (numba's cache, beside the package or in the user's cache
    folder; NUMBA_CACHE_DIR moves it), so only the first run on a machine spends seconds compiling them.
    (pynndescent caches its own already.) The cached code is the code numba would compile: results do not change."""
    global _caching_enabled
    if _caching_enabled:
        return
    _caching_enabled = True
    import importlib

    from numba.core.registry import CPUDispatcher

    for name in _COMPILED_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - a umap without that module
            continue
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == name:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value.enable_caching()


class HdbscanClusterer:
    """HDBSCAN on the reduced vectors, with ``min_cluster_size`` adapted to the data.

    Unless ``min_cluster_size`` is given it is ``fractions`` of the answers (default 0.5%, at
    least 5, at most 500): fine-grained themes, which the refine step groups into top-level
    themes. With several fractions, the labelling (noise sent to the nearest centre) with the
    best silhouette in the reduced space wins. (Measured: choosing the size by silhouette
    favours a few huge clusters on broad data sets, so one fixed fraction is the default.)
    ``min_samples`` is kept small so fewer answers are left as noise; when "eom" selection
    collapses to one or two clusters, "leaf" selection is used instead.
    """

    def __init__(
        self,
        min_cluster_size: int | None = None,
        min_samples: int | None = 10,
        fractions: tuple[float, ...] = (0.005,),
        sample: int = 3000,
        random_state: int = 0,
    ) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.fractions = fractions
        self.sample = sample
        self.random_state = random_state

    def _run(self, x: np.ndarray, mcs: int, ms: int, method: str = "eom") -> np.ndarray:
        import hdbscan

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            labels = hdbscan.HDBSCAN(
                min_cluster_size=int(mcs),
                min_samples=int(ms),
                cluster_selection_method=method,
                core_dist_n_jobs=1,
            ).fit_predict(x)
        return np.asarray(labels, dtype=np.int64)

    def candidates(self, n: int) -> list[tuple[int, int]]:
        if self.min_cluster_size:
            mcs = int(self.min_cluster_size)
            return [(mcs, min(self.min_samples or mcs, mcs))]
        sizes = sorted({int(min(500, max(5, round(f * n)))) for f in self.fractions})
        return [(mcs, min(self.min_samples or mcs, mcs)) for mcs in sizes]

    def fit_predict(self, x: np.ndarray, emb: np.ndarray) -> np.ndarray:
        n = len(x)
        if n < SMALL_N:
            return WardSmall().fit_predict(x, emb)
        from sklearn.metrics import silhouette_score

        rng = np.random.default_rng(self.random_state)
        s = np.sort(rng.choice(n, size=min(self.sample, n), replace=False))
        best: tuple[float, np.ndarray] | None = None
        for mcs, ms in self.candidates(n):
            labels = self._run(x, mcs, ms)
            k = int(labels.max()) + 1
            if k <= 2 and n >= 200:
                leaf = self._run(x, mcs, ms, "leaf")
                if leaf.max() + 1 > k:
                    labels, k = leaf, int(leaf.max()) + 1
            if k < 2:
                score = -1.0
            else:
                full = _nearest_centre(emb, labels, k)
                score = float(silhouette_score(x[s], full[s])) if len(set(full[s])) > 1 else -1.0
                if k < 3:
                    score -= 1.0
            if best is None or score > best[0] + 1e-9:
                best = (score, labels)
        assert best is not None
        return best[1]


def _nearest_centre(emb: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    cents = np.stack([emb[labels == c].mean(axis=0) for c in range(k)])
    cents /= np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
    out = labels.copy()
    noise = np.flatnonzero(labels < 0)
    if len(noise):
        out[noise] = np.argmax(emb[noise] @ cents.T, axis=1)
    return out


class WardSmall:
    """For up to a few dozen answers: Ward clustering of the unit-length embeddings, cut at the
    number of clusters with the best cosine silhouette (the fewer on a tie), from
    ``min_clusters`` (5, what a councillor is given at least) up to about one more than the
    square root of the number of answers (5 for 20, 9 for 60); clusters of fewer than
    ``min_size`` answers are noise (-1).

    (Measured by bench/nlp_small.py: below about 80 answers a UMAP layout is too unsteady for
    HDBSCAN, which then finds one or two themes or leaves many answers out. The silhouette
    keeps rising with the number of clusters on so few answers, so the cap decides how many
    themes there are; the square root keeps them near the number of points made. With 2 as
    the floor the silhouette often splits off one small group, such as answers giving the
    writer's age, and leaves everything else in one theme.)
    """

    def __init__(self, min_clusters: int = 5, min_size: int = 2) -> None:
        self.min_clusters = min_clusters
        self.min_size = min_size

    def fit_predict(self, x: np.ndarray, emb: np.ndarray) -> np.ndarray:
        n = len(emb)
        if n < 3:
            return np.full(n, -1, dtype=np.int64)
        from scipy.cluster.hierarchy import fcluster, linkage
        from sklearn.metrics import silhouette_score

        unit = np.asarray(emb, dtype=np.float64)
        unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
        tree = linkage(unit, method="ward")
        best: tuple[float, np.ndarray] | None = None
        top = min(n - 1, round(n**0.5) + 1)
        for k in range(max(2, min(self.min_clusters, top)), top + 1):
            raw = fcluster(tree, t=k, criterion="maxclust")
            if len(set(raw.tolist())) < 2:
                continue
            score = float(silhouette_score(unit, raw, metric="cosine"))
            if best is None or score > best[0] + 1e-9:
                best = (score, raw)
        if best is None:
            return np.full(n, -1, dtype=np.int64)
        return relabel_small(np.asarray(best[1], dtype=np.int64), self.min_size)


def relabel_small(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Clusters smaller than ``min_size`` become noise; the rest are renumbered 0..k-1 by
    decreasing size (ties by first occurrence) so output does not depend on label order."""
    out = np.full(len(labels), -1, dtype=np.int64)
    ids, first, counts = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
    keep = [(-c, f, i) for i, f, c in zip(ids, first, counts, strict=True) if c >= min_size]
    for new, (_, _, old) in enumerate(sorted(keep)):
        out[labels == old] = new
    return out


def warm_up() -> None:
    """Compile UMAP's and HDBSCAN's numba code once per process (the first call takes
    ~10-25 s). Safe to call more than once."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    r = UmapReducer(random_state=0, n_epochs=20).fit_transform(x)
    HdbscanClusterer().fit_predict(r, x)
