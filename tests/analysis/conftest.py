"""Fixtures for theme analysis: a consultation with a support/oppose question, its free-text 'why', and answers."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest

from engage.db import db, utcnow

TOPICS = {
    "parking": [
        "There is not enough parking near the school and the shops",
        "Parking on the high street is already impossible for residents",
        "Where will visitors park? Parking spaces are needed before more homes",
        "Residents parking permits should come first, parking is a nightmare",
    ],
    "trees": [
        "Protect the old trees and the green space in the park",
        "Green space and trees matter for wildlife and children",
        "Please keep the trees, the park is the only green space left",
        "Wildlife in the green space will be lost if the trees go",
    ],
    "traffic": [
        "Traffic on the ring road is gridlocked every morning",
        "More traffic and congestion will make the junction dangerous",
        "The traffic lights at the junction cannot cope with more cars",
        "Congestion and traffic fumes are already bad near the junction",
    ],
    "homes": [
        "We need affordable homes for young families in the town",
        "Affordable housing for local people who cannot afford to buy",
        "Young people are priced out, build affordable homes to rent",
        "Social housing and affordable homes are badly needed here",
    ],
}
WARDS = ["Abbey", "Castle", "Riverside", "Northfield"]
TYPES = ["resident", "resident", "resident", "business", "organisation"]


def answer_texts(n_per_topic: int = 9, seed: int = 1) -> list[tuple[str, str]]:
    """(topic, text) pairs with small variations, so texts differ but topics are clear."""
    rng = random.Random(seed)
    extras = ["", " I live nearby.", " This matters to me.", " Please listen.", " Thank you."]
    out = []
    for topic, texts in TOPICS.items():
        for i in range(n_per_topic):
            out.append((topic, texts[i % len(texts)] + extras[(i // len(texts)) % len(extras)] + rng.choice(["", "!"])))
    return out


@pytest.fixture
def consultation_factory(council):
    from engage.models.consultations import Consultation, ConsultationStatus, Question, QuestionKind

    counter = itertools.count(1)

    def make(council_=None, status=ConsultationStatus.OPEN, title="Northbrook town centre plan"):
        c = council_ or council
        n = next(counter)
        consultation = Consultation(
            council_id=c.id, slug=f"plan-{n}", title=title, summary="Plans", status=status, wards=WARDS
        )
        db.session.add(consultation)
        db.session.flush()
        stance_q = Question(
            consultation_id=consultation.id,
            position=1,
            kind=QuestionKind.SUPPORT_OPPOSE,
            text="Do you support the plan?",
        )
        db.session.add(stance_q)
        db.session.flush()
        why = Question(
            consultation_id=consultation.id,
            position=2,
            kind=QuestionKind.FREE_TEXT,
            text="Why do you say that?",
            stance_question_id=stance_q.id,
        )
        db.session.add(why)
        db.session.commit()
        return consultation

    return make


def add_answers(consultation, texts, start: int = 0, days_ago: int = 3):
    """One valid response per text, answering the support/oppose and the 'why' question."""
    from engage.models.consultations import Answer, Response, ResponseStatus

    stance_q, why = consultation.questions[0], consultation.questions[1]
    answers = []
    for i, item in enumerate(texts):
        topic, text = item if isinstance(item, tuple) else ("", item)
        k = start + i
        choice = "oppose" if topic in {"parking", "traffic", "trees"} else "support"
        if k % 7 == 0:
            choice = "neutral"
        response = Response(
            consultation_id=consultation.id,
            reference=f"R{consultation.id}-{k:05d}",
            idempotency_key=f"key-{consultation.id}-{k}",
            respondent_type=TYPES[k % len(TYPES)],
            ward=WARDS[k % len(WARDS)],
            status=ResponseStatus.VALID,
            submitted_at=utcnow() - timedelta(days=days_ago, hours=k % 24),
        )
        db.session.add(response)
        db.session.flush()
        db.session.add(Answer(response_id=response.id, question_id=stance_q.id, choices=[choice]))
        answer = Answer(response_id=response.id, question_id=why.id, text=text, redacted_text=text)
        db.session.add(answer)
        answers.append(answer)
    db.session.commit()
    return answers


@pytest.fixture
def analysed(app, consultation_factory, make_user, council):
    """A consultation with 48 answers and a finished analysis (fake embedder), plus its analyst."""
    from engage.analysis import runner
    from engage.analysis.services import create_run

    app.config["NLP_EMBEDDER"] = "fake"
    consultation = consultation_factory()
    add_answers(consultation, answer_texts())
    analyst = make_user("analyst", council)
    run = create_run(consultation, None, user=analyst)
    db.session.commit()
    assert runner.execute(run.id)
    db.session.expire_all()
    run = db.session.get(type(run), run.id)
    consultation = db.session.get(type(consultation), consultation.id)
    _ = [q.id for q in consultation.questions], run.stats, analyst.memberships
    return consultation, analyst, run
