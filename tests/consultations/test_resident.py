"""Residents answer a consultation with the test client: question pages, check answers, confirmation."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from engage.db import session as db_session
from engage.models.consultations import Response, ResponseDraft, ResponseSource
from tests.conftest import csrf_from, post_form
from tests.consultations.conftest import base_url

ALL_ANSWERS = {
    1: {"answer": "oppose"},
    2: {"answer": "Too much traffic on Mill Lane. Call me on 07700 900123."},
    3: {"answer": "Hello <script>alert(1)</script>"},
    4: {"answer": "Bike"},
    5: {"answer": ["Homes", "Schools"]},
    6: {"answer": "agree"},
    7: {"ward": "Riverside", "postcode": "nb1 4aa"},
}


def answer_all(client, council, consultation, answers=ALL_ANSWERS):
    url = base_url(council, consultation)
    assert client.get(f"{url}/start").status_code == 302
    for number, data in answers.items():
        page = client.get(f"{url}/q/{number}")
        assert page.status_code == 200, page.get_data(as_text=True)[:500]
        qid = re.search(r'name="question_id" type="hidden" value="(\d+)"', page.get_data(as_text=True)).group(1)
        response = client.post(
            f"{url}/q/{number}", data={"csrf_token": csrf_from(page.get_data(as_text=True)), "question_id": qid, **data}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    response = post_form(client, f"{url}/about-you", {"respondent_type": "resident"})
    assert response.status_code == 302


def submit(client, council, consultation):
    url = base_url(council, consultation)
    page = client.get(f"{url}/check")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(f"{url}/check", data={"csrf_token": csrf_from(html), "idempotency_key": key}), key, html


def test_resident_answers_every_kind_and_gets_a_reference(client, council, make_consultation):
    consultation = make_consultation()
    answer_all(client, council, consultation)
    response, _key, html = submit(client, council, consultation)
    assert "Check your answers before submitting" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Strongly" not in html or "Oppose" in html
    assert response.status_code == 302
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    reference = re.search(r"ENG-[0-9A-Z]{10}", confirmation).group(0)
    stored = db_session.scalar(select(Response).where(Response.reference == reference))
    assert stored.source == ResponseSource.ONLINE
    assert stored.ward == "Riverside" and stored.postcode == "NB1 4AA"
    assert stored.respondent_type.value == "resident"
    by_position = {a.question.position: a for a in stored.answers}
    assert by_position[1].choices == ["oppose"]
    assert by_position[2].text.endswith("07700 900123.")
    assert by_position[2].redacted_text == "Too much traffic on Mill Lane. Call me on [phone number removed]."
    assert by_position[5].choices == ["Homes", "Schools"]
    assert db_session.scalar(select(func.count(ResponseDraft.id))) == 0


def test_double_submit_stores_one_response(client, council, make_consultation):
    consultation = make_consultation()
    answer_all(client, council, consultation)
    first, key, html = submit(client, council, consultation)
    again = client.post(
        f"{base_url(council, consultation)}/check", data={"csrf_token": csrf_from(html), "idempotency_key": key}
    )
    assert first.status_code == 302 and again.status_code == 302
    assert db_session.scalar(select(func.count(Response.id))) == 1


def test_required_question_must_be_answered(client, council, make_consultation):
    consultation = make_consultation()
    url = base_url(council, consultation)
    client.get(f"{url}/start")
    page = client.get(f"{url}/q/1").get_data(as_text=True)
    qid = re.search(r'name="question_id" type="hidden" value="(\d+)"', page).group(1)
    response = client.post(f"{url}/q/1", data={"csrf_token": csrf_from(page), "question_id": qid})
    assert response.status_code == 400
    assert "Select an answer" in response.get_data(as_text=True)
    # Skipping straight to submit lists the unanswered question and stores nothing.
    response, _key, _html = submit(client, council, consultation)
    assert response.status_code == 400
    assert "Answer question 1" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Response.id))) == 0
