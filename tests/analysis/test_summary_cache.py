"""The summary and public results pages keep their bodies between requests (SUMMARY_CACHE, on here as in
production) and are never stale: a second request with nothing changed is not computed again, and every kind of
change a page could show is computed afresh on the very next request."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage.db import db, utcnow
from tests.analysis import test_summary_numbers
from tests.analysis.test_summary_numbers import SUPPORT, _respond, _text
from tests.conftest import sign_in

fixed = test_summary_numbers.fixed  # 33 answers in hand-made themes


@pytest.fixture
def computed(monkeypatch):
    """How many times the pages computed their summaries."""
    from engage.analysis import summary

    calls = {"n": 0}
    real = summary.summarise

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(summary, "summarise", counting)
    return calls


def _summary_url(consultation_id: int) -> str:
    return f"/analysis/consultations/{consultation_id}/summary"


def _public_url(consultation_id: int) -> str:
    return f"/analysis/results/testshire/{consultation_id}"


def _publish(consultation_id: int, officer_id: int, text: str = "We heard you.") -> None:
    from engage.consultations import services as consultation_services
    from engage.models import User
    from engage.models.consultations import Consultation, ConsultationStatus

    consultation = db.session.get(Consultation, consultation_id)
    if consultation.status != ConsultationStatus.PUBLISHED:
        consultation.status = ConsultationStatus.CLOSED
    consultation_services.publish(db.session.get(User, officer_id), consultation, text)
    db.session.commit()


def test_a_second_request_with_nothing_changed_is_not_computed_again(client, app, fixed, make_user, council, computed):
    consultation, _analyst, _ids, _themes = fixed
    sign_in(client, make_user("councillor", council))
    first = _text(client.get(_summary_url(consultation.id)))
    assert computed["n"] == 1
    second = _text(client.get(_summary_url(consultation.id)))
    assert computed["n"] == 1
    assert first == second and "Parking 11 33%" in second

    _publish(consultation.id, make_user("officer", council).id)
    public = app.test_client()
    assert "Parking 33% of answers (11)." in _text(public.get(_public_url(consultation.id)))
    assert computed["n"] == 2
    assert "Parking 33% of answers (11)." in _text(public.get(_public_url(consultation.id)))
    assert computed["n"] == 2


def test_the_kept_body_holds_nothing_per_person(client, app, fixed, make_user, council, computed):
    """The body is kept per audience (who may say what the council did), never with a token or nonce in it."""
    from engage.analysis import summary

    consultation, _analyst, _ids, themes = fixed
    with app.test_request_context():
        summary.page_cache().clear()  # one app serves every test: keep only this test's bodies
    sign_in(client, make_user("councillor", council))
    officer_client = app.test_client()
    sign_in(officer_client, make_user("officer", council))
    link = f"/analysis/themes/{themes['trees']}/what-we-did"
    for _ in range(2):
        assert link not in client.get(_summary_url(consultation.id)).get_data(as_text=True)
        assert link in officer_client.get(_summary_url(consultation.id)).get_data(as_text=True)
    assert computed["n"] == 2
    with app.test_request_context():
        kept = list(summary.page_cache()._slots.values())
    assert len(kept) == 2
    for _version, body in kept:
        assert "csrf_token" not in body.html and "nonce" not in body.html and "councillor" not in body.html


def _rename(ctx):
    from engage.analysis import services
    from engage.models.analysis import Theme

    services.rename(ctx.analyst, db.session.get(Theme, ctx.themes["trees"]), "Trees and green space", "")
    return "Trees and green space 7"


def _hide_theme(ctx):
    from engage.analysis import services
    from engage.models.analysis import Theme

    services.set_hidden(ctx.analyst, db.session.get(Theme, ctx.themes["bins"]), False)
    return "Bin collections 5"


def _what_we_did(ctx):
    from engage.analysis import services
    from engage.models.analysis import Theme

    services.set_what_we_did(ctx.officer, db.session.get(Theme, ctx.themes["trees"]), "We kept every tree.")
    return "What we did We kept every tree."


def _pin(ctx):
    from engage.analysis import services
    from engage.models.analysis import Theme

    pinned = ctx.ids["trees"][6]
    services.pin(ctx.analyst, db.session.get(Theme, ctx.themes["trees"]), pinned, True)
    return "Keep the old trees in the park 6"


def _merge(ctx):
    from engage.analysis import services
    from engage.models.analysis import Theme

    trees = db.session.get(Theme, ctx.themes["trees"])
    services.merge(ctx.analyst, trees, [db.session.get(Theme, ctx.themes["bins"])])
    return "Trees 12 36%"


def _split(ctx):
    from engage.analysis import services
    from engage.models.analysis import Theme

    parts = services.split(ctx.analyst, db.session.get(Theme, ctx.themes["trees"]), 2)
    return f"{parts[0].label}: "


def _create_theme(ctx):
    from engage.analysis import services

    theme_set = services.current_set(ctx.consultation().questions[1])
    services.create_theme(ctx.analyst, theme_set, "Something else", ctx.ids["other"])
    return "Something else 5 15%"


def _move(ctx):
    from engage.analysis import services
    from engage.models.analysis import Theme

    theme = db.session.get(Theme, ctx.themes["trees"])
    services.move_answers(ctx.analyst, theme.theme_set, ctx.ids["other"][:2], theme)
    return "Trees 9 27%"


def _moderate(ctx):
    from engage.consultations import services as consultation_services

    consultation_services.moderate(ctx.officer, ctx.consultation(), ctx.ids["trees"][0], "hide", "Personal details")
    return "32 answers."


def _mark_duplicate(ctx):
    from engage.consultations import services as consultation_services
    from engage.models.consultations import Answer

    response_id = db.session.get(Answer, ctx.ids["trees"][0]).response_id
    consultation_services.mark_response(ctx.officer, ctx.consultation(), response_id, "duplicate")
    return "32 answers."


def _withdraw(ctx):
    from engage.models.consultations import Answer, Response, ResponseStatus

    response = db.session.get(Response, db.session.get(Answer, ctx.ids["parking"][0]).response_id)
    response.status = ResponseStatus.WITHDRAWN  # no timestamp changes: only the status
    return "Parking 10 31%"


def _new_response(ctx):
    _respond(ctx.consultation(), 999, "A brand new thought about the plan", "Castle", "resident", SUPPORT)
    return "34 answers. Includes 1 that arrived since the last analysis"


def _changed_response(ctx):
    from engage.models.consultations import Answer

    answer = db.session.get(Answer, ctx.ids["trees"][0])
    answer.redacted_text = "Keep the old trees, I changed my mind"
    answer.response.updated_at = utcnow()
    return "Keep the old trees, I changed my mind"


def _anonymised(ctx):
    from engage.models.consultations import Answer

    answer = db.session.get(Answer, ctx.ids["trees"][0])
    answer.redacted_text = "Keep the old trees, anonymised"
    answer.response.ward = ""
    answer.response.anonymised_at = utcnow()
    return "Keep the old trees, anonymised"


def _reword_question(ctx):
    ctx.consultation().questions[1].text = "Why do you say so?"
    return "Q2: Why do you say so?"


CHANGES = {
    "rename": _rename,
    "show a hidden theme": _hide_theme,
    "what we did": _what_we_did,
    "pin": _pin,
    "merge": _merge,
    "split": _split,
    "create theme": _create_theme,
    "move": _move,
    "moderator hides": _moderate,
    "marked duplicate": _mark_duplicate,
    "withdrawn": _withdraw,
    "new response": _new_response,
    "changed response": _changed_response,
    "anonymised": _anonymised,
    "question reworded": _reword_question,
}


class _Ctx:
    def __init__(self, consultation_id, analyst_id, officer_id, ids, themes):
        from engage.analysis import services, sources
        from engage.models import User

        self.consultation_id, self.ids, self.themes = consultation_id, ids, themes
        self.analyst = db.session.get(User, analyst_id)
        self.officer = db.session.get(User, officer_id)
        # Embed the answers now, as a finished analysis would have: merging, splitting, moving and creating a theme
        # re-centre themes, and on SQLite the embedding cache cannot be written while this session is writing.
        services._vectors_for(sources.answer_rows(self.consultation().questions[1]))
        db.session.commit()

    def consultation(self):
        from engage.models.consultations import Consultation

        return db.session.get(Consultation, self.consultation_id)


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_shows_on_the_next_request(client, fixed, make_user, council, computed, change):
    consultation, analyst, ids, themes = fixed
    consultation_id, analyst_id = consultation.id, analyst.id
    officer_id = make_user("officer", council).id
    sign_in(client, make_user("councillor", council))
    before = _text(client.get(_summary_url(consultation_id)))
    assert _text(client.get(_summary_url(consultation_id))) == before
    assert computed["n"] == 1

    expected = CHANGES[change](_Ctx(consultation_id, analyst_id, officer_id, ids, themes))
    db.session.commit()
    db.remove()  # the change was made as in a request of its own: the page reads with a fresh session
    assert expected not in before
    after = _text(client.get(_summary_url(consultation_id)))
    assert computed["n"] >= 2
    assert expected in after, after
    # and it is kept again once nothing changes
    counted = computed["n"]
    assert _text(client.get(_summary_url(consultation_id))) == _text(client.get(_summary_url(consultation_id)))
    assert computed["n"] <= counted + 1


def test_a_new_analysis_run_shows_on_the_next_request(client, analysed, make_user, council, computed):
    from engage.analysis import runner
    from engage.analysis.services import create_run, current_set
    from engage.models import User
    from engage.models.consultations import Consultation

    consultation, analyst, _run = analysed
    consultation_id, analyst_id = consultation.id, analyst.id
    sign_in(client, make_user("councillor", council))
    client.get(_summary_url(consultation_id))
    client.get(_summary_url(consultation_id))
    assert computed["n"] == 1
    old_set = current_set(consultation.questions[1]).id
    run = create_run(consultation, None, user=db.session.get(User, analyst_id), refit=True)
    db.session.commit()
    assert runner.execute(run.id)
    db.session.expire_all()
    new_set = current_set(db.session.get(Consultation, consultation_id).questions[1])
    assert new_set.id != old_set
    theme = next(t for t in new_set.themes if t.merged_into_id is None and t.parent_id is None)
    db.session.commit()
    html = client.get(_summary_url(consultation_id)).get_data(as_text=True)
    assert computed["n"] == 2
    assert f'id="theme-{theme.id}"' in html


def test_publishing_and_the_results_text_show_on_the_next_request(app, fixed, make_user, council, computed):
    from engage.analysis import services
    from engage.models import User
    from engage.models.analysis import Theme
    from engage.models.consultations import Consultation, ConsultationStatus

    consultation, _analyst, _ids, themes = fixed
    consultation_id = consultation.id
    officer_id = make_user("officer", council).id
    public = app.test_client()
    assert public.get(_public_url(consultation_id)).status_code == 404
    _publish(consultation_id, officer_id, "First words.")
    assert "Parking 33% of answers (11)." in _text(public.get(_public_url(consultation_id)))
    public.get(_public_url(consultation_id))
    assert computed["n"] == 1
    _publish(consultation_id, officer_id, "Second words.")
    public.get(_public_url(consultation_id))
    assert computed["n"] == 2
    services.set_what_we_did(db.session.get(User, officer_id), db.session.get(Theme, themes["parking"]), "New bays.")
    assert "What we did New bays." in _text(public.get(_public_url(consultation_id)))
    assert computed["n"] == 3
    db.session.get(Consultation, consultation_id).status = ConsultationStatus.CLOSED
    db.session.commit()
    assert public.get(_public_url(consultation_id)).status_code == 404


def test_a_kept_page_with_answers_waiting_still_asks_for_them_to_be_placed(client, fixed, make_user, council, computed):
    from engage.analysis import services
    from engage.models.consultations import Consultation

    consultation, _analyst, _ids, _themes = fixed
    consultation_id = consultation.id
    queued = []
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(services, "enqueue", lambda *args: queued.append(args))
    try:
        sign_in(client, make_user("councillor", council))
        _respond(consultation, 999, "A brand new thought about the plan", "Castle", "resident", SUPPORT)
        db.session.commit()
        assert "1 newer answer is being placed." in _text(client.get(_summary_url(consultation_id)))
        assert (computed["n"], len(queued)) == (1, 1)
        assert "1 newer answer is being placed." in _text(client.get(_summary_url(consultation_id)))
        assert (computed["n"], len(queued)) == (1, 1)  # kept, and asked less than 30 seconds ago
        theme_set = services.current_set(db.session.get(Consultation, consultation_id).questions[1])
        theme_set.catchup_requested_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert "1 newer answer is being placed." in _text(client.get(_summary_url(consultation_id)))
        assert len(queued) == 2 and computed["n"] == 2
    finally:
        monkeypatch.undo()


def test_the_cache_can_be_turned_off(client, app, fixed, make_user, council, computed, monkeypatch):
    consultation, _analyst, _ids, _themes = fixed
    monkeypatch.setitem(app.config, "SUMMARY_CACHE", False)
    sign_in(client, make_user("councillor", council))
    client.get(_summary_url(consultation.id))
    client.get(_summary_url(consultation.id))
    assert computed["n"] == 2


def test_the_cache_keeps_one_body_per_page_and_the_least_recently_read_go_first():
    from engage.analysis.page_cache import CachedBody, PageCache

    cache = PageCache(size=2)
    cache.put("a", 1, CachedBody("a1"))
    cache.put("a", 2, CachedBody("a2"))
    assert cache.get("a", 1) is None and cache.get("a", 2).html == "a2" and len(cache) == 1
    cache.put("b", 1, CachedBody("b1"))
    cache.get("a", 2)
    cache.put("c", 1, CachedBody("c1"))
    assert cache.get("b", 1) is None and cache.get("a", 2).html == "a2" and cache.get("c", 1).html == "c1"
