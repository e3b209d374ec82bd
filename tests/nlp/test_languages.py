import numpy as np

from nlp.label import ctfidf, phrases_of
from nlp.languages import guess, languages_of, stop_words

GERMAN = {
    "radwege": [
        "Die Radwege in der Innenstadt sind zu schmal und das ist gefährlich",
        "Es gibt nicht genug Radwege, und die vorhandenen Radwege sind kaputt",
        "Ich fahre jeden Tag mit dem Rad, aber die Radwege enden einfach an der Kreuzung",
        "Wir brauchen sichere Radwege für die Kinder auf dem Weg zur Schule",
        "Die Radwege müssen vom Autoverkehr getrennt werden, das ist nicht schwer",
        "Auf den Radwegen parken immer Lieferwagen und das ärgert mich sehr",
    ],
    "mieten": [
        "Die Mieten sind viel zu hoch und junge Familien können sich keine Wohnung leisten",
        "Es gibt nicht genug Wohnungen, und die Mieten steigen jedes Jahr",
        "Ich zahle die Hälfte meines Einkommens für die Miete, das ist nicht fair",
        "Die Stadt soll mehr Sozialwohnungen bauen, damit die Mieten sinken",
        "Leerstehende Wohnungen sollten vermietet werden, die Mieten sind zu hoch",
        "Wir haben eine Wohnung gesucht und nach einem Jahr keine gefunden",
    ],
}
WELSH = [
    "Mae angen mwy o fysiau yn y pentref gyda'r nos",
    "Dylai'r bysiau redeg yn amlach i'r ysbyty",
    "Does dim bws ar ddydd Sul ac mae hynny yn broblem i ni",
    "Mae'r bysiau yn rhy ddrud i bobl ifanc yn y dref",
    "Rydw i eisiau bws sydd yn mynd i'r orsaf bob awr",
]
ENGLISH = [
    "The buses to the hospital are far too infrequent in the evening",
    "There is no bus on a Sunday and that is a problem for older people",
    "Bus fares are too expensive for young people in the town",
    "I would like a bus that goes to the station every hour",
    "The bus timetable is never right and the shelters are broken",
]
FUNCTION_WORDS = {"die", "der", "das", "und", "nicht", "ist", "zu", "es", "ich", "wir", "sind", "mae", "yn", "y", "i'r"}


def test_answers_are_read_in_the_language_they_are_written_in():
    assert guess(GERMAN["radwege"][0]) == "de"
    assert guess(WELSH[0]) == "cy"
    assert guess(ENGLISH[0]) == "en"
    assert guess("Traffic calming") is None  # no function words: cannot tell
    # headlines whose initials or keywords look like another language's function words stay English
    headlines = ["BUDGET STANDOFF DEEPENS AS G.O.P. CALLS OFF TALKS", "Clinton Visits Bosnia to Thank the G.I.'s"]
    assert languages_of(headlines + ENGLISH * 4) == ["en"] * (len(headlines) + 20)


def test_a_language_counts_only_where_enough_answers_are_written_in_it():
    few = ENGLISH * 10 + GERMAN["mieten"][:2]  # 2 of 52: not a language of this consultation
    assert set(languages_of(few)) == {"en"}
    mixed = WELSH * 2 + ENGLISH * 2
    assert languages_of(mixed) == ["cy"] * 10 + ["en"] * 10
    # an answer too short to tell takes the consultation's most common language
    assert languages_of([*GERMAN["radwege"], "Mehr Radwege"])[-1] == "de"


def test_key_phrases_leave_out_another_languages_function_words():
    texts = GERMAN["radwege"] + GERMAN["mieten"]
    labels = np.array([0] * 6 + [1] * 6)
    keywords = ctfidf(texts, labels, 2, top_n=6)
    said = {w for kws in keywords for kw in kws for w in kw.split()}
    assert not said & FUNCTION_WORDS, keywords
    assert "radwege" in keywords[0][:2]
    assert "mieten" in keywords[1][:2]
    # English function words are still left out of German answers, and German's are not left out of English ones
    assert "the" not in phrases_of("the Radwege", stop=stop_words("de"))
    assert "die" in phrases_of("die hard", stop=stop_words("en"))


def test_a_bilingual_consultation_gets_key_phrases_in_both_languages():
    texts = WELSH * 2 + ENGLISH * 2  # each answer twice, as if two residents wrote it
    labels = np.array([0] * 10 + [1] * 10)
    welsh, english = ctfidf(texts, labels, 2, top_n=5)
    assert not {w for kw in welsh for w in kw.split()} & FUNCTION_WORDS, welsh
    assert {"bysiau", "bws"} & set(welsh), welsh
    assert "bus" in english, english
