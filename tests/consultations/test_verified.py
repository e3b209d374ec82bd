"""Email-verified consultations: single-use expiring links, one response per email, change and withdraw."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from engage.db import session as db_session
from engage.models import OutboxEmail
from engage.models.consultations import IdentityMode, Response, ResponseStatus
from tests.conftest import csrf_from, post_form
from tests.consultations.conftest import base_url
from tests.consultations.test_resident import answer_all, submit


def last_link(kind: str = "verify") -> str:
    email = db_session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
    match = re.search(rf"http://localhost(/\S+/{kind}/\S+)", email.body)
    assert match, email.body
    return match.group(1)


def verify(client, council, consultation, email="resident@example.org"):
    url = base_url(council, consultation)
    response = post_form(client, f"{url}/verify", {"email": email})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    link = last_link()
    return post_form(client, link, {})


def test_verified_resident_answers_then_changes_answers_by_a_new_link(client, council, make_consultation):
    consultation = make_consultation(identity_mode=IdentityMode.VERIFIED_EMAIL)
    url = base_url(council, consultation)
    # Answer pages send an unverified resident to the email page.
    client.get(f"{url}/start")
    assert client.get(f"{url}/q/1").headers["Location"].endswith("/verify")
    assert verify(client, council, consultation).status_code == 302
    answer_all(client, council, consultation)
    response, _key, _html = submit(client, council, consultation)
    assert response.status_code == 302
    first = db_session.scalar(select(Response))
    assert first.email_hash and "resident@example.org" not in first.email_hash

    # Later, on another device: a new link shows the answers to change.
    other = client.application.test_client()
    response = verify(other, council, consultation, email="Resident@Example.org ")
    assert response.headers["Location"].endswith("/check")
    check = other.get(f"{url}/check").get_data(as_text=True)
    assert "You have already responded" in check and "Bike" in check
    page = other.get(f"{url}/q/4").get_data(as_text=True)
    qid = re.search(r'name="question_id" type="hidden" value="(\d+)"', page).group(1)
    other.post(f"{url}/q/4?change=1", data={"csrf_token": csrf_from(page), "question_id": qid, "answer": "Bus"})
    response, _key, _html = submit(other, council, consultation)
    assert response.status_code == 302
    db_session.expire_all()
    responses = db_session.scalars(select(Response)).all()
    assert len(responses) == 1 and responses[0].reference == first.reference
    chosen = {a.question.position: a.choices for a in responses[0].answers}
    assert chosen[4] == ["Bus"]


def test_links_are_single_use_and_tamper_proof(client, council, make_consultation):
    consultation = make_consultation(identity_mode=IdentityMode.VERIFIED_EMAIL)
    url = base_url(council, consultation)
    post_form(client, f"{url}/verify", {"email": "a@example.org"})
    link = last_link()
    assert post_form(client, link, {}).status_code == 302
    again = post_form(client.application.test_client(), link, {})
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    forged = post_form(client, link[:-3] + "abc", {})
    assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)
    # A GET (as an email scanner would) does not use the link up.
    post_form(client, f"{url}/verify", {"email": "b@example.org"})
    fresh = last_link()
    assert client.get(fresh).status_code == 200
    assert post_form(client, fresh, {}).status_code == 302


def test_expired_link_is_refused(client, council, make_consultation, app):
    consultation = make_consultation(identity_mode=IdentityMode.VERIFIED_EMAIL)
    post_form(client, f"{base_url(council, consultation)}/verify", {"email": "a@example.org"})
    link = last_link()
    app.config["CONSULTATION_LINK_HOURS"] = -1
    try:
        response = post_form(client, link, {})
    finally:
        app.config.pop("CONSULTATION_LINK_HOURS")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_bad_email_gets_an_error(client, council, make_consultation):
    consultation = make_consultation(identity_mode=IdentityMode.VERIFIED_EMAIL)
    response = post_form(client, f"{base_url(council, consultation)}/verify", {"email": "not-an-email"})
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_withdraw_a_verified_response(client, council, make_consultation):
    consultation = make_consultation(identity_mode=IdentityMode.VERIFIED_EMAIL)
    url = base_url(council, consultation)
    verify(client, council, consultation)
    answer_all(client, council, consultation)
    submit(client, council, consultation)
    verify(client, council, consultation)
    response = post_form(client, f"{url}/withdraw", {})
    assert response.status_code == 400 and "Confirm that you want to withdraw" in response.get_data(as_text=True)
    response = post_form(client, f"{url}/withdraw", {"confirm": "y"})
    assert response.status_code == 200 and "Response withdrawn" in response.get_data(as_text=True)
    stored = db_session.scalar(select(Response))
    db_session.refresh(stored)
    assert stored.status == ResponseStatus.WITHDRAWN and stored.answers == [] and stored.email_hash is None
    # They may respond again.
    verify(client, council, consultation)
    answer_all(client, council, consultation)
    assert submit(client, council, consultation)[0].status_code == 302


def test_save_and_return_by_emailed_link(client, council, make_consultation):
    consultation = make_consultation()
    url = base_url(council, consultation)
    client.get(f"{url}/start")
    page = client.get(f"{url}/q/1").get_data(as_text=True)
    qid = re.search(r'name="question_id" type="hidden" value="(\d+)"', page).group(1)
    response = client.post(
        f"{url}/q/1",
        data={"csrf_token": csrf_from(page), "question_id": qid, "answer": "support", "save_and_return": "1"},
    )
    assert response.headers["Location"].endswith("/save")
    response = post_form(client, f"{url}/save", {"email": "later@example.org"})
    assert "Check your email" in response.get_data(as_text=True)
    link = last_link("resume")
    elsewhere = client.application.test_client()
    response = elsewhere.get(link)
    assert response.status_code == 302
    check = elsewhere.get(f"{url}/check").get_data(as_text=True)
    assert "Support" in check
    assert elsewhere.get(link[:-4] + "xxxx").status_code == 404


def test_save_and_return_works_before_a_required_answer_is_given(client, council, make_consultation):
    consultation = make_consultation()
    url = base_url(council, consultation)
    client.get(f"{url}/start")
    page = client.get(f"{url}/q/1").get_data(as_text=True)
    qid = re.search(r'name="question_id" type="hidden" value="(\d+)"', page).group(1)
    response = client.post(
        f"{url}/q/1", data={"csrf_token": csrf_from(page), "question_id": qid, "save_and_return": "1"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/save")
    # Bad input is still refused when saving.
    response = client.post(
        f"{url}/q/1",
        data={"csrf_token": csrf_from(page), "question_id": qid, "answer": "nonsense", "save_and_return": "1"},
    )
    assert response.status_code == 400


def test_a_verified_resident_downloads_a_copy_of_their_response(app, client, council, make_consultation):
    import json

    consultation = make_consultation(identity_mode=IdentityMode.VERIFIED_EMAIL)
    url = base_url(council, consultation)
    stranger = app.test_client()
    assert stranger.get(f"{url}/my-response.json").status_code == 302  # confirm your email first
    verify(client, council, consultation)
    answer_all(client, council, consultation)
    submit(client, council, consultation)
    verify(client, council, consultation)  # a new link, as a resident coming back would
    download = client.get(f"{url}/my-response.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    copy = json.loads(download.get_data(as_text=True))
    stored = db_session.scalar(select(Response))
    assert copy["reference"] == stored.reference
    assert len(copy["answers"]) == len(stored.answers)
    assert "resident@example.org" not in download.get_data(as_text=True)
    assert stranger.get(f"{url}/my-response.json").status_code == 302
