"""The numbers a councillor reads on the summary page and the public on the results page, for a small fixed set of
answers placed in themes by hand; and that a change (a withdrawn response, an analyst's move, a moderator hiding an
answer, a new response) shows on the very next request."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from engage.db import db, utcnow
from tests.conftest import post_form, sign_in

STRONGLY_OPPOSE, OPPOSE, SUPPORT, NEUTRAL = "strongly_oppose", "oppose", "support", "neutral"


def _respond(consultation, n, text, ward="", kind="resident", choice=None, status="valid", hidden=False, at=None):
    from engage.models.consultations import Answer, Response, ResponseStatus

    stance_q, why = consultation.questions[0], consultation.questions[1]
    response = Response(
        consultation_id=consultation.id,
        reference=f"N{consultation.id}-{n:04d}",
        idempotency_key=f"numbers-{consultation.id}-{n}",
        respondent_type=kind,
        ward=ward,
        status=ResponseStatus(status),
        submitted_at=at or utcnow(),
    )
    db.session.add(response)
    db.session.flush()
    if choice:
        db.session.add(Answer(response_id=response.id, question_id=stance_q.id, choices=[choice]))
    answer = Answer(response_id=response.id, question_id=why.id, text=text, redacted_text=text, hidden=hidden)
    db.session.add(answer)
    db.session.flush()
    return answer.id


@pytest.fixture
def fixed(app, consultation_factory, make_user, council):
    """33 counted answers in hand-made themes: Parking (6, and its sub-theme Parking permits 5), Trees 7, a hidden
    theme Bin collections 5, Other 10 of which 5 are not substantive; plus a withdrawn, a duplicate and a hidden
    answer that never count. A campaign of 5 counted Trees answers (and the duplicate and hidden ones)."""
    from engage.models.analysis import AnalysisRun, RunStatus, Theme, ThemeAssignment, ThemeSet

    app.config["NLP_EMBEDDER"] = "fake"
    consultation = consultation_factory()
    n = iter(range(1000))
    parking = [
        _respond(consultation, next(n), f"Parking on Mill Lane is impossible {i}", "Abbey", "resident", c)
        for i, c in enumerate([OPPOSE, OPPOSE, STRONGLY_OPPOSE, OPPOSE, SUPPORT, SUPPORT])
    ]
    permits = [
        _respond(consultation, next(n), f"Residents need parking permits {i}", "Castle", "business", STRONGLY_OPPOSE)
        for i in range(5)
    ]
    trees = [
        _respond(consultation, next(n), f"Keep the old trees in the park {i}", ward, "resident", c)
        for i, (ward, c) in enumerate(
            [
                ("Riverside", SUPPORT),
                ("Riverside", SUPPORT),
                ("Riverside", SUPPORT),
                ("Riverside", NEUTRAL),
                ("", NEUTRAL),
                ("", None),
                ("", None),
            ]
        )
    ]
    bins = [
        _respond(consultation, next(n), f"Bins are collected too rarely {i}", "Abbey", "organisation", SUPPORT)
        for i in range(5)
    ]
    other = [
        _respond(consultation, next(n), f"Something else entirely {i}", "Northfield", "not_said") for i in range(5)
    ]
    nothing = [_respond(consultation, next(n), "No comment", "Northfield", "not_said") for _ in range(5)]
    withdrawn = _respond(consultation, next(n), "Parking withdrawn", "Abbey", "resident", OPPOSE, status="withdrawn")
    duplicate = _respond(consultation, next(n), "Keep the trees again", "Riverside", "resident", SUPPORT, "duplicate")
    hidden = _respond(
        consultation, next(n), "Trees, hidden by a moderator", "Riverside", "resident", SUPPORT, hidden=True
    )
    analyst = make_user("analyst", council)
    run = AnalysisRun(council_id=council.id, consultation_id=consultation.id, status=RunStatus.SUCCEEDED, progress=1.0)
    db.session.add(run)
    db.session.flush()
    theme_set = ThemeSet(
        run_id=run.id,
        consultation_id=consultation.id,
        question_id=consultation.questions[1].id,
        is_current=True,
        answer_count=36,
        non_substantive=nothing,
        campaigns=[{"count": 7, "text": "Save the park trees", "ids": [*trees[:5], duplicate, hidden]}],
    )
    db.session.add(theme_set)
    db.session.flush()

    def theme(label, parent=None, hidden_=False, quotes=()):
        t = Theme(
            theme_set_id=theme_set.id,
            label=label,
            parent_id=parent.id if parent else None,
            hidden=hidden_,
            quotes=list(quotes),
            pinned=[],
            keywords=[],
        )
        db.session.add(t)
        db.session.flush()
        return t

    t_parking = theme("Parking", quotes=[permits[2], withdrawn])
    t_permits = theme("Parking permits", parent=t_parking)
    t_trees = theme("Trees", quotes=[trees[3]])
    t_bins = theme("Bin collections", hidden_=True)
    placed = {
        t_parking.id: [*parking, withdrawn],
        t_permits.id: permits,
        t_trees.id: [*trees, duplicate, hidden],
        t_bins.id: bins,
        None: [*other, *nothing],
    }
    for theme_id, ids in placed.items():
        for answer_id in ids:
            db.session.add(ThemeAssignment(theme_set_id=theme_set.id, answer_id=answer_id, theme_id=theme_id))
    db.session.commit()
    ids = {"parking": parking, "permits": permits, "trees": trees, "other": other, "withdrawn": withdrawn}
    themes = {"parking": t_parking.id, "permits": t_permits.id, "trees": t_trees.id, "bins": t_bins.id}
    return consultation, analyst, ids, themes


def _text(response) -> str:
    """The page as words: tags dropped, white space collapsed."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    html = re.sub(r"<head>.*?</head>|<[^>]+>", " ", html, flags=re.S)
    return " ".join(html.replace("&#34;", '"').split())


def _summary(client, consultation) -> str:
    return _text(client.get(f"/analysis/consultations/{consultation.id}/summary"))


def test_the_summary_page_shows_the_counts(client, fixed, make_user, council):
    consultation, _analyst, ids, _themes = fixed
    sign_in(client, make_user("councillor", council))
    text = _summary(client, consultation)
    assert "33 answers." in text
    # at a glance: sub-themes count in their parent; the hidden theme is counted in the total but not shown
    assert "Parking 11 33% Trees 7 21% Other (not in a theme) 5 Not substantive (such as “no comment”) 5" in text
    assert "Bin collections" not in text
    assert "1. Parking 11 answers (33%)" in text and "2. Trees 7 answers (21%)" in text
    assert "Within this theme Parking permits: 5 (15%)" in text
    # for and against: strongly oppose counts as oppose; small numbers are suppressed
    assert "For and against: Support: fewer than 5 (18%), Oppose: 9 (82%)" in text
    assert (
        "For and against: Support: fewer than 5 (43%), Neither: fewer than 5 (29%), Not said: fewer than 5 (29%)"
        in text
    )
    assert "By ward Ward Answers Abbey 6 Castle 5 " in text
    assert "By type of respondent Respondent Answers resident 6 business 5 " in text
    assert "By ward Ward Answers Riverside fewer than 5 Not given fewer than 5 " in text
    # the campaign counts only counted answers (not the duplicate, not the hidden one)
    assert "Save the park trees 5" in text
    # quotes: the chosen one from the sub-theme (not the withdrawn one), then the earliest answers
    parking = text.split("1. Parking")[1].split("2. Trees")[0]
    assert "Residents need parking permits 2" in parking and "Parking withdrawn" not in parking
    assert "Parking on Mill Lane is impossible 0" in parking and "Parking on Mill Lane is impossible 1" in parking


def test_the_numbers_behind_the_page(app_ctx, fixed):
    from engage.analysis import summary

    consultation, _analyst, _ids, themes = fixed
    (qs,) = summary.summarise(consultation, catch_up=False)
    assert (qs.total, qs.other, qs.non_substantive, qs.waiting) == (33, 5, 5, 0)
    assert qs.campaigns == [{"count": 5, "text": "Save the park trees"}]
    parking, trees = qs.themes
    assert (parking.theme.id, parking.count, trees.theme.id, trees.count) == (themes["parking"], 11, themes["trees"], 7)
    assert parking.stance.counts == {"oppose": 9, "support": 2}
    assert trees.stance.counts == {"support": 3, "neutral": 2, "unknown": 2}
    assert [(b.label, b.count) for b in parking.wards] == [("Abbey", 6), ("Castle", 5)]
    assert [(b.label, b.count) for b in parking.types] == [("resident", 6), ("business", 5)]
    assert [(b.label, b.count) for b in trees.wards] == [("Riverside", 4), ("Not given", 3)]
    (permits,) = parking.children
    assert (permits.count, permits.stance.counts, permits.percent) == (5, {"oppose": 5}, "15%")
    with_hidden = summary.summarise(consultation, include_hidden=True, catch_up=False)[0]
    assert [(t.theme.label, t.count) for t in with_hidden.themes] == [
        ("Parking", 11),
        ("Trees", 7),
        ("Bin collections", 5),
    ]
    rows = summary.csv_themes(consultation)
    assert rows[1][3:6] == ["Parking", "", 11] and rows[1][7:11] == [2, "", 9, ""]


def test_the_public_page_shows_the_counts(app, fixed, make_user, council):
    from engage.models.consultations import Consultation, ConsultationStatus

    consultation, _analyst, _ids, _themes = fixed
    consultation = db.session.get(Consultation, consultation.id)
    consultation.status = ConsultationStatus.PUBLISHED
    db.session.commit()
    text = _text(app.test_client().get(f"/analysis/results/{council.slug}/{consultation.id}"))
    assert "Parking 33% of answers (11)." in text and "Trees 21% of answers (7)." in text
    assert "Bin collections" not in text and "Parking withdrawn" not in text
    assert "Residents need parking permits 2" in text and "Keep the old trees in the park 3" in text


def test_changes_show_on_the_next_request(client, fixed, make_user, council):
    from engage.consultations import services as consultation_services
    from engage.models.consultations import Answer, Consultation, Response, ResponseStatus

    consultation, analyst, ids, themes = fixed
    analyst_id = analyst.id
    sign_in(client, make_user("councillor", council))
    assert "Parking 11 33%" in _summary(client, consultation)

    # a resident withdraws a Parking response
    answer = db.session.get(Answer, ids["parking"][0])
    db.session.get(Response, answer.response_id).status = ResponseStatus.WITHDRAWN
    db.session.commit()
    text = _summary(client, consultation)
    assert "32 answers." in text and "Parking 10 31%" in text and "Abbey 5" in text

    # a new response arrives: placed into the themes (Other here: these themes have no centres yet) on the next view
    _respond(consultation, 999, "A brand new thought about the plan", "Castle", "resident", SUPPORT)
    db.session.commit()
    text = _summary(client, consultation)
    assert "33 answers. Includes 1 that arrived since the last analysis" in text
    assert "Other (not in a theme) 6" in text

    # an analyst moves two Parking answers out, into Other
    analyst_client = client.application.test_client()
    sign_in(analyst_client, analyst)
    db.session.commit()  # end this test's read transaction: SQLite lets no one write while it is open
    moved = post_form(
        analyst_client,
        f"/analysis/themes/{themes['parking']}/move",
        {"answers": ids["parking"][1:3], "target": "0"},
        get_url=f"/analysis/themes/{themes['parking']}",
    )
    assert moved.status_code == 302
    text = _summary(client, consultation)
    assert "Parking 8 24% Trees 7 21% Other (not in a theme) 8" in text
    assert "For and against: Support: fewer than 5 (25%), Oppose: 6 (75%)" in text  # Parking

    # a moderator hides a Trees answer
    officer = make_user("officer", council)
    consultation = db.session.get(Consultation, consultation.id)
    consultation_services.moderate(officer, consultation, ids["trees"][0], "hide", "Personal details")
    db.session.commit()
    text = _summary(client, consultation)
    assert "32 answers." in text and "Trees 6 19%" in text

    # an analyst renames and hides a theme
    from engage.analysis import services
    from engage.models import User
    from engage.models.analysis import Theme

    analyst = db.session.get(User, analyst_id)
    services.rename(analyst, db.session.get(Theme, themes["trees"]), "Trees and green space", "")
    services.set_hidden(analyst, db.session.get(Theme, themes["parking"]), True)
    text = _summary(client, consultation)
    assert "Trees and green space 6 19%" in text and "1. Parking" not in text and "Parking permits" not in text


def test_responses_over_time_counts_london_days(app_ctx, consultation_factory):
    from engage.analysis import summary

    consultation = consultation_factory()
    times = [
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # GMT: 28 March in London
        datetime(2026, 3, 29, 23, 30, tzinfo=UTC),  # BST from 29 March: 00:30 on 30 March in London
        datetime(2026, 3, 30, 22, 59, tzinfo=UTC),  # 23:59 on 30 March in London
    ]
    for i, at in enumerate(times):
        _respond(consultation, i, f"Answer {i}", at=at)
    _respond(consultation, 9, "Withdrawn", status="withdrawn", at=datetime(2026, 3, 29, 12, tzinfo=UTC))
    db.session.commit()
    assert [(b.label, b.count) for b in summary.responses_over_time(consultation)] == [
        ("28 March 2026", 1),
        ("29 March 2026", 0),
        ("30 March 2026", 2),
    ]


def test_the_summary_agrees_with_counting_every_answer(app_ctx, analysed, make_user, council):
    """After a real analysis and an analyst's edits, the SQL counts equal a count over every answer row."""
    from engage.analysis import services, sources, summary
    from engage.models.consultations import Response, ResponseStatus

    consultation, analyst, _run = analysed
    question = consultation.questions[1]
    theme_set = services.current_set(question)
    tops = sorted((t for t in services.live_themes(theme_set) if t.parent_id is None), key=lambda t: t.id)
    services.merge(analyst, tops[0], [tops[1]])
    theme_set = services.current_set(question)
    rows = sources.answer_rows(question)
    db.session.get(Response, rows[0].response_id).status = ResponseStatus.WITHDRAWN
    db.session.commit()

    (qs,) = summary.summarise(consultation, include_hidden=True, catch_up=False)
    rows = {r.answer_id: r for r in sources.answer_rows(question)}
    assigned = {a: t for a, t in summary.assignment_map(theme_set).items() if a in rows}
    live = {t.id: t for t in services.live_themes(theme_set)}
    members: dict[int, list[int]] = {t: [] for t in live}
    for answer_id, theme_id in assigned.items():
        while theme_id in live:
            members[theme_id].append(answer_id)
            theme_id = live[theme_id].parent_id
    assert qs.total == len(assigned) == len(rows)
    non_sub = set(theme_set.non_substantive or []) & set(assigned)
    assert qs.non_substantive == len(non_sub)
    assert qs.other == sum(1 for a, t in assigned.items() if t not in live and a not in non_sub)
    for ts in [t for top in qs.themes for t in [top, *top.children]]:
        ids = members[ts.theme.id]
        assert ts.count == len(ids)
        assert ts.stance.counts == dict(Counter(rows[i].stance or "unknown" for i in ids))
        assert {b.label: b.count for b in ts.wards} == {
            k or "Not given": n for k, n in Counter(rows[i].ward for i in ids).items()
        }
        assert all(q.answer_id in ids for q in ts.quotes) and len(ts.quotes) >= min(3, len(ids))


def test_answers_read_by_id_in_chunks_are_the_same_rows(app_ctx, analysed, monkeypatch):
    """Reading some answers by id (in several queries when there are many) gives exactly those of them the analysis
    may read, as reading every answer does: withdrawn responses, hidden answers and other questions' answers are left
    out."""
    from engage.analysis import sources
    from engage.models.consultations import Answer, Response, ResponseStatus

    consultation, _analyst, _run = analysed
    question = consultation.questions[1]
    every = sources.answer_rows(question)
    db.session.get(Response, every[0].response_id).status = ResponseStatus.WITHDRAWN
    db.session.get(Answer, every[1].answer_id).hidden = True
    db.session.commit()
    every = {r.answer_id: r for r in sources.answer_rows(question)}
    other_question = db.session.query(Answer.id).filter(Answer.question_id != question.id).first()[0]
    wanted = {r for i, r in enumerate(sorted(every)) if i % 3 != 1} | {other_question, 10**9}
    wanted |= {r.answer_id for r in sources.free_text_answers(question.id, include_hidden=True)[:2]}
    monkeypatch.setattr(sources, "ID_CHUNK", 4)
    rows = sources.answer_rows(question, wanted)
    assert [r.answer_id for r in rows] == sorted(wanted & set(every))
    assert all(r == every[r.answer_id] for r in rows)
    assert sources.rows_by_id(question, sorted(wanted)) == {r.answer_id: r for r in rows}
    assert sources.answer_rows(question, set()) == []
