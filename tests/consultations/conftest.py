"""Fixtures for consultation tests: an open consultation with every kind of question."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage.consultations import services as svc
from engage.db import session as db_session
from engage.db import utcnow
from engage.models.consultations import IdentityMode, QuestionKind, Topic

WARDS = ["Riverside", "Mill End", "Gasworks"]


def consultation_data(**overrides) -> svc.ConsultationData:
    data = {
        "title": "Homes on the old Gasworks site",
        "summary": "New homes and a cycle route.",
        "proposal": "## The plan\n\n* 300 homes\n* a cycle route",
        "topic": Topic.HOUSING,
        "opens_at": None,
        "closes_at": utcnow() + timedelta(days=30),
        "identity_mode": IdentityMode.ANONYMOUS,
        "wards": list(WARDS),
        "retention_months": 24,
        "ask_about_you": True,
        "ask_equality": False,
        "privacy_extra": "",
    }
    data.update(overrides)
    return svc.ConsultationData(**data)


def add_all_questions(user, consultation) -> None:
    add = svc.add_question
    add(
        user,
        consultation,
        svc.QuestionData(
            QuestionKind.SUPPORT_OPPOSE, "Do you support the plan?", required=True, why_text="Why do you say that?"
        ),
    )
    add(user, consultation, svc.QuestionData(QuestionKind.FREE_TEXT, "Anything else?", char_limit=200))
    add(
        user,
        consultation,
        svc.QuestionData(QuestionKind.SINGLE_CHOICE, "How do you travel?", options=["Car", "Bus", "Bike"]),
    )
    add(
        user,
        consultation,
        svc.QuestionData(QuestionKind.MULTI_CHOICE, "What matters most?", options=["Homes", "Parks", "Schools"]),
    )
    add(user, consultation, svc.QuestionData(QuestionKind.AGREEMENT_SCALE, "The route is safe"))
    add(user, consultation, svc.QuestionData(QuestionKind.LOCATION, "Where do you live?"))


@pytest.fixture
def officer(make_user, council):
    return make_user("officer", council)


@pytest.fixture
def make_consultation(council, officer):
    """make_consultation(open=True, questions=True, **fields) -> Consultation created by an officer."""

    def _make(open: bool = True, questions: bool = True, **overrides):
        from engage.models import User

        user = db_session.get(User, officer.id)  # requests made before this may have ended the session
        consultation = svc.create_consultation(user, db_session.merge(council), consultation_data(**overrides))
        if questions:
            add_all_questions(user, consultation)
        if open:
            svc.open_now(user, consultation)
        db_session.commit()
        return consultation

    return _make


def base_url(council, consultation) -> str:
    return f"/c/{council.slug}/consultations/{consultation.id}"
