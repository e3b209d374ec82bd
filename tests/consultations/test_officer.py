"""Officers create, question, open, close and publish consultations; the lifecycle guards hold."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engage.consultations import services as svc
from engage.db import session as db_session
from engage.models import AuditEvent
from engage.models.consultations import Consultation, ConsultationStatus, Question, QuestionKind
from engage.services import PermissionDenied, ServiceError
from tests.conftest import post_form, sign_in
from tests.consultations.conftest import base_url
from tests.consultations.test_resident import answer_all, submit

NEW = {
    "title": "Heat network for the town centre",
    "summary": "Should homes join a low-carbon heat network?",
    "proposal": "We propose **pipes**. <script>alert('x')</script> [link](javascript:alert(1))",
    "topic": "net_zero",
    "identity_mode": "anonymous",
    "wards": "Riverside\nMill End\n\nRiverside",
    "closes_on": ["30", "4", "2099"],
    "closes_time": "17:30",
    "retention_months": "24",
    "retention_action": "delete",
    "ask_about_you": "y",
}


def create(client, council, **overrides):
    data = {**NEW, **overrides}
    return post_form(client, f"/c/{council.slug}/manage/consultations/new", data)


def test_officer_creates_adds_questions_opens_closes_publishes(signed_in, council, client):
    client, _officer = signed_in("officer")
    response = create(client, council)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    consultation = db_session.scalar(select(Consultation))
    assert consultation.wards == ["Riverside", "Mill End"]
    # 17:30 in London on 30 April (summer time) is 16:30 UTC.
    assert (consultation.closes_at.hour, consultation.closes_at.minute) == (16, 30)
    manage = f"/c/{council.slug}/manage/consultations/{consultation.id}"
    # It cannot open without questions.
    response = post_form(client, f"{manage}/status", {"action": "open"}, get_url=manage)
    db_session.expire_all()
    assert db_session.get(Consultation, consultation.id).status == ConsultationStatus.DRAFT
    assert "Add at least one question" in client.get(manage).get_data(as_text=True)
    response = post_form(
        client,
        f"{manage}/questions/new",
        {"kind": "support_oppose", "text": "Do you support a heat network?", "why_text": "Why?", "required": "y"},
    )
    assert response.status_code == 302
    response = post_form(
        client, f"{manage}/questions/new", {"kind": "single_choice", "text": "Heating now?", "options": "Gas\nOil"}
    )
    assert response.status_code == 302
    questions = db_session.scalars(select(Question).order_by(Question.position)).all()
    assert [(q.position, q.kind) for q in questions] == [
        (1, QuestionKind.SUPPORT_OPPOSE),
        (2, QuestionKind.FREE_TEXT),
        (3, QuestionKind.SINGLE_CHOICE),
    ]
    assert questions[1].stance_question_id == questions[0].id
    # Reorder: move the choice question up.
    post_form(client, f"{manage}/questions/{questions[2].id}/up", {}, get_url=manage)
    db_session.expire_all()
    assert db_session.get(Question, questions[2].id).position == 2
    response = post_form(client, f"{manage}/status", {"action": "open"}, get_url=manage)
    db_session.expire_all()
    assert db_session.get(Consultation, consultation.id).status == ConsultationStatus.OPEN
    page = client.get(base_url(council, consultation)).get_data(as_text=True)
    assert "<strong>pipes</strong>" in page
    assert "<script>alert" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;alert" in page
    post_form(client, f"{manage}/status", {"action": "close"}, get_url=manage)
    response = post_form(client, f"{manage}/publish", {"summary": "You told us **lots**."})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Consultation, consultation.id).status == ConsultationStatus.PUBLISHED
    public = client.get(base_url(council, consultation)).get_data(as_text=True)
    assert "You told us <strong>lots</strong>." in public
    council_page = client.get(f"/c/{council.slug}").get_data(as_text=True)
    assert "Heat network for the town centre" in council_page


def test_bad_consultation_form_changes_nothing(signed_in, council):
    client, _officer = signed_in("officer")
    response = create(client, council, title="", closes_on=["31", "2", "2099"], closes_time="25:00")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in html and "Enter a title" in html
    assert "must be a real date" in html and "Enter the closing time like" in html
    response = create(client, council, title="Control \x01 char")
    assert response.status_code == 400
    assert db_session.scalar(select(func.count(Consultation.id))) == 0


def test_other_roles_and_councils_cannot_manage(signed_in, council, other_council, make_user, make_consultation):
    consultation = make_consultation(open=False)
    client, _analyst = signed_in("analyst")
    assert client.get(f"/c/{council.slug}/manage/consultations/{consultation.id}").status_code == 403
    assert create(client, council).status_code in (403, 400)
    outsider = make_user("officer", other_council)
    with pytest.raises(PermissionDenied):
        svc.open_now(outsider, consultation)
    # A draft is not shown to the public.
    anonymous = client.application.test_client()
    assert anonymous.get(base_url(council, consultation)).status_code == 404


def test_guards_once_responses_exist(client, council, officer, make_consultation):
    consultation = make_consultation()
    answer_all(client, council, consultation)
    submit(client, council, consultation)
    db_session.expire_all()
    question = db_session.scalars(select(Question).where(Question.kind == QuestionKind.SINGLE_CHOICE)).first()
    with pytest.raises(ServiceError, match="cannot be removed"):
        svc.delete_question(officer, question)
    with pytest.raises(ServiceError, match="cannot change"):
        svc.update_question(officer, question, svc.QuestionData(QuestionKind.MULTI_CHOICE, "x", options=["A", "B"]))
    svc.update_question(
        officer,
        question,
        svc.QuestionData(QuestionKind.SINGLE_CHOICE, "How do you usually travel?", options=question.options),
    )
    db_session.commit()
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "question.reworded"))
    assert event.detail["before"]["text"] == "How do you travel?"
    assert event.detail["after"]["text"] == "How do you usually travel?"
    officer_client = client.application.test_client()
    sign_in(officer_client, db_session.merge(officer))
    manage = officer_client.get(f"/c/{council.slug}/manage/consultations/{consultation.id}").get_data(as_text=True)
    assert "Wording changed after responses arrived" in manage and "How do you usually travel?" in manage


def test_lifecycle_guards(officer, make_consultation):
    consultation = make_consultation(open=False)
    with pytest.raises(ServiceError):
        svc.close_now(officer, consultation)
    with pytest.raises(ServiceError):
        svc.publish(officer, consultation, "Summary")
    with pytest.raises(ServiceError, match="opening date in the future"):
        svc.schedule(officer, consultation)
    empty = make_consultation(open=False, questions=False, title="Empty")
    with pytest.raises(ServiceError, match="at least one question"):
        svc.open_now(officer, empty)
    svc.open_now(officer, consultation)
    with pytest.raises(ServiceError):
        svc.publish(officer, consultation, "Summary")
    svc.close_now(officer, consultation)
    with pytest.raises(ServiceError):
        svc.open_now(officer, consultation)
    svc.publish(officer, consultation, "What we heard")
    assert consultation.status == ConsultationStatus.PUBLISHED
    svc.publish(officer, consultation, "What we heard, corrected")  # the published summary can be corrected
    assert consultation.results_summary == "What we heard, corrected"


def test_preview_shows_the_resident_pages_but_stores_nothing(signed_in, council, make_consultation):
    client, officer = signed_in("officer")
    consultation = make_consultation(open=False)
    url = base_url(council, consultation)
    page = client.get(f"{url}/q/1").get_data(as_text=True)
    assert "Preview." in page and "Do you support the plan?" in page
    check = client.get(f"{url}/check").get_data(as_text=True)
    assert "Check your answers" in check and "Submit your response" not in check
    assert post_form(client, f"{url}/check", {"idempotency_key": "forged"}).status_code == 200
    from engage.models.consultations import Response

    assert db_session.scalar(select(func.count(Response.id))) == 0
    assert re.search(r"Question 1 of \d+", page)


def test_officers_have_a_consultations_link_in_the_menu(signed_in):
    from bs4 import BeautifulSoup

    client, _ = signed_in("officer")
    page = BeautifulSoup(client.get("/account").get_data(as_text=True), "html.parser")
    links = {a.get_text(strip=True): a["href"] for a in page.select(".govuk-service-navigation__link")}
    assert links["Consultations"] == "/c/testshire/manage/consultations"
    resident_page = BeautifulSoup(client.application.test_client().get("/").get_data(as_text=True), "html.parser")
    resident_links = {a.get_text(strip=True) for a in resident_page.select(".govuk-service-navigation__link")}
    assert "Consultations" not in resident_links
