"""Label step: c-TF-IDF key phrases, a short label, an extractive description, quotes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

DESCRIPTION_CHARS = 240
LABEL_CHARS = 60
_EXTRA_STOP = {
    "just",
    "like",
    "think",
    "really",
    "don",
    "doesn",
    "didn",
    "isn",
    "im",
    "ve",
    "ll",
    "dont",
    "make",
    "need",
    "want",
    "people",
    "lt",
    "gt",
    "quot",
    "amp",
    "nbsp",
    "http",
    "https",
    "www",
    "com",
}
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS | _EXTRA_STOP)
_WORD_PATTERN = r"(?u)\b[^\W\d_][\w'-]*[^\W_]\b|\b[^\W\d_]\b"  # words, not numbers


@dataclass
class ThemeLabel:
    label: str
    description: str
    keywords: list[str]
    quotes: list[int]  # indices into the unique texts


class Labeller(Protocol):
    def label(
        self,
        texts: Sequence[str],
        emb: np.ndarray,
        labels: np.ndarray,
        n_themes: int,
        weights: np.ndarray | None = None,
    ) -> list[ThemeLabel]: ...  # pragma: no cover


def trim(text: str, limit: int) -> str:
    """Cut at a word boundary and add an ellipsis when the text is longer than ``limit``."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def ctfidf(
    texts: Sequence[str],
    labels: np.ndarray,
    n_themes: int,
    ngram_range: tuple[int, int] = (1, 3),
    top_n: int = 10,
) -> list[list[str]]:
    """Top key phrases per theme by class-based TF-IDF (BERTopic's formula:
    tf normalised per class x log(1 + A / f), A = average words per class)."""
    mask = labels >= 0
    if n_themes == 0 or not mask.any():
        return [[] for _ in range(n_themes)]
    docs = [""] * n_themes
    parts: list[list[str]] = [[] for _ in range(n_themes)]
    for t, lab in zip(texts, labels, strict=True):
        if lab >= 0:
            parts[lab].append(t)
    docs = [" ".join(p) for p in parts]
    try:
        vec = CountVectorizer(
            ngram_range=ngram_range,
            stop_words=list(STOP_WORDS),
            token_pattern=_WORD_PATTERN,
            lowercase=True,
            min_df=1,
            max_features=200_000,
        )
        counts = vec.fit_transform(docs)
    except ValueError:  # only stop words / empty vocabulary
        return [[] for _ in range(n_themes)]
    vocab = np.asarray(vec.get_feature_names_out())
    counts = sparse.csr_matrix(counts, dtype=np.float64)
    tf = sparse.diags(1.0 / np.maximum(counts.sum(axis=1).A1, 1.0)) @ counts
    f = np.asarray(counts.sum(axis=0)).ravel()
    avg = counts.sum() / max(n_themes, 1)
    idf = np.log(1.0 + avg / np.maximum(f, 1.0))
    scores = sparse.csr_matrix(tf @ sparse.diags(idf))
    # favour phrases that occur in several answers of the theme, not one long answer
    out: list[list[str]] = []
    for t in range(n_themes):
        row = scores.getrow(t)
        if row.nnz == 0:
            out.append([])
            continue
        order = row.indices[np.argsort(-row.data, kind="stable")]
        chosen: list[str] = []
        for j in order[: top_n * 6]:
            phrase = str(vocab[j])
            if any(phrase in c or c in phrase for c in chosen):
                # keep the longer phrase only if it is clearly better: here, first wins
                continue
            chosen.append(phrase)
            if len(chosen) >= top_n:
                break
        out.append(chosen)
    return out


def mmr_quotes(
    emb: np.ndarray,
    centroid: np.ndarray,
    candidates: np.ndarray,
    k: int = 5,
    diversity: float = 0.35,
    pool: int = 60,
) -> list[int]:
    """Pick up to ``k`` indices that are central yet different from each other (maximal
    marginal relevance). ``candidates`` are indices into ``emb``."""
    if len(candidates) == 0:
        return []
    central = emb[candidates] @ centroid
    order = candidates[np.argsort(-central, kind="stable")][:pool]
    sims_c = emb[order] @ centroid
    chosen = [0]
    while len(chosen) < min(k, len(order)):
        sel = emb[order[chosen]]
        redund = (emb[order] @ sel.T).max(axis=1)
        score = (1 - diversity) * sims_c - diversity * redund
        score[chosen] = -np.inf
        nxt = int(np.argmax(score))
        if not np.isfinite(score[nxt]):
            break
        chosen.append(nxt)
    return [int(order[i]) for i in chosen]


def _short_label(keywords: list[str], fallback: str) -> str:
    if not keywords:
        return trim(fallback, LABEL_CHARS) if fallback else "Other"
    parts: list[str] = []
    for kw in keywords[:3]:
        candidate = ", ".join([*parts, kw])
        if len(candidate) > LABEL_CHARS and parts:
            break
        parts.append(kw)
    label = ", ".join(parts)
    return trim(label[:1].upper() + label[1:], LABEL_CHARS)


class CTfidfLabeller:
    """c-TF-IDF keywords (1-3-grams, English stop words removed), a label from the top key
    phrases, the most central answer as description, and 3-5 varied central quotes."""

    def __init__(self, top_n_words: int = 8, n_quotes: int = 5, diversity: float = 0.35) -> None:
        self.top_n_words = top_n_words
        self.n_quotes = n_quotes
        self.diversity = diversity

    def label(
        self,
        texts: Sequence[str],
        emb: np.ndarray,
        labels: np.ndarray,
        n_themes: int,
        weights: np.ndarray | None = None,
    ) -> list[ThemeLabel]:
        keywords = ctfidf(texts, labels, n_themes, top_n=self.top_n_words)
        out: list[ThemeLabel] = []
        for t in range(n_themes):
            idx = np.flatnonzero(labels == t)
            if len(idx) == 0:
                out.append(ThemeLabel("Other", "", [], []))
                continue
            w = weights[idx] if weights is not None else np.ones(len(idx))
            c = (emb[idx] * w[:, None]).sum(axis=0)
            c = c / (np.linalg.norm(c) or 1.0)
            quotes = mmr_quotes(emb, c, idx, k=self.n_quotes, diversity=self.diversity)
            description = trim(texts[quotes[0]], DESCRIPTION_CHARS) if quotes else ""
            out.append(
                ThemeLabel(
                    label=_short_label(keywords[t], description),
                    description=description,
                    keywords=keywords[t],
                    quotes=quotes,
                )
            )
        return out
