"""Arbitrary input to every consultation form, officers' and residents': a clear error or a clean save, never a
server error, never markup that renders, and a refused form changes nothing."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from engage.consultations import services as svc
from engage.db import session as db_session
from engage.extensions import limiter
from engage.models import OutboxEmail, User
from engage.models.consultations import (
    IDENTITY_LABELS,
    KIND_LABELS,
    TOPIC_LABELS,
    Answer,
    Consultation,
    Document,
    IdentityMode,
    ModerationAction,
    Question,
    RespondentType,
    ResponseDraft,
    RetentionAction,
)
from tests.consultations.conftest import WARDS, base_url
from tests.consultations.test_resident import answer_all, submit
from tests.hardening.hostile import (
    EMAILS,
    HOSTILE,
    SETTINGS,
    TEXT,
    assert_no_live_markup,
    choice_or_hostile,
    clean,
    count,
    hostile_version,
    outcome,
    post_raw,
    row,
)

DAY = st.one_of(
    st.just(["30", "4", "2099"]),
    st.lists(st.one_of(st.integers(-5, 10_000).map(str), HOSTILE), min_size=0, max_size=4),
    st.tuples(st.integers(0, 40), st.integers(0, 14), st.integers(0, 10_000)).map(lambda t: [str(n) for n in t]),
)
CLOCK = st.one_of(st.sampled_from(["17:30", "09.00", "25:00", "٠٩:٣٠", ""]), HOSTILE)
VALID_CONSULTATION = {
    "title": "Homes on the old Gasworks site",
    "summary": "New homes and a cycle route.",
    "proposal": "## The plan\n\n* 300 homes",
    "topic": "housing",
    "identity_mode": "anonymous",
    "wards": "Riverside\nMill End",
    "closes_on": ["30", "4", "2099"],
    "closes_time": "17:30",
    "retention_months": "24",
    "retention_action": "delete",
    "ask_about_you": "y",
}
CONSULTATION = hostile_version(
    VALID_CONSULTATION,
    {
        "title": HOSTILE,
        "summary": HOSTILE,
        "proposal": HOSTILE,
        "topic": choice_or_hostile(*(t.value for t in TOPIC_LABELS)),
        "identity_mode": choice_or_hostile(*(m.value for m in IDENTITY_LABELS)),
        "wards": HOSTILE,
        "opens_on": st.one_of(st.just(None), DAY),
        "opens_time": st.one_of(st.just(None), CLOCK),
        "closes_on": DAY,
        "closes_time": CLOCK,
        "retention_months": st.one_of(st.sampled_from(["24", "1", "120", "0", "121", "1e3", "9" * 40]), HOSTILE),
        "retention_action": choice_or_hostile(*(a.value for a in RetentionAction)),
        "ask_about_you": st.sampled_from(["y", None]),
        "ask_equality": st.one_of(st.sampled_from(["y", None]), HOSTILE),
        "privacy_extra": HOSTILE,
    },
)
CONSULTATION_TEXT = ("title", "summary", "proposal", "privacy_extra")


@pytest.fixture
def officer_world(signed_in, council, make_consultation):
    client, officer = signed_in("officer")
    return SimpleNamespace(client=client, officer=officer, council=council, make=make_consultation)


def assert_consultation_is_clean(client, council, consultation_id: int) -> None:
    db_session.expire_all()
    consultation = db_session.get(Consultation, consultation_id)
    assert consultation.title.strip(), "a consultation was saved without a title"
    assert consultation.summary.strip(), "a consultation was saved without a summary"
    for name in CONSULTATION_TEXT:
        assert clean(getattr(consultation, name)), name
    assert all(ward.strip() and clean(ward) for ward in consultation.wards)
    manage = f"/c/{council.slug}/manage/consultations/{consultation_id}"
    for url in (manage, f"{manage}/edit", f"/c/{council.slug}/consultations/{consultation_id}"):
        page = client.get(url)
        assert page.status_code < 500, url
        assert_no_live_markup(page.get_data(as_text=True))


@SETTINGS
@given(data=CONSULTATION)
def test_new_consultation_form(officer_world, data):
    w = officer_world
    before = count(Consultation)
    response = post_raw(w.client, f"/c/{w.council.slug}/manage/consultations/new", data)
    if not outcome(response):
        assert count(Consultation) == before
        return
    assert count(Consultation) == before + 1
    newest = db_session.scalar(select(Consultation.id).order_by(Consultation.id.desc()))
    assert_consultation_is_clean(w.client, w.council, newest)


@SETTINGS
@given(data=CONSULTATION)
def test_edit_consultation_form(officer_world, data):
    w = officer_world
    if not hasattr(w, "consultation_id"):
        w.consultation_id = w.make(open=True).id
    before = row(Consultation, w.consultation_id)
    url = f"/c/{w.council.slug}/manage/consultations/{w.consultation_id}/edit"
    if not outcome(post_raw(w.client, url, data)):
        assert row(Consultation, w.consultation_id) == before
        return
    assert_consultation_is_clean(w.client, w.council, w.consultation_id)


@SETTINGS
@given(
    data=hostile_version(
        {"kind": "single_choice", "text": "How do you travel?", "options": "Car\nBus", "char_limit": "1500"},
        {
            "kind": choice_or_hostile(*(k.value for k in KIND_LABELS)),
            "text": HOSTILE,
            "hint": HOSTILE,
            "options": st.one_of(HOSTILE, st.lists(TEXT, max_size=8).map("\n".join)),
            "char_limit": st.one_of(st.integers(-10, 20_000).map(str), HOSTILE),
            "why_text": HOSTILE,
            "required": st.one_of(st.sampled_from(["y", None]), HOSTILE),
        },
    )
)
def test_question_form(officer_world, data):
    w = officer_world
    if not hasattr(w, "consultation_id"):
        w.consultation_id = w.make(open=False, questions=False).id
    manage = f"/c/{w.council.slug}/manage/consultations/{w.consultation_id}"
    before = count(Question)
    if not outcome(post_raw(w.client, f"{manage}/questions/new", data)):
        assert count(Question) == before
        return
    assert count(Question) > before
    for question in db_session.scalars(select(Question)).all():
        assert question.text.strip(), "a question was saved without its wording"
        assert clean(question.text) and clean(question.hint)
        assert all(option.strip() and clean(option) for option in question.options)
        assert 10 <= question.char_limit <= svc.MAX_CHAR_LIMIT
    for url in (manage, f"{manage}/questions/{question.id}"):
        assert_no_live_markup(w.client.get(url).get_data(as_text=True))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
FILE_NAMES = st.one_of(
    st.text(min_size=1, max_size=200),
    st.sampled_from(
        ["../../etc/passwd", "..\\..\\boot.ini", "<script>alert(1)</script>.pdf", "a\x00b.pdf", "plan.pdf.exe", ".pdf"]
    ),
)


@SETTINGS
@given(
    title=TEXT,
    filename=FILE_NAMES,
    content=st.one_of(st.sampled_from([PDF, PNG, b""]), st.binary(max_size=300)),
)
def test_document_form(officer_world, title, filename, content):
    w = officer_world
    if not hasattr(w, "consultation_id"):
        w.consultation_id = w.make(open=False, questions=False).id
    url = f"/c/{w.council.slug}/manage/consultations/{w.consultation_id}/documents"
    before = count(Document)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', w.client.get(url).get_data(as_text=True))
    response = w.client.post(
        url,
        data={"csrf_token": token.group(1), "title": title, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    if not outcome(response):
        assert count(Document) == before
        return
    document = db_session.scalar(select(Document).order_by(Document.id.desc()))
    assert document.title.strip() and clean(document.title)
    assert re.fullmatch(r"[A-Za-z0-9._ -]+\.(pdf|png|jpg|gif|webp)", document.filename), document.filename
    assert_no_live_markup(w.client.get(url).get_data(as_text=True))


@SETTINGS
@given(summary=HOSTILE)
def test_publish_results_form(officer_world, summary):
    w = officer_world
    if not hasattr(w, "consultation_id"):
        consultation = w.make(open=True)
        svc.close_now(db_session.get(User, w.officer.id), consultation)
        db_session.commit()
        w.consultation_id = consultation.id
    before = row(Consultation, w.consultation_id)
    url = f"/c/{w.council.slug}/manage/consultations/{w.consultation_id}/publish"
    if not outcome(post_raw(w.client, url, {"summary": summary})):
        assert row(Consultation, w.consultation_id) == before
        return
    stored = row(Consultation, w.consultation_id)["results_summary"]
    assert stored.strip() and clean(stored)
    public = w.client.get(base_url(w.council, SimpleNamespace(id=w.consultation_id)))
    assert public.status_code == 200
    assert_no_live_markup(public.get_data(as_text=True))


@SETTINGS
@given(action=choice_or_hostile("flag", "unflag", "hide", "unhide"), reason=HOSTILE)
def test_moderate_form(officer_world, app, action, reason):
    w = officer_world
    if not hasattr(w, "answer_id"):
        consultation = w.make(open=True)
        resident = app.test_client()
        answer_all(resident, w.council, consultation)
        assert submit(resident, w.council, consultation)[0].status_code == 302
        w.consultation_id = consultation.id
        w.answer_id = db_session.scalar(select(Answer.id).where(Answer.text != "").order_by(Answer.id))
    before = count(ModerationAction), row(Answer, w.answer_id)
    manage = f"/c/{w.council.slug}/manage/consultations/{w.consultation_id}"
    if not outcome(post_raw(w.client, f"{manage}/answers/{w.answer_id}", {"action": action, "reason": reason})):
        assert (count(ModerationAction), row(Answer, w.answer_id)) == before
        return
    logged = db_session.scalar(select(ModerationAction).order_by(ModerationAction.id.desc()))
    assert logged.reason.strip() and clean(logged.reason) and len(logged.reason) <= 500
    assert_no_live_markup(w.client.get(f"{manage}/responses").get_data(as_text=True))


# ---------------------------------------------------------------- residents


@pytest.fixture
def resident(client, council, make_consultation):
    """An anonymous resident part-way through an open consultation with every kind of question."""
    consultation = make_consultation(ask_equality=True)
    url = base_url(council, consultation)
    assert client.get(f"{url}/start").status_code == 302
    questions = {q.position: (q.id, [v for v, _label in q.choice_items()]) for q in consultation.questions}
    return SimpleNamespace(client=client, url=url, questions=questions)


def draft_state() -> list:
    db_session.expire_all()
    return [(d.answers, d.about, d.equality) for d in db_session.scalars(select(ResponseDraft)).all()]


def assert_draft_is_clean(w) -> None:  # type: ignore[no-untyped-def]
    for answers, about, equality in draft_state():
        for answer in (answers or {}).values():
            assert clean(answer.get("text", "")) and all(c.strip() and clean(c) for c in answer.get("choices", []))
        assert all(clean(v) for v in (about or {}).values())
        assert all(clean(v) for v in (equality or {}).values())
    check = w.client.get(f"{w.url}/check")
    assert check.status_code == 200
    assert_no_live_markup(check.get_data(as_text=True))


def choices_for(values: list[str]):  # type: ignore[no-untyped-def]
    one = choice_or_hostile(*values)
    return st.one_of(one, st.lists(one, max_size=4))


# Question numbers in make_consultation: 1 support/oppose, 2 its free-text "why", 3 free text (200 characters),
# 4 single choice, 5 multiple choice, 6 agreement scale, 7 location.
@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 6, 7])
@SETTINGS
@given(data=st.data())
def test_answer_forms(resident, number, data):
    w = resident
    question_id, values = w.questions[number]
    if number == 7:
        fields = {
            "ward": data.draw(choice_or_hostile(*WARDS)),
            "postcode": data.draw(st.one_of(HOSTILE, st.sampled_from(["nb1 4aa", "NB14AA", " sw1a 1aa ", "ZZ9"]))),
        }
    elif values:
        fields = {"answer": data.draw(choices_for(values))}
    else:
        fields = {"answer": data.draw(HOSTILE)}
    fields["question_id"] = str(question_id)
    fields["save_and_return"] = data.draw(st.sampled_from([None, "1"]))
    before = draft_state()
    if not outcome(post_raw(w.client, f"{w.url}/q/{number}", fields)):
        assert draft_state() == before
        return
    assert_draft_is_clean(w)


@SETTINGS
@given(respondent_type=choice_or_hostile(*(t.value for t in RespondentType)), organisation=HOSTILE)
def test_about_you_form(resident, respondent_type, organisation):
    w = resident
    before = draft_state()
    data = {"respondent_type": respondent_type, "organisation": organisation}
    if not outcome(post_raw(w.client, f"{w.url}/about-you", data)):
        assert draft_state() == before
        return
    assert_draft_is_clean(w)


@SETTINGS
@given(
    data=st.fixed_dictionaries(
        {key: choice_or_hostile(*options, svc.PREFER_NOT_TO_SAY) for key, _label, options in svc.EQUALITY_QUESTIONS}
    )
)
def test_equality_form(resident, data):
    w = resident
    before = draft_state()
    if not outcome(post_raw(w.client, f"{w.url}/equality", data)):
        assert draft_state() == before
        return
    assert_draft_is_clean(w)
    for _answers, _about, equality in draft_state():
        for key, _label, options in svc.EQUALITY_QUESTIONS:
            assert (equality or {}).get(key) in (None, *options, svc.PREFER_NOT_TO_SAY)


@pytest.mark.parametrize("page", ["save", "verify"])
@SETTINGS
@given(email=EMAILS)
def test_email_forms(client, council, make_consultation, page, email):
    """ "Save and come back later" and "confirm your email address": a link is sent, or a clear error."""
    if page == "verify":
        consultation = db_session.scalar(select(Consultation)) or make_consultation(
            identity_mode=IdentityMode.VERIFIED_EMAIL
        )
    else:
        consultation = db_session.scalar(select(Consultation)) or make_consultation()
    url = base_url(council, consultation)
    client.get(f"{url}/start")
    limiter.reset()
    before = count(OutboxEmail)
    if not outcome(post_raw(client, f"{url}/{page}", {"email": email}), saved=(200,)):
        assert count(OutboxEmail) == before
        return
    assert count(OutboxEmail) == before + 1
    sent = db_session.scalar(select(OutboxEmail).order_by(OutboxEmail.id.desc()))
    assert clean(sent.to) and "@" in sent.to and "\n" not in sent.to and "\r" not in sent.to
