"""Function words by language, so that key phrases of answers not written in English leave out their "und", "das"
and "nicht" (or "mae", "yn" and "y") as English answers leave out "and", "the" and "not".

Each answer's language is guessed from the function words it uses (stopwords-iso's lists for 57 languages, and a list
of Welsh's own, which stopwords-iso lacks): an answer is in another language when that language's function words are
at least two, a quarter of its words and twice as many as its English ones. A language counts only where it is the
guess for at least a tenth of the answers (and three of them), so a headline with "G.O.P." in it is not read as
Slovenian; the answers in no clear language take the most common guess. English function words are always left out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

ENGLISH = "en"
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
    "needs",
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
WORD = re.compile(r"(?u)\b[^\W\d_][\w'-]*[^\W_]\b|\b[^\W\d_]\b")  # words, not numbers
MIN_SHARE = 0.1  # a language counts where it is the guess for this share of the answers
MIN_ANSWERS = 3  # and for this many

# Welsh function words, and verbs used as such (with their mutated forms: bod/fod, cael/gael, gwneud/wneud)
_WELSH = """
    a ac ag am ar at er i o y yr yn yng ym dan dros drwy trwy wrth rhwng tan hyd mewn gyda efo gan heb gyfer cyfer
    ynghylch ynglŷn ynglyn i'r o'r a'r mae'r y'r mae maen oes oedd roedd roeddwn roedden bydd fydd byddai fyddai
    byddwn fyddwn bod fod bo yw ydy ydi ydw ydyn ydych ydynt sy sydd wedi wnaeth wnes gwneud wneud cael gael gall
    gallai gellir dylai dylid dylen rhaid angen eisiau meddwl ei eu ein eich fy dy ni chi nhw hi fe fo e ef mi ti fi
    hun hunain nid ddim dim na nad nac neu ond hefyd os fel pan tra felly achos oherwydd hyn hynny hwn hon honno
    hwnnw yma yno beth pam sut pwy lle pryd faint pob bob rhai eraill arall mwy mwyaf llawer gormod digon iawn
"""
WELSH = frozenset(_WELSH.split())


@lru_cache(maxsize=1)
def _lists() -> dict[str, frozenset[str]]:
    import stopwordsiso

    lists = {lang: frozenset(stopwordsiso.stopwords(lang)) for lang in sorted(stopwordsiso.langs())}
    lists["cy"] = WELSH
    return lists


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[str, ...]]:
    """Each function word -> the languages whose list holds it (English's being the one phrases leave out)."""
    lists = dict(_lists())
    lists[ENGLISH] = STOP_WORDS
    index: dict[str, list[str]] = {}
    for lang, words in lists.items():
        for word in words:
            index.setdefault(word, []).append(lang)
    return {word: tuple(langs) for word, langs in index.items()}


def guess(text: str) -> str | None:
    """The language an answer is written in, by its function words: ``"en"``, another ISO 639-1 code, or None when
    it says too few function words to tell."""
    words = WORD.findall(text.lower())
    index = _index()
    said: Counter[str] = Counter()
    for word in words:
        said.update(index.get(word, ()))
    if not said:
        return None
    english = said[ENGLISH]
    lang, n = max(said.items(), key=lambda kv: (kv[1], kv[0] == ENGLISH, kv[0]))
    if english >= n:
        return ENGLISH
    if n >= 2 and n >= 2 * english and n >= 0.25 * len(words):
        return lang
    return None


def languages_of(texts: Sequence[str]) -> list[str]:
    """The language of each answer, read against the whole set (see the module's description)."""
    guesses = [guess(t) for t in texts]
    counts = Counter(g for g in guesses if g is not None)
    floor = max(MIN_ANSWERS, MIN_SHARE * len(texts))
    present = {lang for lang, n in counts.items() if n >= floor} | {ENGLISH}
    common = max(
        (lang for lang in counts if lang in present), key=lambda lang: (counts[lang], lang == ENGLISH), default=ENGLISH
    )
    return [g if g in present else common for g in guesses]


@lru_cache(maxsize=64)
def stop_words(lang: str) -> frozenset[str]:
    """The words key phrases leave out in answers written in ``lang``: English's always, and that language's."""
    return STOP_WORDS if lang == ENGLISH else STOP_WORDS | _lists().get(lang, frozenset())
