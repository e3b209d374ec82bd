"""Arbitrary input to every theme analysis form: a clear error or a clean save, never a server error, never markup
that renders, and a refused form changes nothing."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from engage.analysis import services
from engage.db import session as db_session
from engage.models.analysis import AnalysisRun, Theme, ThemeAssignment
from tests.conftest import sign_in
from tests.hardening.hostile import (
    HOSTILE,
    TEXT,
    assert_no_live_markup,
    clean,
    count,
    outcome,
    post_raw,
    row,
    settings_for,
)

SETTINGS = settings_for(15)


@pytest.fixture
def analyst_world(client, analysed):
    consultation, analyst, _run = analysed
    sign_in(client, analyst)
    question = consultation.questions[1]
    return SimpleNamespace(client=client, consultation_id=consultation.id, question_id=question.id)


def live_themes(w) -> list[Theme]:  # type: ignore[no-untyped-def]
    db_session.expire_all()
    from engage.models.consultations import Question

    return services.live_themes(services.current_set(db_session.get(Question, w.question_id)))


def theme_state(w) -> list:  # type: ignore[no-untyped-def]
    return [(t.id, t.label, t.description, t.parent_id, t.merged_into_id, t.hidden) for t in live_themes(w)]


def assert_pages_clean(w, theme_id: int) -> None:  # type: ignore[no-untyped-def]
    for url in (
        f"/analysis/themes/{theme_id}",
        f"/analysis/consultations/{w.consultation_id}/summary",
        f"/analysis/consultations/{w.consultation_id}/questions/{w.question_id}",
    ):
        page = w.client.get(url)
        assert page.status_code == 200, url
        assert_no_live_markup(page.get_data(as_text=True))


@pytest.fixture
def run_world(app, client, council, make_user, consultation_factory):
    """An analyst and a consultation with no answers yet, so that each analysis finishes at once."""
    app.config["NLP_EMBEDDER"] = "fake"
    consultation = consultation_factory()
    ids = {"why": str(consultation.questions[1].id), "stance": str(consultation.questions[0].id)}
    sign_in(client, make_user("analyst", council))
    return SimpleNamespace(client=client, consultation_id=consultation.id, ids=ids)


@SETTINGS
@given(question=st.one_of(st.sampled_from(["all", "why"]), st.sampled_from(["stance", "999999", "9" * 30]), HOSTILE))
def test_start_run_form(run_world, question):
    w = run_world
    before = count(AnalysisRun)
    response = post_raw(
        w.client, f"/analysis/consultations/{w.consultation_id}", {"question": w.ids.get(question, question)}
    )
    if not outcome(response):
        assert count(AnalysisRun) == before
        return
    assert count(AnalysisRun) == before + 1


@SETTINGS
@example(label="   ", description="")
@example(label="<script>alert(1)</script>", description='"><img src=x onerror=alert(1)>')
@given(label=HOSTILE, description=HOSTILE)
def test_rename_form(analyst_world, label, description):
    w = analyst_world
    theme_id = live_themes(w)[0].id
    before = row(Theme, theme_id)
    data = {"action": "rename", "rename-label": label, "rename-description": description}
    if not outcome(post_raw(w.client, f"/analysis/themes/{theme_id}", data)):
        assert row(Theme, theme_id) == before
        return
    theme = row(Theme, theme_id)
    assert theme["label"].strip() and clean(theme["label"]) and clean(theme["description"])
    assert_pages_clean(w, theme_id)


# Choices are drawn as positions in the lists of the moment (themes come and go as examples merge and split them).
PICKS = st.lists(st.one_of(st.integers(0, 40), HOSTILE), max_size=3)


def picked(picks: list, values: list[str]) -> list:
    return [values[p % len(values)] if isinstance(p, int) and values else p for p in picks]


@SETTINGS
@given(picks=PICKS)
def test_merge_form(analyst_world, picks):
    w = analyst_world
    target = live_themes(w)[0].id
    before = theme_state(w)
    chosen = picked(picks, [str(t.id) for t in live_themes(w)])
    if not outcome(post_raw(w.client, f"/analysis/themes/{target}", {"action": "merge", "merge-themes": chosen})):
        assert theme_state(w) == before
        return
    assert_pages_clean(w, target)


@SETTINGS
@given(
    parts=st.one_of(
        st.sampled_from(["2", "3"]), st.integers(-3, 14).map(str), st.sampled_from(["2.5", "1e1", "9" * 30]), HOSTILE
    )
)
def test_split_form(analyst_world, parts):
    w = analyst_world
    target = max(live_themes(w), key=lambda t: len(services.members_of(t))).id
    before = theme_state(w)
    if not outcome(post_raw(w.client, f"/analysis/themes/{target}", {"action": "split", "split-parts": parts})):
        assert theme_state(w) == before
        return
    assert_pages_clean(w, target)


@SETTINGS
@given(picks=PICKS, target=st.one_of(st.integers(0, 40), HOSTILE))
def test_move_form(analyst_world, picks, target):
    """Moving answers always goes back to the theme page, with a message saying what happened."""
    w = analyst_world
    theme = live_themes(w)[0]
    members = [str(a) for a in services.members_of(theme)]
    targets = ["0", *(str(t.id) for t in live_themes(w) if t.id != theme.id)]
    fields = {"answers": picked(picks, members), "target": picked([target], targets)[0]}
    assignments = count(ThemeAssignment)
    response = post_raw(w.client, f"/analysis/themes/{theme.id}/move", fields, get_url=f"/analysis/themes/{theme.id}")
    assert response.status_code == 302
    assert count(ThemeAssignment) == assignments
    page = w.client.get(f"/analysis/themes/{theme.id}")
    assert page.status_code == 200
    assert_no_live_markup(page.get_data(as_text=True))


@SETTINGS
@example(label="   ", pick=[0])
@given(label=HOSTILE, pick=st.lists(st.integers(0, 30), max_size=3))
def test_create_theme_form(analyst_world, label, pick):
    w = analyst_world
    url = f"/analysis/consultations/{w.consultation_id}/questions/{w.question_id}/search?q=parking+near+the+school"
    members = sorted(a for t in live_themes(w) for a in services.members_of(t))
    answers = [str(members[i % len(members)]) for i in pick] + (["junk", "9" * 30] if len(pick) == 2 else [])
    before = theme_state(w)
    if not outcome(post_raw(w.client, url, {"label": label, "answers": answers})):
        assert theme_state(w) == before
        return
    newest = db_session.scalar(select(Theme).order_by(Theme.id.desc()))
    assert newest.label.strip() and clean(newest.label)
    assert_pages_clean(w, newest.id)


@SETTINGS
@given(query=st.one_of(TEXT, st.binary(max_size=300)))
def test_search_box(analyst_world, query):
    w = analyst_world
    encoded = quote_from_bytes(query if isinstance(query, bytes) else query.encode("utf-8"))
    for url in (
        f"/analysis/consultations/{w.consultation_id}/search",
        f"/analysis/consultations/{w.consultation_id}/questions/{w.question_id}/search",
    ):
        response = w.client.get(f"{url}?q={encoded}")
        assert response.status_code in (200, 400)
        assert_no_live_markup(response.get_data(as_text=True))


@pytest.fixture
def officer_client(client, analysed, make_user, council):
    sign_in(client, make_user("officer", council))
    return client


@SETTINGS
@example(text="<script>alert(1)</script> [x](javascript:alert(1))")
@given(text=HOSTILE)
def test_what_we_did_form(officer_client, analysed, text):
    client = officer_client
    consultation, _analyst, _run = analysed
    theme_id = services.live_themes(services.current_set(consultation.questions[1]))[0].id
    before = row(Theme, theme_id)
    if not outcome(post_raw(client, f"/analysis/themes/{theme_id}/what-we-did", {"what_we_did": text})):
        assert row(Theme, theme_id) == before
        return
    assert clean(row(Theme, theme_id)["what_we_did"])
    page = client.get(f"/analysis/consultations/{consultation.id}/summary")
    assert page.status_code == 200
    assert_no_live_markup(page.get_data(as_text=True))
