"""Bad input from residents gets GOV.UK errors or is neutralised, and never stores anything it should not."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engage.consultations import services as svc
from engage.db import session as db_session
from engage.models.consultations import Response, ResponseDraft
from tests.conftest import csrf_from
from tests.consultations.conftest import base_url
from tests.consultations.test_resident import answer_all, submit


def post_answer(client, url, number, data, question_id=None):
    page = client.get(f"{url}/q/{number}").get_data(as_text=True)
    qid = question_id or re.search(r'name="question_id" type="hidden" value="(\d+)"', page).group(1)
    return client.post(f"{url}/q/{number}", data={"csrf_token": csrf_from(page), "question_id": qid, **data})


def stored_answers():
    drafts = db_session.scalars(select(ResponseDraft)).all()
    return [d.answers for d in drafts]


@pytest.mark.parametrize(
    ("number", "data", "message"),
    [
        (3, {"answer": "x" * 201}, "Your answer must be 200 characters or fewer"),
        (3, {"answer": "bad \x00 byte"}, "Remove the special characters from your answer"),
        (3, {"answer": "bell \x07 char"}, "Remove the special characters from your answer"),
        (1, {"answer": "maybe"}, "Select an answer from the list"),
        (4, {"answer": "Helicopter"}, "Select an answer from the list"),
        (5, {"answer": ["Homes", "<b>Castles</b>"]}, "Select an answer from the list"),
        (6, {"answer": "strongly_support"}, "Select an answer from the list"),
        (7, {"ward": "Atlantis", "postcode": ""}, "Select a ward from the list"),
        (7, {"ward": "", "postcode": "NOT A POSTCODE"}, "Enter a real postcode, like NB1 4AA"),
    ],
)
def test_bad_answers_get_error_messages_and_store_nothing(client, council, make_consultation, number, data, message):
    consultation = make_consultation()
    url = base_url(council, consultation)
    client.get(f"{url}/start")
    response = post_answer(client, url, number, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in html and message in html
    assert "Error: " in html.split("</title>")[0]
    assert "<b>Castles</b>" not in html
    assert all(a == {} for a in stored_answers())


def test_forged_question_id_is_refused(client, council, make_consultation):
    consultation = make_consultation()
    other = make_consultation(title="Another")
    url = base_url(council, consultation)
    client.get(f"{url}/start")
    foreign_id = other.questions[0].id
    response = post_answer(client, url, 1, {"answer": "support"}, question_id=str(foreign_id))
    assert response.status_code == 400
    assert client.get(f"{url}/q/999").status_code == 404
    assert all(a == {} for a in stored_answers())


def test_script_is_escaped_everywhere(signed_in, client, council, make_consultation):
    consultation = make_consultation()
    url = base_url(council, consultation)
    client.get(f"{url}/start")
    post_answer(client, url, 3, {"answer": '"><script>alert(1)</script><img src=x onerror=alert(2)>'})
    html = client.get(f"{url}/check").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_closed_consultation_refuses_answers_and_stores_nothing(client, council, officer, make_consultation):
    consultation = make_consultation()
    answer_all(client, council, consultation)
    url = base_url(council, consultation)
    check = client.get(f"{url}/check").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', check).group(1)
    svc.close_now(db_session.merge(officer), db_session.merge(consultation))
    db_session.commit()
    response = client.post(f"{url}/check", data={"csrf_token": csrf_from(check), "idempotency_key": key})
    assert response.status_code == 403
    assert "This consultation has closed" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Response.id))) == 0
    page = client.get(f"{url}/q/1")
    assert page.status_code == 403 and "This consultation has closed" in page.get_data(as_text=True)
    assert client.get(f"{url}/start").status_code == 403


def test_draft_and_scheduled_consultations_refuse_residents(client, council, make_consultation):
    draft = make_consultation(open=False)
    assert client.get(f"{base_url(council, draft)}/q/1").status_code == 404
    assert client.get(f"{base_url(council, draft)}/start").status_code == 404


def test_stale_check_page_is_refused(client, council, make_consultation):
    consultation = make_consultation()
    answer_all(client, council, consultation)
    url = base_url(council, consultation)
    check = client.get(f"{url}/check").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', check).group(1)
    post_answer(client, url, 4, {"answer": "Bus"})  # changed in another tab
    response = client.post(f"{url}/check", data={"csrf_token": csrf_from(check), "idempotency_key": key})
    assert response.status_code == 400
    assert "Your answers have changed" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Response.id))) == 0
    response, _key, _html = submit(client, council, consultation)
    assert response.status_code == 302
    assert db_session.scalar(select(func.count(Response.id))) == 1


def test_about_you_needs_an_organisation_name(client, council, make_consultation):
    from tests.conftest import post_form

    consultation = make_consultation()
    url = base_url(council, consultation)
    client.get(f"{url}/start")
    response = post_form(client, f"{url}/about-you", {"respondent_type": "business", "organisation": ""})
    assert response.status_code == 400
    assert "Enter the name of the business, group or organisation" in response.get_data(as_text=True)
    response = post_form(client, f"{url}/about-you", {"respondent_type": "alien"})
    assert response.status_code == 400


def test_email_links_are_rate_limited(client, council, make_consultation, app):
    from engage.models import OutboxEmail
    from engage.models.consultations import IdentityMode
    from tests.conftest import post_form

    consultation = make_consultation(identity_mode=IdentityMode.VERIFIED_EMAIL)
    url = f"{base_url(council, consultation)}/verify"
    app.config["CONSULTATION_EMAIL_LIMIT"] = "2 per minute"
    try:
        codes = [post_form(client, url, {"email": f"r{n}@example.org"}).status_code for n in range(3)]
    finally:
        app.config.pop("CONSULTATION_EMAIL_LIMIT")
    assert codes == [200, 200, 429]
    assert db_session.scalar(select(func.count(OutboxEmail.id))) == 2


def test_step_pages_of_a_closed_consultation_say_it_has_closed(client, council, officer, make_consultation):
    consultation = make_consultation()
    url = base_url(council, consultation)
    svc.close_now(db_session.merge(officer), db_session.merge(consultation))
    db_session.commit()
    for step in ("start", "q/1"):
        response = client.get(f"{url}/{step}")
        assert response.status_code == 403, step
        assert "This consultation has closed" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(ResponseDraft.id))) == 0
