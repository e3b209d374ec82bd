"""The analysis pages: analysts run and review, councillors read, the public sees published results only."""

from __future__ import annotations

import csv
import io

from bs4 import BeautifulSoup

from engage.db import db
from tests.analysis.conftest import add_answers, answer_texts
from tests.conftest import post_form, sign_in


def _page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _current(consultation):
    from engage.analysis import services

    db.session.expire_all()
    return services.current_set(consultation.questions[1])


def _theme(consultation, word):
    return next(t for t in _current(consultation).themes if word in t.label.lower() and t.merged_into_id is None)


def test_analyst_starts_a_run_and_sees_it_finish(app, client, consultation_factory, make_user, council):
    app.config["NLP_EMBEDDER"] = "fake"
    consultation = consultation_factory()
    add_answers(consultation, answer_texts())
    sign_in(client, make_user("analyst", council))
    url = f"/analysis/consultations/{consultation.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Not analysed yet" in page.get_data(as_text=True)
    response = post_form(client, url, {"question": "all"})
    assert response.status_code == 302 and "/analysis/runs/" in response.location
    run_page = client.get(response.location)
    text = run_page.get_data(as_text=True)
    assert "Analysis finished" in text and "36 answers analysed" in text
    status = client.get(response.location + "/status").get_json()
    assert status["status"] == "succeeded" and status["percent"] == 100 and status["finished"]
    overview = client.get(url).get_data(as_text=True)
    assert "themes from 36 answers" in overview and "Review themes" in overview


def test_start_form_refuses_a_question_from_elsewhere(app, client, consultation_factory, make_user, council):
    consultation = consultation_factory()
    sign_in(client, make_user("analyst", council))
    response = post_form(client, f"/analysis/consultations/{consultation.id}", {"question": "999999"})
    assert response.status_code == 400
    assert "Select one of the options shown" in response.get_data(as_text=True)
    from engage.models.analysis import AnalysisRun

    assert db.session.query(AnalysisRun).count() == 0


def test_access_is_limited_to_the_councils_people(
    app, client, analysed, make_user, other_council, consultation_factory
):
    consultation, _analyst, run = analysed
    url = f"/analysis/consultations/{consultation.id}"
    assert client.get(url).status_code == 302  # signed out: to sign in
    assert client.get(f"/analysis/consultations/{consultation.id}/summary").status_code == 302
    outsider = make_user("analyst", other_council)
    sign_in(client, outsider)
    for path in (
        url,
        f"{url}/summary",
        f"{url}/themes.csv",
        f"/analysis/runs/{run.id}",
        f"/analysis/themes/{_current(consultation).themes[0].id}/answers",
    ):
        assert client.get(path).status_code == 403, path
    client.post("/sign-out", data={})


def test_councillor_reads_but_cannot_run_or_edit(app, client, analysed, make_user, council):
    consultation, _analyst, _run = analysed
    sign_in(client, make_user("councillor", council))
    url = f"/analysis/consultations/{consultation.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Run an analysis" not in page.get_data(as_text=True)
    token_page = client.get(f"{url}/summary")
    assert token_page.status_code == 200
    from tests.conftest import csrf_from

    token = csrf_from(token_page.get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token, "question": "all"}).status_code == 403
    theme = _current(consultation).themes[0]
    assert client.get(f"/analysis/themes/{theme.id}").status_code == 403


def test_summary_shows_ranked_themes_with_stance_quotes_and_suppressed_counts(
    app, client, analysed, make_user, council
):
    consultation, _analyst, _run = analysed
    sign_in(client, make_user("councillor", council))
    response = client.get(f"/analysis/consultations/{consultation.id}/summary")
    html = _page(response)
    text = html.get_text(" ")
    assert "Themes at a glance" in text
    counts = [
        int(c.get_text())
        for c in html.select("table")[0].select("tbody tr td.govuk-table__cell--numeric")[::2]
        if c.get_text().strip().isdigit()
    ]
    assert counts == sorted(counts, reverse=True) and sum(counts) > 0
    assert html.select("svg[role=img] title")  # the for/against bar, with a text alternative
    assert "For and against" in text and "Oppose" in text
    assert "fewer than 5" in text  # ward counts are small in this fixture
    assert "In their words" in text and "“" in text
    assert "Responses over time" in text
    section = html.select("section")[0]
    link = section.select_one("a[href$='/answers']")
    assert "Read all" in link.get_text()
    answers = client.get(link["href"])
    assert answers.status_code == 200
    assert len(_page(answers).select("tbody tr")) >= 1


def test_drill_down_is_paginated(app, client, consultation_factory, make_user, council):
    from engage.analysis import runner
    from engage.analysis.services import create_run

    app.config["NLP_EMBEDDER"] = "fake"
    consultation = consultation_factory()
    add_answers(consultation, [("parking", "Parking near the school gate is a problem for everyone")] * 30)
    add_answers(consultation, answer_texts(), start=100)
    run = create_run(consultation, None)
    db.session.commit()
    runner.execute(run.id)
    from engage.analysis.services import members_of

    theme = max(_current(consultation).themes, key=lambda t: len(members_of(t)))
    sign_in(client, make_user("councillor", council))
    first = _page(client.get(f"/analysis/themes/{theme.id}/answers"))
    assert len(first.select("tbody tr")) == 25
    assert first.select_one("nav.govuk-pagination")
    second = client.get(f"/analysis/themes/{theme.id}/answers?page=2")
    assert second.status_code == 200 and 1 <= len(_page(second).select("tbody tr")) <= 25
    assert client.get(f"/analysis/themes/{theme.id}/answers?page=99").status_code == 404

    # the pages together hold each of the theme's answers once, oldest first; an answer a moderator hides leaves them
    from engage.analysis import sources, summary
    from engage.models.consultations import Answer, Question

    def every_page() -> tuple[list[int], int]:
        ids, page, total = [], 1, None
        while total is None or len(ids) < total:
            rows, total = summary.theme_answers(theme, page, 7)
            assert rows, "a page short of the total"
            ids += [r.answer_id for r in rows]
            page += 1
        return ids, total

    question = db.session.get(Question, theme.theme_set.question_id)
    expected = [r.answer_id for r in sources.answer_rows(question, members_of(theme))]
    ids, total = every_page()
    assert ids == sorted(expected) and total == len(expected) > 25
    db.session.get(Answer, ids[3]).hidden = True
    db.session.commit()
    after, after_total = every_page()
    assert after == ids[:3] + ids[4:] and after_total == total - 1


def test_pdf_and_csv_exports(app, client, analysed, make_user, council):
    consultation, _analyst, _run = analysed
    sign_in(client, make_user("councillor", council))
    pdf = client.get(f"/analysis/consultations/{consultation.id}/summary.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    themes = client.get(f"/analysis/consultations/{consultation.id}/themes.csv")
    rows = list(csv.reader(io.StringIO(themes.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["question", "theme_id", "parent_theme_id", "label"] and len(rows) > 2
    assignments = client.get(f"/analysis/consultations/{consultation.id}/assignments.csv")
    rows = list(csv.reader(io.StringIO(assignments.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 37 and rows[1][1].startswith("R")


def test_analyst_renames_merges_splits_hides_moves_and_pins(app, client, analysed, council):
    from engage.models.analysis import ThemeEdit

    consultation, analyst, _run = analysed
    sign_in(client, analyst)
    parking = _theme(consultation, "parking")
    url = f"/analysis/themes/{parking.id}"
    # a bad rename changes nothing
    bad = post_form(client, url, {"action": "rename", "rename-label": "", "rename-description": "x"})
    assert bad.status_code == 400 and "Enter a name for the theme" in bad.get_data(as_text=True)
    assert _theme(consultation, "parking").named_by_analyst is False
    ok = post_form(
        client, url, {"action": "rename", "rename-label": "Parking pressure", "rename-description": "Spaces"}
    )
    assert ok.status_code == 302
    renamed = db.session.get(type(parking), parking.id)
    assert renamed.label == "Parking pressure" and renamed.edited_by_id == analyst.id and renamed.edited_at
    # merge the traffic theme into it
    traffic = next(
        t for t in _current(consultation).themes if "junction" in t.label.lower() or "traffic" in t.label.lower()
    )
    merged = post_form(client, url, {"action": "merge", "merge-themes": str(traffic.id)})
    assert merged.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(traffic), traffic.id).merged_into_id == parking.id
    review = client.get(f"/analysis/consultations/{consultation.id}/questions/{consultation.questions[1].id}")
    assert traffic.label not in review.get_data(as_text=True)
    # split it again into two sub-themes
    split = post_form(client, url, {"action": "split", "split-parts": "2"})
    assert split.status_code == 302
    children = [t for t in _current(consultation).themes if t.parent_id == parking.id and t.merged_into_id is None]
    assert len(children) == 2
    bad_split = post_form(client, url, {"action": "split", "split-parts": "40"})
    assert bad_split.status_code == 400
    worded = post_form(client, url, {"action": "split", "split-parts": "two"})
    assert worded.status_code == 400 and "Enter a whole number, like 3" in worded.get_data(as_text=True)
    # move one answer out into Other, pin another
    page = _page(client.get(url))
    boxes = [i["value"] for i in page.select("input[name=answers]")]
    moved = post_form(client, f"/analysis/themes/{parking.id}/move", {"answers": boxes[0], "target": "0"}, get_url=url)
    assert moved.status_code == 302
    from engage.analysis import services

    db.session.expire_all()
    assert int(boxes[0]) not in services.members_of(db.session.get(type(parking), parking.id))
    pinned = post_form(client, f"/analysis/themes/{parking.id}/pin?answer={boxes[1]}&pin=1", {}, get_url=url)
    assert pinned.status_code == 302
    db.session.expire_all()
    assert int(boxes[1]) in db.session.get(type(parking), parking.id).pinned
    hidden = post_form(client, url, {"action": "hide"})
    assert hidden.status_code == 302
    summary = client.get(f"/analysis/consultations/{consultation.id}/summary").get_data(as_text=True)
    assert "Parking pressure" not in summary
    actions = {e.action for e in db.session.query(ThemeEdit).all()}
    assert {"rename", "merge", "split", "move", "pin", "hide"} <= actions
    assert all(e.user_id == analyst.id for e in db.session.query(ThemeEdit).all())


def test_search_and_create_a_theme(app, client, analysed):
    consultation, analyst, _run = analysed
    sign_in(client, analyst)
    url = f"/analysis/consultations/{consultation.id}/questions/{consultation.questions[1].id}/search"
    empty = client.get(url + "?q=")
    assert empty.status_code == 200
    results = _page(client.get(url + "?q=parking+near+the+school"))
    boxes = [i["value"] for i in results.select("input[name=answers]")]
    labels = [lab.get_text() for lab in results.select("label.govuk-checkboxes__label")]
    assert boxes and "parking" in labels[0].lower()
    missing = post_form(client, url + "?q=parking+near+the+school", {"label": "School parking"})
    assert missing.status_code == 400 and "Select at least one answer" in missing.get_data(as_text=True)
    created = post_form(client, url + "?q=parking+near+the+school", {"label": "School parking", "answers": boxes[:2]})
    assert created.status_code == 302
    theme = _theme(consultation, "school parking")
    assert theme.named_by_analyst


def test_search_across_every_question_of_a_consultation(client, analysed):
    consultation, analyst, _run = analysed
    sign_in(client, analyst)
    url = f"/analysis/consultations/{consultation.id}/search"
    page = _page(client.get(url + "?q=parking+near+the+school"))
    rows = page.select("tbody tr")
    assert rows, "no answers found"
    assert "parking" in rows[0].select("td")[0].get_text().lower()
    matches = [int(r.select("td")[2].get_text().rstrip("%")) for r in rows]
    assert matches == sorted(matches, reverse=True)
    codes = {r.select("td")[1].a.get_text() for r in rows}
    assert codes <= {q.code for q in consultation.questions}
    refused = client.get(url + "?q=" + "x" * 201)
    assert refused.status_code == 400 and "Search for 200 characters or fewer" in refused.get_data(as_text=True)


def test_search_gives_the_closest_answers_in_order_and_never_a_hidden_one(app, analysed):
    import numpy as np

    from engage.analysis import services, sources
    from engage.analysis.embedding import get_embedder
    from engage.models.consultations import Answer

    consultation, _analyst, _run = analysed
    question = consultation.questions[1]
    query = "parking near the school"

    def expected(limit: int) -> list[tuple[int, float]]:
        rows = sources.answer_rows(question)
        q = np.asarray(get_embedder().encode([query]), dtype=np.float32)[0]
        scores = services._vectors_for(rows) @ q
        ranked = sorted(
            ((r.answer_id, float(s)) for r, s in zip(rows, scores, strict=True)), key=lambda h: (-h[1], h[0])
        )
        return [h for h in ranked if h[1] >= 0.2][:limit]

    found = services.search(question, query, limit=5)
    assert [(r.answer_id, round(s, 5)) for r, s in found] == [(a, round(s, 5)) for a, s in expected(5)]
    assert all(r.text and r.reference for r, _ in found)
    across = services.search_consultation(consultation, query, limit=5)
    assert [(q.id, r.answer_id) for q, r, _ in across][:1] == [(question.id, found[0][0].answer_id)]
    top = found[0][0].answer_id
    db.session.get(Answer, top).hidden = True
    db.session.commit()
    assert top not in [r.answer_id for r, _ in services.search(question, query, limit=5)]
    assert top not in [r.answer_id for _q, r, _ in services.search_consultation(consultation, query)]
    assert [r.answer_id for r, _ in services.search(question, query, limit=4)] == [a for a, _ in expected(4)]


def test_officer_records_what_we_did_and_the_public_sees_it_once_published(app, client, analysed, make_user, council):
    from engage.models.consultations import ConsultationStatus

    consultation, _analyst, _run = analysed
    # an answer whose original text has personal details: the public sees only the redacted copy
    from engage.models.consultations import Answer

    answer = db.session.get(Answer, _current(consultation).themes[0].quotes[0])
    answer.text = answer.redacted_text + " Call me on 07700 900123"
    db.session.commit()
    theme = _current(consultation).themes[0]
    public_url = f"/analysis/results/{council.slug}/{consultation.id}"
    assert client.get(public_url).status_code == 404  # not published yet
    sign_in(client, make_user("officer", council))
    saved = post_form(client, f"/analysis/themes/{theme.id}/what-we-did", {"what_we_did": "We moved the car park."})
    assert saved.status_code == 302
    client.post("/sign-out", data={})
    consultation = db.session.get(type(consultation), consultation.id)
    consultation.status = ConsultationStatus.PUBLISHED
    db.session.commit()
    anonymous = app.test_client()
    page = anonymous.get(public_url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "What you told us" in text and "We moved the car park." in text
    assert "07700" not in text
    home = anonymous.get(f"/c/{council.slug}").get_data(as_text=True)
    assert public_url in home
    assert anonymous.get(f"/analysis/results/elsewhere/{consultation.id}").status_code == 404


def test_moving_answers_whose_embeddings_are_not_cached_yet(app, client, analysed, council):
    """Moving answers into a theme embeds them if need be, without the move waiting on its own database lock."""
    from sqlalchemy import select

    from engage.analysis import services
    from engage.models.analysis import EmbeddingVector, ThemeAssignment

    consultation, analyst, _run = analysed
    parking = _theme(consultation, "parking")
    placed = db.session.scalars(
        select(ThemeAssignment.answer_id).where(ThemeAssignment.theme_set_id == parking.theme_set_id)
    )
    other_ids = sorted(set(placed) - services.members_of(parking))[:2]
    db.session.query(EmbeddingVector).delete()
    db.session.commit()
    moved = services.move_answers(db.session.merge(analyst), parking.theme_set, other_ids, parking)
    assert moved == 2
    db.session.expire_all()
    assert set(other_ids) <= services.members_of(db.session.get(type(parking), parking.id))
    assert db.session.get(type(parking), parking.id).centroid
