"""Key phrases and labels: what a councillor reads first about a theme."""

import numpy as np

from nlp.label import CTfidfLabeller, ThemeLabel, ctfidf, distinct_leads, phrases_of


def _themes(*groups: list[str]) -> tuple[list[str], np.ndarray]:
    texts = [t for g in groups for t in g]
    labels = np.array([i for i, g in enumerate(groups) for _ in g])
    return texts, labels


OTHER = ["school places are short", "school run traffic", "new school buildings", "school meals cost"]


def test_phrases_are_as_written():
    said = phrases_of("It took an appointment in Northbrook three weeks, and the cost of living drainage are kept")
    assert "appointment in northbrook" in said and "cost of living" in said
    assert "appointment northbrook" not in said  # words are never joined across a left-out stop word
    assert not any(p.startswith(("an ", "in ", "the ")) or p.endswith((" in", " of", " are")) for p in said)
    assert "drainage are kept" not in said  # a joining word may sit inside a phrase; other stop words may not


def test_a_name_said_often_is_kept_whole():
    texts, labels = _themes(
        [
            "Bowling Green deserves an ice rink",
            "an ice rink for Bowling Green",
            "Bowling Green has no skating",
            "Bowling Green lacks an ice rink",
        ],
        OTHER,
    )
    keywords = ctfidf(texts, labels, 2, top_n=5)[0]
    assert "bowling green" in keywords
    assert "bowling" not in keywords and "green" not in keywords
    assert "ice rink" in keywords and "ice" not in keywords


def test_a_plural_does_not_repeat_its_singular():
    texts, labels = _themes(["more jobs", "jobs for young people", "a job near home", "better paid jobs"], OTHER)
    keywords = ctfidf(texts, labels, 2, top_n=10)[0]
    assert keywords[0] == "jobs" and "job" not in keywords


def test_no_phrase_runs_from_one_answer_into_the_next():
    texts, labels = _themes(["more trees wanted", "cycle lanes wanted", "trees wanted", "cycle lanes"], OTHER)
    for phrases in ctfidf(texts, labels, 2, top_n=10):
        for phrase in phrases:
            assert "wanted cycle" not in phrase, phrase


def test_a_phrase_of_one_answer_only_is_not_a_key_phrase():
    texts, labels = _themes(
        [
            "potholes on every road",
            "potholes damage bikes",
            "fix the potholes",
            "deep potholes near the crumbling bridge",
        ],
        OTHER,
    )
    keywords = ctfidf(texts, labels, 2, top_n=10)[0]
    assert keywords[0] == "potholes"
    assert not any(len(k.split()) > 1 for k in keywords), keywords


def test_key_phrases_lead_with_what_the_theme_means_and_say_each_thing_once():
    # answers all point one way (the theme's centre); the phrases are placed by hand around it
    centre = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    texts, labels = _themes(
        ["late bus", "late buses again", "late timetable", "late timetable again"],
        ["school school", "school again", "school run", "school meals"],
    )
    emb = np.tile(centre, (8, 1))
    emb[4:] = [0.0, 0.0, 0.0, 1.0]

    def unit(*v: float) -> np.ndarray:
        a = np.array(v, dtype=np.float32)
        return a / np.linalg.norm(a)

    placed = {
        "bus": unit(1.0, 0.1, 0.0, 0.0),  # closest to the centre
        "buses": unit(1.0, 0.12, 0.0, 0.0),
        "timetable": unit(0.6, 0.0, 0.8, 0.0),
        "late": unit(0.2, 0.98, 0.0, 0.0),  # shared by every answer, but says little
    }

    def encode(phrases):
        return np.array([placed.get(p, unit(0.0, 0.0, 0.0, 1.0)) for p in phrases])

    plain = CTfidfLabeller().label(texts, emb, labels, 2)[0]
    by_meaning = CTfidfLabeller(encode=encode).label(texts, emb, labels, 2)[0]
    assert plain.keywords[0] == "late"
    assert by_meaning.keywords[0] == "bus"
    assert by_meaning.keywords.index("timetable") < by_meaning.keywords.index("late")
    assert by_meaning.label.startswith(by_meaning.keywords[0].capitalize())
    # "buses" means what "bus" means: it is left out
    assert "buses" in plain.keywords and "buses" not in by_meaning.keywords


def test_the_description_is_a_central_answer_written_in_sentence_case_where_one_is():
    texts, labels = _themes(
        ["the bus is always late", "The bus is late most days", "BUS LATE AGAIN", "bus late"], OTHER
    )
    emb = np.zeros((len(texts), 4), dtype=np.float32)
    emb[:, 3] = 1.0  # the other theme
    # the first answer, all lower case, is at the centre of the three around it
    emb[:4] = [[1.0, 0.0, 0.0, 0.0], [1.0, 0.3, 0.0, 0.0], [1.0, -0.15, 0.26, 0.0], [1.0, -0.15, -0.26, 0.0]]
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    first = CTfidfLabeller().label(texts, emb, labels, 2)[0]
    assert texts[first.quotes[0]] == "the bus is always late"
    assert first.description == "The bus is late most days"
    only_lower = CTfidfLabeller().label([t.lower() for t in texts], emb, labels, 2)[0]
    assert only_lower.description == "the bus is always late"  # none better: the most central one


def _label(*keywords: str) -> ThemeLabel:
    return ThemeLabel(
        label=", ".join(keywords).capitalize(), description="A central answer.", keywords=list(keywords), quotes=[0]
    )


def test_sibling_themes_start_with_different_phrases():
    siblings = [
        _label("austerity regime", "deficits", "budget"),
        _label("austerity regime", "debts", "future generations"),
        _label("austerity regime", "debts", "savings"),
        _label("welfare", "poverty", "nhs"),
    ]
    out = distinct_leads(siblings)
    assert [t.label for t in out] == [
        "Austerity regime, deficits, budget",  # the largest keeps its label
        "Debts, austerity regime, future generations",
        "Savings, austerity regime, debts",  # "debts" now starts a larger sibling's label
        "Welfare, poverty, nhs",
    ]
    # nothing is lost: each theme keeps all its key phrases, and its description and quotes
    assert [sorted(t.keywords) for t in out] == [sorted(t.keywords) for t in siblings]
    assert all(t.description == "A central answer." and t.quotes == [0] for t in out)


def test_a_label_whose_phrases_all_start_larger_siblings_is_left_alone():
    siblings = [_label("traffic", "parking"), _label("parking", "traffic"), _label("traffic", "parking", "noise")]
    out = distinct_leads(siblings, span=2)
    assert [t.keywords[0] for t in out] == ["traffic", "parking", "traffic"]
    assert out[2] == siblings[2]


def test_a_sub_theme_is_not_labelled_like_its_parent():
    parent = _label("iraq", "hussein", "troops")
    children = [
        _label("iraq", "hussein", "troops", "war"),  # most of the parent's answers: same top phrases
        _label("iran", "tehran", "ayatollah"),
        _label("hussein", "baghdad", "weapons"),
    ]
    out = distinct_leads(children, parent=parent)
    assert [t.label for t in out] == [
        "War, iraq, hussein",  # looks past the three phrases its parent's label shows
        "Iran, tehran, ayatollah",
        "Baghdad, hussein, weapons",
    ]
    assert all(t.label != parent.label for t in out)
    assert [sorted(t.keywords) for t in out] == [sorted(t.keywords) for t in children]
