"""Label step: c-TF-IDF key phrases, a short label, an extractive description, quotes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from .languages import STOP_WORDS, WORD, languages_of, stop_words
from .refine import centroids

DESCRIPTION_CHARS = 240
LABEL_CHARS = 60
EXTRA_WORD_COST = 0.1  # a phrase of more words must be this much closer in meaning per word to come first
SAME_MEANING = 0.75  # a key phrase this close in meaning to an earlier one is left out
ABSORB = 0.6  # a phrase of several words is a set phrase when said at least this often as each of its words
_JOINING = frozenset({"of", "and", "in", "on", "for", "to", "the", "a", "an", "at", "by", "with", "from"})


def phrases_of(text: str, longest: int = 3, stop: frozenset[str] = STOP_WORDS) -> list[str]:
    """The words and phrases (up to ``longest`` words) an answer says, as written: a phrase
    neither starts nor ends with a stop word but may hold a joining one ("cost of living"), and
    words are never joined across a stop word left out (no "appointment northbrook weeks" from
    "an appointment in Northbrook for weeks"). ``stop``: the function words of the answer's
    language (see :mod:`nlp.languages`), English's by default."""
    words = WORD.findall(text.lower())
    out: list[str] = []
    for i, word in enumerate(words):
        if word in stop:
            continue
        out.append(word)
        for end in range(i + 2, min(i + longest, len(words)) + 1):
            last = words[end - 1]
            if last not in stop:
                out.append(" ".join(words[i:end]))
            elif last not in _JOINING:  # "drainage are kept" is part of a sentence, not a phrase
                break
    return out


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
    longest: int = 3,
    top_n: int = 10,
) -> list[list[str]]:
    """Top key phrases per theme (see :func:`phrases_of`) by class-based TF-IDF (BERTopic's
    formula: tf normalised per class x log(1 + A / f), A = average words per class), where each
    answer counts a phrase once."""
    mask = labels >= 0
    if n_themes == 0 or not mask.any():
        return [[] for _ in range(n_themes)]
    kept = np.flatnonzero(mask)
    kept_texts = [texts[i] for i in kept]
    said = [
        phrases_of(text, longest, stop_words(lang))
        for text, lang in zip(kept_texts, languages_of(kept_texts), strict=True)
    ]
    try:
        vec = CountVectorizer(analyzer=lambda phrases: phrases, max_features=200_000, binary=True)
        # how many answers say each phrase (counted answer by answer, so that no phrase runs from the end of one
        # answer into the next, and one long answer repeating a word does not make it the theme's)
        per_answer = vec.fit_transform(said)
    except ValueError:  # only stop words / empty vocabulary
        return [[] for _ in range(n_themes)]
    theme_of = sparse.csr_matrix(
        (np.ones(len(kept)), (labels[kept], np.arange(len(kept)))), shape=(n_themes, len(kept))
    )
    counts = sparse.csr_matrix(theme_of @ per_answer)  # themes x phrases: how many of its answers say each
    vocab = np.asarray(vec.get_feature_names_out())
    index = vec.vocabulary_
    tf = sparse.diags(1.0 / np.maximum(counts.sum(axis=1).A1, 1.0)) @ counts
    f = np.asarray(counts.sum(axis=0)).ravel()
    avg = counts.sum() / max(n_themes, 1)
    idf = np.log(1.0 + avg / np.maximum(f, 1.0))
    scores = sparse.csr_matrix(tf @ sparse.diags(idf))
    out: list[list[str]] = []
    for t in range(n_themes):
        row = scores.getrow(t)
        if row.nnz == 0:
            out.append([])
            continue
        said_row = counts.getrow(t)
        said = dict(zip(said_row.indices.tolist(), said_row.data.tolist(), strict=True))
        order = row.indices[np.argsort(-row.data, kind="stable")]
        ranked = [str(vocab[j]) for j in order[: top_n * 6]]
        out.append(_distinct_phrases(ranked, lambda p, said=said: said.get(index.get(p, -1), 0.0), top_n))
    return out


def _base(word: str) -> str:
    """A word without its possessive or plural "s", so "jobs" repeats "job" and "wku's" repeats "wku"."""
    word = word.removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _bases(words: tuple[str, ...]) -> set[str]:
    return {_base(w) for w in words if w not in STOP_WORDS}


def _within(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """True when the words ``short`` occur in that order, adjacent, inside ``long``."""
    n = len(short)
    return any(long[i : i + n] == short for i in range(len(long) - n + 1))


def _distinct_phrases(ranked: list[str], said: Callable[[str], float], top_n: int) -> list[str]:
    """Up to ``top_n`` phrases from ``ranked`` (best first), none sharing a word with another (a
    plural counts as its singular); ``said`` gives how many of the theme's answers say a phrase.
    A phrase of two or more words is kept only as a set phrase, said by two answers or more and
    nearly as often as each of its words, and then it takes their place: "bowling green" rather
    than "bowling" and "green", but not "dog towpath day" when "dog" is said far more often."""
    chosen: list[tuple[str, ...]] = []
    for phrase in ranked:
        words = tuple(phrase.split())
        if len(words) > 1 and said(phrase) < max(2.0, ABSORB * max(said(w) for w in words if w not in STOP_WORDS)):
            continue
        bases = _bases(words)
        overlap = [i for i, w in enumerate(chosen) if bases & _bases(w)]
        if not overlap:
            chosen.append(words)
        elif all(_within(chosen[i], words) for i in overlap):
            chosen[overlap[0]] = words
            chosen = [w for i, w in enumerate(chosen) if i not in overlap[1:]]
        if len(chosen) >= top_n:
            break
    return [" ".join(w) for w in chosen]


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


def label_phrases(lab: ThemeLabel) -> list[str]:
    """The key phrases a label shows (the first of its keywords, as many as fit in it)."""
    shown = {part.strip().lower() for part in lab.label.rstrip("…").split(",")}
    return [k for k in lab.keywords[:3] if k.lower() in shown]


def distinct_leads(siblings: Sequence[ThemeLabel], span: int = 3, parent: ThemeLabel | None = None) -> list[ThemeLabel]:
    """Labels of sibling themes, largest first, changed so that no two start with the same phrase: a theme whose
    first key phrase already starts a larger sibling's label starts with the next of its first ``span`` phrases that
    does not (so "Austerity regime, debts, future generations" beside "Austerity regime, deficits, budget" becomes
    "Debts, austerity regime, future generations"). A list of themes can then be told apart by its first words. A label
    is left as it is when each of those phrases already starts a larger sibling's.

    Sub-themes of ``parent`` also do not start with a phrase its label shows, looking that many phrases further, so a
    sub-theme holding most of its parent's answers is not listed beneath it under the same label ("War, iraq,
    hussein" under "Iraq, hussein, troops", not "Iraq, hussein, troops" again)."""
    taken: set[str] = set(label_phrases(parent)) if parent is not None else set()
    reach = span + len(taken)
    out: list[ThemeLabel] = []
    for lab in siblings:
        kws = lab.keywords
        if kws and kws[0] in taken:
            lead = next((k for k in kws[1:reach] if k not in taken), None)
            if lead is not None:
                kws = [lead, *(k for k in kws if k != lead)]
                lab = replace(lab, keywords=kws, label=_short_label(kws, lab.description))
        if lab.keywords:
            taken.add(lab.keywords[0])
        out.append(lab)
    return out


class CTfidfLabeller:
    """c-TF-IDF key phrases (see :func:`phrases_of`), a label from the top phrases, 3-5 varied
    central quotes, and the most central of them as description.

    encode: optional ``texts -> unit vectors`` (an embedder's ``encode``). When given, the
    c-TF-IDF candidates are put in order of closeness in meaning to the theme's centre, so the
    label leads with what the theme is about rather than words its answers merely share
    ("Public transportation, buses, roads" rather than "Traffic, bg, roads"). ``candidates``
    times ``top_n_words`` c-TF-IDF phrases are considered for each theme."""

    def __init__(
        self,
        top_n_words: int = 8,
        n_quotes: int = 5,
        diversity: float = 0.35,
        encode: Callable[[Sequence[str]], np.ndarray] | None = None,
        candidates: int = 3,
    ) -> None:
        self.top_n_words = top_n_words
        self.n_quotes = n_quotes
        self.diversity = diversity
        self.encode = encode
        self.candidates = candidates

    def label(
        self,
        texts: Sequence[str],
        emb: np.ndarray,
        labels: np.ndarray,
        n_themes: int,
        weights: np.ndarray | None = None,
    ) -> list[ThemeLabel]:
        pool = self.top_n_words * (self.candidates if self.encode is not None else 1)
        keywords = ctfidf(texts, labels, n_themes, top_n=pool)
        centres = centroids(emb, labels, n_themes, weights if weights is not None else np.ones(len(labels)))
        if self.encode is not None:
            keywords = self._closest_in_meaning(keywords, centres)
        out: list[ThemeLabel] = []
        for t in range(n_themes):
            idx = np.flatnonzero(labels == t)
            if len(idx) == 0:
                out.append(ThemeLabel("Other", "", [], []))
                continue
            quotes = mmr_quotes(emb, centres[t], idx, k=self.n_quotes, diversity=self.diversity)
            # the most central quote not typed all in lower or all in upper case (the most central when all are)
            readable = [q for q in quotes if texts[q] not in (texts[q].lower(), texts[q].upper())]
            description = trim(texts[(readable or quotes)[0]], DESCRIPTION_CHARS) if quotes else ""
            out.append(
                ThemeLabel(
                    label=_short_label(keywords[t], description),
                    description=description,
                    keywords=keywords[t],
                    quotes=quotes,
                )
            )
        return out

    def _closest_in_meaning(self, keywords: list[list[str]], centres: np.ndarray) -> list[list[str]]:
        """Each theme's candidate phrases, closest to its centre first (a longer phrase needs to be
        clearly closer), each unlike the ones before it, cut to ``top_n_words``."""
        assert self.encode is not None
        phrases = sorted({p for kws in keywords for p in kws})
        if not phrases:
            return keywords
        vectors = np.asarray(self.encode(phrases), dtype=np.float32)
        row = {p: i for i, p in enumerate(phrases)}
        out: list[list[str]] = []
        for t, kws in enumerate(keywords):
            vecs = vectors[[row[p] for p in kws]] if kws else np.zeros((0, vectors.shape[1]), np.float32)
            chosen: list[int] = []
            extra_words = np.array([len(p.split()) - 1 for p in kws], dtype=np.float32)
            closeness = vecs @ centres[t] - EXTRA_WORD_COST * extra_words
            for i in np.argsort(-closeness, kind="stable").tolist():
                # a phrase this close to one already chosen says nothing new
                if not chosen or float((vecs[chosen] @ vecs[i]).max()) < SAME_MEANING:
                    chosen.append(i)
                if len(chosen) >= self.top_n_words:
                    break
            out.append([kws[i] for i in chosen])
        return out
