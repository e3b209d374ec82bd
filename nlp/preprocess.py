"""Preprocess step: normalise text, bucket non-substantive answers, find duplicates/campaigns."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

MAX_CHARS = 5000  # longer answers are cut (the model reads at most 256 word pieces anyway)

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]{0,2000}>", re.IGNORECASE | re.DOTALL)
_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u2060\ufeff]")
_KEY_DROP = re.compile(r"[^\w]+", re.UNICODE)

_NS_PHRASES = frozenset(
    p.strip()
    for p in [
        "no",
        "nope",
        "nah",
        "none",
        "nothing",
        "nil",
        "na",
        "n a",
        "not applicable",
        "no comment",
        "no comments",
        "no further comment",
        "no further comments",
        "nothing to add",
        "nothing else",
        "nothing further",
        "nothing more",
        "not sure",
        "unsure",
        "dont know",
        "don t know",
        "do not know",
        "idk",
        "no idea",
        "no opinion",
        "yes",
        "yeah",
        "yep",
        "ok",
        "okay",
        "fine",
        "agree",
        "agreed",
        "i agree",
        "disagree",
        "i disagree",
        "strongly agree",
        "strongly disagree",
        "same as above",
        "see above",
        "as above",
        "see previous answer",
        "see previous",
        "as before",
        "ditto",
        "test",
        "testing",
        "asdf",
        "x",
        "xx",
        "xxx",
        "no thanks",
        "no thank you",
        "thank you",
        "thanks",
        "all good",
        "neutral",
        "maybe",
        "none at the moment",
        "not at this time",
        "no not really",
        "not really",
        "nothing at all",
        "none really",
        "no none",
        "n/a",
        "-",
        "--",
        ".",
        "?",
    ]
)


def normalise(text: object) -> str:
    """Unicode NFKC, HTML tags and entities removed, control characters dropped, whitespace
    collapsed, cut to :data:`MAX_CHARS` characters. Emoji and other scripts are kept."""
    if text is None:
        return ""
    if isinstance(text, float) and np.isnan(text):
        return ""
    s = str(text)
    if "<" in s and ">" in s:
        s = _TAG.sub(" ", s)
    if "&" in s:
        s = html.unescape(s)
    s = unicodedata.normalize("NFKC", s)
    s = _CONTROL.sub("", s)
    s = _WS.sub(" ", s).strip()
    if len(s) > MAX_CHARS:
        cut = s[:MAX_CHARS]
        space = cut.rfind(" ")
        s = cut[:space] if space > MAX_CHARS * 0.8 else cut
    return s


_INTENSITY = re.compile(r"^(?:strongly|tend\s+to|somewhat|slightly|mostly)[\s_]+(?=\S)", re.IGNORECASE)


def stance_side(value: object) -> str | None:
    """The side an answer's stance puts it on, or None when it gives none (empty, missing). Whitespace is tidied and a
    five-point scale's intensity is folded in, so "Strongly support" and "Tend to support" count as "Support" (written
    as the value's first letter was) and only disagreement separates answers: "Neither support nor oppose" and "Don't
    know" stay sides of their own."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = " ".join(str(value).split())
    if not s:
        return None
    side = _INTENSITY.sub("", s)
    if side != s and s[0].isupper():
        side = side[0].upper() + side[1:]
    return side


def dedupe_key(text: str) -> str:
    """Key for exact duplicates: case, punctuation and spacing ignored."""
    return _KEY_DROP.sub(" ", text.casefold()).strip()


def is_non_substantive(text: str) -> bool:
    """Empty answers and stock replies ("no", "n/a", "agree", "no comment", ...)."""
    key = dedupe_key(text)
    if not key:
        return True
    if key in _NS_PHRASES or text.strip().lower() in _NS_PHRASES:
        return True
    # a single repeated character or only digits
    return bool(len(set(key.replace(" ", ""))) <= 1 or key.replace(" ", "").isdigit())


@dataclass
class Prepared:
    """Result of preprocessing one group of answers.

    ``unique_texts`` are the texts that are embedded and clustered (one per duplicate group);
    ``row_to_unique[i]`` is the unique index of row ``i`` or -1 for non-substantive rows;
    ``counts[u]`` is how many rows unique text ``u`` stands for.
    """

    texts: list[str]
    non_substantive: list[int]
    unique_texts: list[str]
    row_to_unique: np.ndarray
    counts: np.ndarray
    members: list[list[int]] = field(default_factory=list)


class Preprocessor(Protocol):
    def prepare(self, texts: Sequence[object]) -> Prepared: ...  # pragma: no cover


class DefaultPreprocessor:
    """Normalise, bucket non-substantive answers and merge exact duplicates (case/punctuation
    insensitive). Near-duplicates are merged later, once embeddings exist
    (:func:`near_duplicate_groups`)."""

    def __init__(self, min_words: int = 1) -> None:
        self.min_words = min_words

    def prepare(self, texts: Sequence[object]) -> Prepared:
        norm = [normalise(t) for t in texts]
        non_sub: list[int] = []
        row_to_unique = np.full(len(norm), -1, dtype=np.int64)
        key_to_unique: dict[str, int] = {}
        unique_texts: list[str] = []
        members: list[list[int]] = []
        for i, t in enumerate(norm):
            if is_non_substantive(t) or len(t.split()) < self.min_words:
                non_sub.append(i)
                continue
            k = dedupe_key(t) or t
            u = key_to_unique.get(k)
            if u is None:
                u = len(unique_texts)
                key_to_unique[k] = u
                unique_texts.append(t)
                members.append([])
            members[u].append(i)
            row_to_unique[i] = u
        counts = np.array([len(m) for m in members], dtype=np.int64)
        return Prepared(norm, non_sub, unique_texts, row_to_unique, counts, members)


def near_duplicate_groups(
    emb: np.ndarray,
    texts: Sequence[str],
    threshold: float = 0.95,
    min_words: int = 8,
    block: int = 1024,
    knn_indices: np.ndarray | None = None,
) -> np.ndarray:
    """Union-find over pairs of texts of at least ``min_words`` words whose cosine similarity is
    at least ``threshold``. Returns a representative index for every row (itself if alone).

    Uses blocked brute force (exact) for up to 30,000 rows, else the given approximate
    nearest-neighbour indices.
    """
    n = len(texts)
    parent = np.arange(n)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    long_enough = np.array([len(t.split()) >= min_words for t in texts], dtype=bool)
    cand = np.flatnonzero(long_enough)
    if len(cand) < 2:
        return parent
    pairs: list[tuple[int, int]] = []
    if knn_indices is None or len(cand) <= 30000:
        sub = emb[cand]
        for s in range(0, len(cand), block):
            sims = sub[s : s + block] @ sub.T
            rows, cols = np.nonzero(sims >= threshold)
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                a, b = cand[s + r], cand[c]
                if a < b:
                    pairs.append((a, b))
    else:
        for a in cand.tolist():
            for b in knn_indices[a].tolist():
                if b > a and long_enough[b] and float(emb[a] @ emb[b]) >= threshold:
                    pairs.append((a, b))
    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(n)])
