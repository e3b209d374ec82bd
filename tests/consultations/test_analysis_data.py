"""What the theme analysis reads: free-text answers with stance, ward and respondent type; plus the demo seed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from engage.consultations import services as svc
from engage.db import session as db_session
from engage.db import utcnow
from engage.models.consultations import (
    Answer,
    ConsultationStatus,
    ModerationAction,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
)
from tests.conftest import post_form, sign_in
from tests.consultations.test_resident import ALL_ANSWERS, answer_all, submit


def test_free_text_answers_carry_stance_ward_and_type(client, council, officer, make_consultation):
    consultation = make_consultation()
    answer_all(client, council, consultation)
    submit(client, council, consultation)
    answers = {
        **ALL_ANSWERS,
        1: {"answer": "strongly_support"},
        2: {"answer": "Homes for my children, email me at a@b.com"},
    }
    second = client.application.test_client()
    answer_all(second, council, consultation, answers=answers)
    submit(second, council, consultation)
    why = db_session.scalar(select(Question).where(Question.stance_question_id.is_not(None)))
    items = svc.free_text_answers(why.id)
    assert [(i.stance, i.stance_value) for i in items] == [("oppose", "oppose"), ("support", "strongly_support")]
    assert items[1].text == "Homes for my children, email me at [email removed]"
    assert {i.ward for i in items} == {"Riverside"} and {i.respondent_type for i in items} == {"resident"}
    unpaired = db_session.scalar(select(Question).where(Question.text == "Anything else?"))
    assert all(i.stance is None for i in svc.free_text_answers(unpaired.id))
    # Hidden answers and withdrawn responses are left out; duplicates on request.
    user = db_session.merge(officer)
    svc.moderate(user, consultation, items[0].answer_id, "hide", "Personal attack")
    db_session.commit()
    assert [i.answer_id for i in svc.free_text_answers(why.id)] == [items[1].answer_id]
    assert len(svc.free_text_answers(why.id, include_hidden=True)) == 2
    svc.mark_response(user, consultation, items[1].response_id, "duplicate")
    db_session.commit()
    assert svc.free_text_answers(why.id, include_duplicates=False) == []
    assert [q.id for q in svc.free_text_questions(consultation.id)] == [why.id, unpaired.id]


def test_officer_moderation_is_recorded_with_a_reason(signed_in, client, council, make_consultation, make_user):
    consultation = make_consultation()
    answer_all(client, council, consultation)
    submit(client, council, consultation)
    officer_client, _officer = signed_in("officer")
    answer = db_session.scalar(select(Answer).where(Answer.text.like("Too much traffic%")))
    url = f"/c/{council.slug}/manage/consultations/{consultation.id}/answers/{answer.id}"
    response = post_form(officer_client, url, {"action": "flag", "reason": ""})
    assert response.status_code == 400 and "Enter the reason" in response.get_data(as_text=True)
    response = post_form(officer_client, url, {"action": "flag", "reason": "Check the phone number"})
    assert response.status_code == 302
    listing = officer_client.get(f"/c/{council.slug}/manage/consultations/{consultation.id}/responses")
    html = listing.get_data(as_text=True)
    assert "07700 900123" in html  # officers see the original
    assert "Check the phone number" in html and "Flagged" in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert db_session.scalar(select(func.count(ModerationAction.id))) == 1
    # Someone without the officer role cannot moderate.
    analyst_client = client.application.test_client()
    sign_in(analyst_client, make_user("analyst", db_session.merge(council)))
    assert analyst_client.get(url).status_code == 403


def test_scheduled_consultation_opens_and_closes_on_time(officer, make_consultation):
    consultation = make_consultation(open=False, opens_at=utcnow() + timedelta(days=1))
    user = db_session.merge(officer)
    svc.schedule(user, consultation)
    assert svc.current_status(consultation) == ConsultationStatus.SCHEDULED
    assert svc.current_status(consultation, utcnow() + timedelta(days=2)) == ConsultationStatus.OPEN
    assert svc.current_status(consultation, utcnow() + timedelta(days=40)) == ConsultationStatus.CLOSED


def test_privacy_notice_says_what_is_kept_and_for_how_long(client, council, make_consultation):
    from engage.models.consultations import IdentityMode

    consultation = make_consultation(
        identity_mode=IdentityMode.VERIFIED_EMAIL, retention_months=18, privacy_extra="Contact **dpo@council.example**."
    )
    html = client.get(f"/c/{council.slug}/consultations/{consultation.id}/privacy").get_data(as_text=True)
    assert "18 months after the consultation closes" in html
    assert "scrambled code made from your email address" in html
    assert "<strong>dpo@council.example</strong>" in html


def test_demo_seed_has_about_300_varied_responses_and_is_idempotent(council, make_user):
    from engage.consultations.seed import GASWORKS_SLUG, seed
    from engage.models.consultations import Consultation

    make_user("officer", council, email="officer@northbrook.example")
    lines = seed(db_session.merge(council))
    assert any("305 responses" in line for line in lines)
    assert seed(db_session.merge(council)) == lines
    gasworks = db_session.scalar(select(Consultation).where(Consultation.slug == GASWORKS_SLUG))
    assert {q.kind for q in gasworks.questions} == set(QuestionKind)
    why = next(q for q in gasworks.questions if q.stance_question_id is not None)
    items = svc.free_text_answers(why.id)
    assert len(items) >= 290
    stances = Counter(i.stance for i in items)
    assert stances["support"] > 50 and stances["oppose"] > 50 and stances["neutral"] > 10
    assert len({i.ward for i in items}) >= 6 and len({i.respondent_type for i in items}) >= 4
    texts = Counter(i.text for i in items)
    assert texts.most_common(1)[0][1] >= 10  # a campaign template
    assert len(texts) > 200
    statuses = Counter(
        r.status for r in db_session.scalars(select(Response).where(Response.consultation_id == gasworks.id))
    )
    assert statuses[ResponseStatus.DUPLICATE] == 2
