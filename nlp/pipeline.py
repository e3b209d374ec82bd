"""The theme pipeline: preprocess > embed > reduce > cluster > refine > label."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import cluster as cl
from . import refine as rf
from .embed import Embedder, ProgressFn
from .label import CTfidfLabeller, Labeller, distinct_leads, trim
from .model import Theme, ThemeModel
from .preprocess import (
    DefaultPreprocessor,
    Preprocessor,
    dedupe_key,
    near_duplicate_groups,
    stance_side,
)


def _stage(progress: ProgressFn | None, lo: float, hi: float) -> ProgressFn | None:
    if progress is None:
        return None

    def inner(fraction: float, message: str) -> None:
        progress(lo + (hi - lo) * max(0.0, min(1.0, fraction)), message)

    return inner


class ThemePipeline:
    """Turns free-text answers into themes.

    Parameters follow scikit-learn conventions: they are stored as given, ``fit`` returns
    ``self`` and learned attributes end in ``_`` (``model_``, ``embedder_``, ``timings_``).
    The same input and ``random_state`` give the same output.

    embedder: anything with ``encode(texts) -> (n, d) unit vectors`` and ``model_sha``; default
        :class:`nlp.SentenceEmbedder` (all-MiniLM-L6-v2, verified, offline).
    min_top, max_top: bounds on the number of top-level themes (when the data has more leaves).
    merge_similarity: themes whose centres are at least this cosine-similar are merged.
    outlier_quantile: an "Other" answer joins its nearest theme when it is as close as the
        loosest ``outlier_quantile`` of the answers clustering put in themes.
    target_coverage: when that leaves fewer than this share of answers in themes, the closest of the rest join
        their nearest theme until it is reached, unless they are less similar to every theme than
        :data:`nlp.refine.MIN_JOIN_SIMILARITY` (they stay in Other).
    near_duplicate_similarity: answers of 8+ words at least this similar are one campaign.
    campaign_min_count: a group of identical answers is reported as a campaign from this size.
    stance_min_share / stance_split_level: a theme is split by stance when each side holds at
        least this share and the sides say different things: a random division of the theme's answers
        into sides of the same sizes puts their centres as far apart at most this share of the time
        (see :func:`nlp.refine.stance_sides_differ`).
    """

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        preprocessor: Preprocessor | None = None,
        reducer: cl.Reducer | None = None,
        clusterer: cl.Clusterer | None = None,
        labeller: Labeller | None = None,
        random_state: int = 42,
        min_top: int = 5,
        max_top: int = 20,
        merge_similarity: float = 0.92,
        outlier_quantile: float = 0.02,
        target_coverage: float = 0.95,
        near_duplicate_similarity: float = 0.95,
        campaign_min_count: int = 3,
        stance_min_share: float = 0.1,
        stance_split_level: float = 0.05,
    ) -> None:
        self.embedder = embedder
        self.preprocessor = preprocessor
        self.reducer = reducer
        self.clusterer = clusterer
        self.labeller = labeller
        self.random_state = random_state
        self.min_top = min_top
        self.max_top = max_top
        self.merge_similarity = merge_similarity
        self.outlier_quantile = outlier_quantile
        self.target_coverage = target_coverage
        self.near_duplicate_similarity = near_duplicate_similarity
        self.campaign_min_count = campaign_min_count
        self.stance_min_share = stance_min_share
        self.stance_split_level = stance_split_level

    # ------------------------------------------------------------------ helpers
    def _get_embedder(self) -> Embedder:
        if getattr(self, "embedder_", None) is None:
            if self.embedder is None:
                from .embed import SentenceEmbedder

                self.embedder_ = SentenceEmbedder()
            else:
                self.embedder_ = self.embedder
        return self.embedder_

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        texts: Sequence[object],
        ids: Sequence[Any] | None = None,
        stances: Sequence[object] | None = None,
        progress: ProgressFn | None = None,
        group: str = "",
    ) -> ThemePipeline:
        """Find themes in ``texts``. ``ids`` label rows in the output (default 0..n-1);
        ``stances`` (e.g. each answer's support/oppose choice) keep disagreement apart;
        ``progress(fraction, message)`` is called as work proceeds."""
        t_start = time.perf_counter()
        timings: dict[str, float] = {}
        texts = list(texts)
        n = len(texts)
        row_ids: list[Any] = list(range(n)) if ids is None else list(ids)
        if len(row_ids) != n:
            raise ValueError("ids must have one entry per text")
        row_stance: list[str | None] = [None] * n if stances is None else [stance_side(s) for s in stances]
        if len(row_stance) != n:
            raise ValueError("stances must have one entry per text")
        has_stance = any(s is not None for s in row_stance)
        if progress:
            progress(0.0, "Preparing answers")

        # 1. preprocess --------------------------------------------------------------
        t = time.perf_counter()
        prep = (self.preprocessor or cl_default_preprocessor()).prepare(texts)
        timings["preprocess_s"] = time.perf_counter() - t
        embedder = self._get_embedder()

        model = ThemeModel(
            themes=[],
            assignments=[{"id": row_ids[i], "theme": None} for i in range(n)],
            campaigns=[],
            non_substantive=[row_ids[i] for i in prep.non_substantive],
            centroids=np.zeros((0, getattr(embedder, "dim", 0)), dtype=np.float32),
            assign_threshold=1.0,
            group=group,
        )
        meta: dict[str, Any] = {
            "model_sha": getattr(embedder, "model_sha", None),
            "seed": self.random_state,
            "n_rows": n,
            "n_non_substantive": len(prep.non_substantive),
        }
        self.model_ = model
        self.timings_ = timings

        def finish(message: str = "") -> ThemePipeline:
            model.message = message
            meta["precision"] = getattr(embedder, "precision", None)
            timings["total_s"] = time.perf_counter() - t_start
            meta["timings"] = {k: round(v, 3) for k, v in timings.items()}
            meta["n_themes"] = len(model.themes)
            meta["n_top_level"] = len(model.top_level)
            meta["coverage"] = round(sum(a["theme"] is not None for a in model.assignments) / n, 4) if n else 0.0
            model.meta = meta
            if progress:
                progress(1.0, message or "Done")
            return self

        if n == 0:
            return finish("No answers to analyse.")
        if not prep.unique_texts:
            return finish("All answers were non-substantive (such as 'no' or 'n/a'); no themes.")

        # 2. embed -------------------------------------------------------------------
        t = time.perf_counter()
        emb_u = embedder.encode(prep.unique_texts, progress=_stage(progress, 0.02, 0.6))
        emb_u = np.asarray(emb_u, dtype=np.float32)
        timings["embed_s"] = time.perf_counter() - t

        # near-duplicates (campaigns with small edits): union by embedding similarity
        t = time.perf_counter()
        rep = near_duplicate_groups(emb_u, prep.unique_texts, self.near_duplicate_similarity)
        work_of_unique = {}
        work_members: list[list[int]] = []  # rows
        work_uniques: list[list[int]] = []
        work_text_idx: list[int] = []
        for u in range(len(prep.unique_texts)):
            r = int(rep[u])
            if r not in work_of_unique:
                work_of_unique[r] = len(work_text_idx)
                work_text_idx.append(r)
                work_members.append([])
                work_uniques.append([])
            w = work_of_unique[r]
            work_of_unique[u] = w
            work_members[w].extend(prep.members[u])
            work_uniques[w].append(u)
        for m in work_members:
            m.sort()
        # the most frequent variant represents a near-duplicate group
        for w, us in enumerate(work_uniques):
            work_text_idx[w] = max(us, key=lambda u: (prep.counts[u], -u))
        work_texts = [prep.unique_texts[u] for u in work_text_idx]
        emb = emb_u[work_text_idx]
        weights = np.array([len(m) for m in work_members], dtype=np.float64)
        work_stance: list[str | None] = []
        for m in work_members:
            c = Counter(row_stance[i] for i in m if row_stance[i] is not None)
            work_stance.append(min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] if c else None)
        n_work = len(work_texts)
        timings["dedupe_s"] = time.perf_counter() - t

        # campaigns
        campaign_rows = []
        for w, m in enumerate(work_members):
            words = len(work_texts[w].split())
            if (len(m) >= self.campaign_min_count and words >= 4) or len(work_uniques[w]) > 1:
                campaign_rows.append(w)
        model.campaigns = [
            {
                "ids": [row_ids[i] for i in work_members[w]],
                "count": len(work_members[w]),
                "text": trim(work_texts[w], 500),
            }
            for w in sorted(campaign_rows, key=lambda w: (-len(work_members[w]), w))
        ]

        if n_work < 3:
            msg = (
                f"Only {n_work} distinct answer{'s' if n_work != 1 else ''}: too few to find "
                "themes; they are listed under Other."
            )
            return finish(msg)

        # 3. reduce ------------------------------------------------------------------
        t = time.perf_counter()
        if progress:
            progress(0.6, "Reducing dimensions")
        if n_work >= cl.SMALL_N:
            reducer = self.reducer or cl.UmapReducer(random_state=self.random_state)
            reduced = reducer.fit_transform(emb)
        else:
            reduced = emb
        timings["reduce_s"] = time.perf_counter() - t

        # 4. cluster -----------------------------------------------------------------
        t = time.perf_counter()
        if progress:
            progress(0.85, "Clustering")
        clusterer = self.clusterer or cl.HdbscanClusterer()
        labels = np.asarray(clusterer.fit_predict(reduced, emb), dtype=np.int64)
        labels = rf.renumber(labels)
        timings["cluster_s"] = time.perf_counter() - t

        # 5. refine ------------------------------------------------------------------
        t = time.perf_counter()
        if progress:
            progress(0.9, "Refining themes")
        min_size = cl.min_theme_size(n_work)
        k = int(labels.max()) + 1
        threshold = 1.0
        big = np.flatnonzero(weights >= max(min_size, self.campaign_min_count))
        if k > 0:
            cents = rf.centroids(emb, labels, k, weights)
            threshold = rf.outlier_threshold(emb, labels, cents, self.outlier_quantile)
            # a large campaign far from the theme clustering put it in stands on its own
            for w in big.tolist():
                c = labels[w]
                if c >= 0:
                    rest = (labels == c) & (np.arange(n_work) != w)
                    v = (emb[rest] * weights[rest, None]).sum(axis=0)
                    if float(emb[w] @ v) / (np.linalg.norm(v) or 1.0) < threshold:
                        labels[w] = -1
        for w in big.tolist():
            if labels[w] < 0:
                labels[w] = k
                k += 1
        if k > 0:
            cents = rf.centroids(emb, labels, k, weights)
            threshold = min(threshold, rf.threshold_for_coverage(emb, labels, cents, weights, self.target_coverage))
            labels = rf.reassign_outliers(emb, labels, cents, threshold)
            cents = rf.centroids(emb, labels, k, weights)
            labels = rf.merge_similar(labels, cents, self.merge_similarity)
        labels = rf.renumber(labels)
        k = int(labels.max()) + 1
        if k == 0:
            return finish("No clear themes: the answers are too varied or too few; all are listed under Other.")

        # stance: split leaves whose two sides say different things
        if has_stance:
            labels = self._split_by_stance(emb, labels, work_stance, weights, min_size)
            k = int(labels.max()) + 1
        cents = rf.centroids(emb, labels, k, weights)

        # top level
        leaf_sizes = np.array([weights[labels == c].sum() for c in range(k)])
        groups = rf.choose_top_level(
            reduced, labels, cents, self.min_top, self.max_top, self.random_state, sizes=leaf_sizes
        )
        if has_stance:
            groups = self._split_groups_by_stance(groups, labels, work_stance, weights, emb)
        timings["refine_s"] = time.perf_counter() - t

        # 6. label & build -------------------------------------------------------------
        t = time.perf_counter()
        if progress:
            progress(0.95, "Labelling themes")
        self._build(
            model,
            labels,
            groups,
            emb,
            work_texts,
            work_members,
            weights,
            row_ids,
            row_stance,
            has_stance,
            work_stance,
            prep,
            work_uniques,
            work_text_idx,
            n,
            threshold,
        )
        timings["label_s"] = time.perf_counter() - t
        msg = ""
        if n_work < 20:
            msg = f"Only {n_work} distinct answers: themes are tentative; read the answers too."
        return finish(msg)

    # ------------------------------------------------------------------ stance
    def _split_by_stance(
        self,
        emb: np.ndarray,
        labels: np.ndarray,
        work_stance: list[str | None],
        weights: np.ndarray,
        min_size: int,
    ) -> np.ndarray:
        out = labels.copy()
        nxt = int(labels.max()) + 1
        for c in range(int(labels.max()) + 1):
            idx = np.flatnonzero(labels == c)
            sides = rf.stance_sides_differ(
                emb,
                idx,
                work_stance,
                weights,
                self.stance_min_share,
                min_size,
                self.stance_split_level,
                random_state=self.random_state,
            )
            if not sides:
                continue
            names = sorted(sides, key=lambda s: (-weights[sides[s]].sum(), s))
            for s in names[1:]:
                out[sides[s]] = nxt
                nxt += 1
        return rf.renumber(out)

    def _split_groups_by_stance(
        self,
        groups: np.ndarray,
        labels: np.ndarray,
        work_stance: list[str | None],
        weights: np.ndarray,
        emb: np.ndarray,
    ) -> np.ndarray:
        """A top-level group whose leaves lean to different sides is split by side."""
        k = len(groups)
        lean: list[str | None] = []
        for c in range(k):
            cnt: Counter[str] = Counter()
            for i in np.flatnonzero(labels == c):
                if work_stance[i] is not None:
                    cnt[work_stance[i]] += weights[i]
            lean.append(min(cnt.items(), key=lambda kv: (-kv[1], kv[0]))[0] if cnt else None)
        key_to_group: dict[tuple[int, str | None], int] = {}
        out = np.zeros(k, dtype=np.int64)
        for c in range(k):
            g = (int(groups[c]), lean[c])
            out[c] = key_to_group.setdefault(g, len(key_to_group))
        return out

    # ------------------------------------------------------------------ build output
    def _build(
        self,
        model: ThemeModel,
        labels: np.ndarray,
        groups: np.ndarray,
        emb: np.ndarray,
        work_texts: list[str],
        work_members: list[list[int]],
        weights: np.ndarray,
        row_ids: list[Any],
        row_stance: list[str | None],
        has_stance: bool,
        work_stance: list[str | None],
        prep: Any,
        work_uniques: list[list[int]],
        work_text_idx: list[int],
        n_rows: int,
        threshold: float,
    ) -> None:
        k = int(labels.max()) + 1
        leaf_w = np.array([weights[labels == c].sum() for c in range(k)])
        n_groups = int(groups.max()) + 1
        group_w = np.array([leaf_w[groups == g].sum() for g in range(n_groups)])
        # top-level ids by decreasing size; children after, grouped by parent, by size
        top_order = sorted(range(n_groups), key=lambda g: (-group_w[g], g))
        top_id = {g: i for i, g in enumerate(top_order)}
        leaf_theme: dict[int, int] = {}
        child_parent: list[tuple[int, int]] = []  # (leaf, parent id)
        nxt = n_groups
        for g in top_order:
            leaves = sorted(np.flatnonzero(groups == g).tolist(), key=lambda c: (-leaf_w[c], c))
            if len(leaves) == 1:
                leaf_theme[leaves[0]] = top_id[g]
            else:
                for c in leaves:
                    leaf_theme[c] = nxt
                    child_parent.append((c, top_id[g]))
                    nxt += 1
        n_themes = nxt
        top_labels = np.array([top_id[int(groups[c])] if c >= 0 else -1 for c in labels])
        top_labels = np.where(labels >= 0, top_labels, -1)
        labeller = self.labeller or CTfidfLabeller(encode=self._get_embedder().encode)
        top_lab = labeller.label(work_texts, emb, top_labels, n_groups, weights)
        child_index = {c: j for j, (c, _) in enumerate(child_parent)}
        child_labels = np.array([child_index.get(int(c), -1) if c >= 0 else -1 for c in labels])
        child_lab = labeller.label(work_texts, emb, child_labels, len(child_parent), weights) if child_parent else []
        # siblings start with different phrases, and sub-themes not with their parent's (top-level ids and each
        # parent's children run largest first)
        top_lab = distinct_leads(top_lab)
        children: dict[int, list[int]] = {}
        for j, (_, parent) in enumerate(child_parent):
            children.setdefault(parent, []).append(j)
        for parent, js in children.items():
            leads = distinct_leads([child_lab[j] for j in js], parent=top_lab[parent])
            for j, lab in zip(js, leads, strict=True):
                child_lab[j] = lab
        # theme of every work item (most specific), and members per theme
        work_theme = np.array([leaf_theme[int(c)] if c >= 0 else -1 for c in labels])
        theme_work: list[list[int]] = [[] for _ in range(n_themes)]
        for w, th in enumerate(work_theme):
            if th >= 0:
                theme_work[th].append(w)
        for j, (_c, parent) in enumerate(child_parent):
            theme_work[parent].extend(theme_work[n_groups + j])
        cents = np.zeros((n_themes, emb.shape[1]), dtype=np.float32)
        themes: list[Theme] = []
        for tid in range(n_themes):
            ws = np.array(sorted(theme_work[tid]), dtype=np.int64)
            if tid < n_groups:
                lab, parent = top_lab[tid], None
            else:
                lab, parent = child_lab[tid - n_groups], child_parent[tid - n_groups][1]
            v = (emb[ws] * weights[ws, None]).sum(axis=0)
            cents[tid] = v / (np.linalg.norm(v) or 1.0)
            rows = [i for w in ws.tolist() for i in work_members[w]]
            split: dict[str, int] = {}
            if has_stance:
                cnt = Counter(row_stance[i] or "unknown" for i in rows)
                split = {s: int(cnt[s]) for s in sorted(cnt)}
            sides = {s for s in split if s != "unknown"}
            themes.append(
                Theme(
                    id=tid,
                    parent=parent,
                    label=lab.label,
                    description=lab.description,
                    keywords=lab.keywords,
                    size=len(rows),
                    share=round(len(rows) / n_rows, 4) if n_rows else 0.0,
                    stance_split=split,
                    quotes=[row_ids[work_members[q][0]] for q in lab.quotes],
                    stance=next(iter(sides)) if has_stance and len(sides) == 1 else None,
                )
            )
        # assignments
        for w, th in enumerate(work_theme):
            for i in work_members[w]:
                model.assignments[i]["theme"] = int(th) if th >= 0 else None
        model.themes = themes
        model.centroids = cents
        model.assign_threshold = float(threshold)
        keys: dict[str, int | None] = {}
        for w, us in enumerate(work_uniques):
            if len(work_members[w]) >= 2:
                th = int(work_theme[w]) if work_theme[w] >= 0 else None
                for u in us:
                    keys[dedupe_key(prep.unique_texts[u])] = th
        model.campaign_keys = keys

    # ------------------------------------------------------------------ after fit
    def _fitted(self) -> ThemeModel:
        model = getattr(self, "model_", None)
        if model is None:
            raise RuntimeError("This ThemePipeline is not fitted yet: call fit() first.")
        return model

    def to_dict(self) -> dict[str, Any]:
        return self._fitted().to_dict()

    def assign(self, texts: Sequence[object], stances: Sequence[object] | None = None) -> list[int | None]:
        """Most specific theme (or None) for new answers, without refitting."""
        return self._fitted().assign(texts, self._get_embedder(), stances)

    def save(self, directory: str | os.PathLike[str]) -> Path:
        return self._fitted().save(directory)

    @classmethod
    def load(cls, directory: str | os.PathLike[str], embedder: Embedder | None = None) -> ThemePipeline:
        model = ThemeModel.load(directory)
        pipe = cls(embedder=embedder, random_state=int(model.meta.get("seed", 42)))
        pipe.model_ = model
        pipe.timings_ = dict(model.meta.get("timings", {}))
        return pipe


def cl_default_preprocessor() -> Preprocessor:
    return DefaultPreprocessor()
