"""Retention: at the end of each consultation's retention period its responses are deleted or anonymised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from engage.consultations import services as svc
from engage.consultations.retention import purge_expired
from engage.db import Base, db, utcnow
from engage.db import session as db_session
from engage.mail import queue_email
from engage.models import AuditEvent, OutboxEmail
from engage.models.consultations import (
    Answer,
    Consultation,
    IdentityMode,
    ModerationAction,
    QuestionKind,
    RespondentType,
    Response,
    ResponseDraft,
)
from engage.services import ServiceError
from tests.conftest import csrf_from, post_form, sign_in
from tests.consultations.conftest import base_url, consultation_data
from tests.consultations.test_officer import NEW, create
from tests.consultations.test_resident import ALL_ANSWERS, answer_all, submit
from tests.consultations.test_verified import verify

EMAIL = "jo.bloggs@example.org"
PERSONAL_ANSWERS = {
    **ALL_ANSWERS,
    2: {"answer": "Too much traffic outside my house at NB1 4AA. Email jo.bloggs@example.org or ring 07700 900123."},
    3: {"answer": "My NI number is QQ 12 34 56 C, see www.jobloggs.co.uk"},
    7: {"ward": "Riverside", "postcode": "nb1 4aa"},
}
# Nothing of these may be left anywhere in the database once the responses are anonymised.
PERSONAL = ["jo.bloggs", "07700", "900123", "4AA", "QQ 12", "jobloggs", "Jo Bloggs", "25 to 34"]


def respond(client, council, consultation, answers=ALL_ANSWERS, about=None):
    answer_all(client, council, consultation, answers=answers)
    if about:
        assert post_form(client, f"{base_url(council, consultation)}/about-you", about).status_code == 302
    response, _key, _html = submit(client, council, consultation)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def expire(consultation, days_ago: int = 40) -> Consultation:
    """Close the consultation `days_ago` days ago (its retention period is 1 month in these tests)."""
    consultation = db_session.get(Consultation, consultation.id)
    consultation.closes_at = utcnow() - timedelta(days=days_ago)
    db_session.commit()
    return consultation


def count(model) -> int:
    return db_session.scalar(select(func.count()).select_from(model)) or 0


def dump(leave_out: tuple[str, ...] = ()) -> str:
    """Every row of every table (but those left out), as text."""
    db_session.expire_all()
    return "\n".join(
        repr(row)
        for table in Base.metadata.sorted_tables
        if table.name not in leave_out
        for row in db_session.execute(select(table)).all()
    )


def dump_of(consultation) -> list:
    db_session.expire_all()
    rows = db_session.scalars(select(Response).where(Response.consultation_id == consultation.id)).all()
    return [
        (
            r.email_hash,
            r.organisation,
            r.postcode,
            r.equality,
            r.anonymised_at,
            [(a.text, a.choices) for a in r.answers],
        )
        for r in rows
    ]


def test_anonymising_removes_every_personal_detail_and_keeps_the_answers(
    client, app, council, officer, make_consultation
):
    consultation = make_consultation(
        identity_mode=IdentityMode.VERIFIED_EMAIL, ask_equality=True, retention_months=1, retention_action="anonymise"
    )
    url = base_url(council, consultation)
    # A verified resident gives contact details in free text, a postcode, equality answers and asks for a
    # save-and-return link: emails to them wait in the outbox.
    verify(client, council, consultation, email=EMAIL)
    answer_all(client, council, consultation, answers=PERSONAL_ANSWERS)
    assert post_form(client, f"{url}/equality", {"age": "25 to 34", "sex": "Female"}).status_code == 302
    assert post_form(client, f"{url}/save", {"email": EMAIL}).status_code == 200
    response, _key, _html = submit(client, council, consultation)
    assert response.status_code == 302
    # A second resident responds for a business: its name is not a personal detail and stays.
    business = client.application.test_client()
    verify(business, council, consultation, email="owner@bakery.example")
    respond(
        business,
        council,
        consultation,
        about={"respondent_type": "business", "organisation": "Mill Lane Bakery"},
    )
    mine = db_session.scalar(select(Response).where(Response.respondent_type == RespondentType.RESIDENT))
    mine.organisation = "Jo Bloggs"  # as a paper response typed in by an officer can have it
    queue_email("officer@council.example", "Your invitation", "Join the council at http://localhost/invite/x")
    db_session.commit()
    mine_id = mine.id
    # An officer hid one of the answers, quoting its contact details in the reason.
    why_id = next(a.id for a in mine.answers if a.question.position == 2)
    svc.moderate(officer, consultation, why_id, "hide", "Gives a phone number, 07700 900123, and jo.bloggs@example.org")
    db_session.commit()
    hashed = svc.email_hash(EMAIL)
    assert svc.existing_verified_response(consultation, hashed) is not None
    before = {
        "responses": svc.response_count(consultation),
        "answers": count(Answer),
        "tallies": svc.tallies(consultation),
        "free_text": {q.id: len(svc.free_text_answers(q.id)) for q in svc.free_text_questions(consultation.id)},
    }
    everything = dump()
    assert [p for p in PERSONAL if p not in everything] == [] and hashed in everything
    # With a new link the resident can get a copy of their response while it is kept.
    verify(client, council, consultation, email=EMAIL)
    assert client.get(f"{url}/my-response.json").get_json()["postcode"] == "NB1 4AA"

    expire(consultation)
    report = purge_expired()

    assert (report.anonymised, report.deleted, report.emails, report.drafts) == (2, 0, 4, 1)
    db_session.expire_all()
    after = {
        "responses": svc.response_count(consultation),
        "answers": count(Answer),
        "tallies": svc.tallies(consultation),
        "free_text": {q.id: len(svc.free_text_answers(q.id)) for q in svc.free_text_questions(consultation.id)},
    }
    assert after == before
    everything = dump()
    assert [p for p in PERSONAL if p in everything] == []
    assert hashed not in everything
    mine = db_session.get(Response, mine_id)
    assert mine.anonymised_at is not None
    assert (mine.email_hash, mine.organisation, mine.postcode, mine.equality) == (None, "", "NB1", {})
    assert (mine.ward, mine.respondent_type) == ("Riverside", RespondentType.RESIDENT)
    texts = {a.question.kind: a for a in mine.answers if a.question.kind != QuestionKind.FREE_TEXT}
    assert (texts[QuestionKind.LOCATION].text, texts[QuestionKind.LOCATION].choices) == ("NB1", ["Riverside"])
    why = next(a for a in mine.answers if a.question.position == 2)
    assert why.text == why.redacted_text
    reason = db_session.scalar(select(ModerationAction.reason).where(ModerationAction.answer_id == why_id))
    assert reason == "Gives a phone number, [phone number removed], and [email removed]"
    assert why.text.startswith("Too much traffic outside my house at [postcode removed]. Email [email removed]")
    other = db_session.scalar(select(Response).where(Response.respondent_type == RespondentType.BUSINESS))
    assert other.organisation == "Mill Lane Bakery" and other.anonymised_at is not None
    # The officer's email is not about the consultation and stays; the residents' emails are gone.
    assert [e.to for e in db_session.scalars(select(OutboxEmail))] == ["officer@council.example"]
    # The resident can no longer find the response to copy it (nor, were it open, to change or withdraw it).
    assert svc.existing_verified_response(consultation, hashed) is None
    copy = client.get(f"{url}/my-response.json")
    assert copy.status_code == 302 and "/verify" in copy.headers["Location"]
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "responses.anonymised")).all()
    assert len(events) == 1 and events[0].detail["responses"] == 2 and events[0].council_id == council.id
    # Officers see which responses were anonymised, and when.
    officer_client = client.application.test_client()
    sign_in(officer_client, officer)
    listing = officer_client.get(f"/c/{council.slug}/manage/consultations/{consultation.id}/responses")
    assert listing.get_data(as_text=True).count(", anonymised ") == 2


def test_delete_deletes_expired_responses_and_leaves_those_still_kept(client, council, officer, make_consultation):
    expired = make_consultation(retention_months=1)
    kept = make_consultation(retention_months=1, retention_action="anonymise", title="Parking")
    for consultation in (expired, kept):
        respond(client.application.test_client(), council, consultation)
    saver = client.application.test_client()
    answer_all(saver, council, expired)
    assert post_form(saver, f"{base_url(council, expired)}/save", {"email": EMAIL}).status_code == 200
    assert purge_expired().deleted == 0  # both still open
    flagged = db_session.scalar(select(Answer.id).join(Response).where(Response.consultation_id == expired.id))
    svc.moderate(officer, expired, flagged, "flag", "Rude about a neighbour; call 07700 900123 to check")
    db_session.commit()
    expire(expired)
    expire(kept, days_ago=20)  # closed, but its month is not over
    kept_before = dump_of(kept)

    report = purge_expired()

    assert (report.deleted, report.anonymised, report.emails, report.drafts) == (1, 0, 1, 1)
    assert report.summary().startswith("Deleted 1 response and anonymised 0 responses past their retention period")
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Response.id)).where(Response.consultation_id == expired.id)) == 0
    assert count(Answer) == len(ALL_ANSWERS)  # the kept consultation's
    assert count(OutboxEmail) == 0 and count(ResponseDraft) == 0
    assert dump_of(kept) == kept_before
    assert db_session.scalar(select(Response).where(Response.consultation_id == kept.id)).anonymised_at is None
    deleted = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "responses.deleted")).all()
    assert [(e.target_id, e.detail["responses"]) for e in deleted] == [(str(expired.id), 1)]
    # the audit log keeps that the answer was flagged, but not the phone number its reason quoted
    flag = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "answer.flag"))
    assert flag.detail["reason"] == "Rude about a neighbour; call [phone number removed] to check"


def test_dry_run_changes_nothing_and_a_second_run_is_harmless(app, client, council, make_consultation):
    anonymise = make_consultation(retention_months=1, retention_action="anonymise")
    delete = make_consultation(retention_months=1, title="Parking")
    respond(client.application.test_client(), council, anonymise, answers=PERSONAL_ANSWERS)
    respond(client.application.test_client(), council, delete)
    expire(anonymise)
    expire(delete)
    before = dump()

    dry = purge_expired(dry_run=True)

    assert (dry.deleted, dry.anonymised) == (1, 1)
    assert dry.summary().startswith("Would delete 1 response and anonymise 1 response")
    assert dump() == before

    first = purge_expired()
    assert (first.deleted, first.anonymised) == (1, 1)
    after_first = dump(leave_out=("audit_event",))
    second = purge_expired()
    assert (second.deleted, second.anonymised, second.emails, second.drafts) == (0, 0, 0, 0)
    assert dump(leave_out=("audit_event",)) == after_first
    # Only the run itself is recorded again.
    runs = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purged")).all()
    assert [e.detail["anonymised"] for e in runs] == [1, 0]
    responses = db_session.scalars(select(AuditEvent).where(AuditEvent.action.like("responses.%"))).all()
    assert sorted(e.action for e in responses) == ["responses.anonymised", "responses.deleted"]
    assert dump_of(anonymise)[0][4] is not None  # anonymised_at


def test_purge_command_reports_deleted_and_anonymised(app, client, council, make_consultation):
    anonymise = make_consultation(retention_months=1, retention_action="anonymise")
    delete = make_consultation(retention_months=1, title="Parking")
    respond(client.application.test_client(), council, anonymise)
    respond(client.application.test_client(), council, delete)
    expire(anonymise)
    expire(delete)
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["consultations", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would delete 1 response and anonymise 1 response" in dry.output
    assert count(Response) == 2

    real = runner.invoke(args=["consultations", "purge"])
    assert real.exit_code == 0, real.output
    assert "Deleted 1 response and anonymised 1 response" in real.output
    db_session.expire_all()
    assert count(Response) == 1


def test_officer_chooses_what_happens_when_the_retention_period_ends(signed_in, council, client):
    client, _officer = signed_in("officer")
    form = client.get(f"/c/{council.slug}/manage/consultations/new").get_data(as_text=True)
    assert "When the retention period ends" in form
    assert "Anonymise: keep the answers, remove personal details" in form
    assert "The answers stay for the analysis and the published results" in form  # the hint

    missing = create(client, council, retention_action="")
    assert missing.status_code == 400
    assert "Select what happens to the responses when the retention period ends" in missing.get_data(as_text=True)
    invalid = create(client, council, retention_action="shred")
    assert invalid.status_code == 400
    assert "Select whether to delete the responses or anonymise them" in invalid.get_data(as_text=True)
    assert count(Consultation) == 0

    assert create(client, council, retention_action="anonymise", retention_months="18").status_code == 302
    consultation = db_session.scalar(select(Consultation))
    assert (consultation.retention_months, consultation.retention_action) == (18, "anonymise")
    manage = f"/c/{council.slug}/manage/consultations/{consultation.id}"
    overview = client.get(manage).get_data(as_text=True)
    assert "18 months after the consultation closes, then anonymised" in overview
    edit = client.get(f"{manage}/edit").get_data(as_text=True)
    assert 'value="anonymise" checked' in edit
    saved = client.post(f"{manage}/edit", data={**NEW, "csrf_token": csrf_from(edit), "retention_action": "delete"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    db_session.expire_all()
    assert db_session.get(Consultation, consultation.id).retention_action == "delete"
    assert "then deleted" in client.get(manage).get_data(as_text=True)


def test_service_refuses_an_unknown_retention_action(officer, council):
    with pytest.raises(ServiceError, match="delete the responses or anonymise them"):
        svc.create_consultation(
            db_session.merge(officer), db_session.merge(council), consultation_data(retention_action="archive")
        )


@pytest.mark.parametrize(
    ("action", "says"),
    [
        ("delete", "then delete them"),
        ("anonymise", "Then we remove your personal details"),
    ],
)
def test_privacy_notice_and_copy_say_what_happens_at_the_end(client, council, make_consultation, action, says):
    consultation = make_consultation(
        identity_mode=IdentityMode.VERIFIED_EMAIL, retention_months=18, retention_action=action
    )
    html = client.get(f"{base_url(council, consultation)}/privacy").get_data(as_text=True)
    assert "We keep responses for 18 months after the consultation closes" in html
    assert says in html
    assert ("then delete them" in html) == (action == "delete")
    assert ("Your answers are kept without anything that identifies you" in html) == (action == "anonymise")
    verify(client, council, consultation, email=EMAIL)
    respond(client, council, consultation)
    verify(client, council, consultation, email=EMAIL)
    copy = client.get(f"{base_url(council, consultation)}/my-response.json").get_json()
    expected = "then anonymised" if action == "anonymise" else "then deleted"
    assert copy["kept_until"].startswith("18 months after the consultation closes, then")
    assert expected in copy["kept_until"]


def test_consultations_delete_unless_told_otherwise(app, council, make_consultation):
    consultation = make_consultation(questions=False, open=False)
    assert db_session.get(Consultation, consultation.id).retention_action == "delete"
    # Rows that existed before the choice did get "delete" from the database default.
    column = next(c for c in inspect(db.engine).get_columns("consultation") if c["name"] == "retention_action")
    assert column["nullable"] is False and "delete" in str(column["default"])
