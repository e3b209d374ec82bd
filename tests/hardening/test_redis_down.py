"""Redis unavailable: residents are still served. Rate limits count in the web process's memory and background jobs
that cannot be queued stay recorded in the database (here: the resident's email waits in the outbox)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage import create_app
from engage.db import session as db_session
from engage.models import OutboxEmail
from engage.models.consultations import IdentityMode, Response
from tests.consultations.test_resident import answer_all, submit
from tests.consultations.test_verified import verify

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down(app, monkeypatch, own_limiter_storage):
    """Rate limits and the Celery broker both point at a Redis that is not there."""
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_STORAGE_URI": NOWHERE})  # the process's limiter
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "celery")
    monkeypatch.setitem(app.config, "REDIS_URL", NOWHERE)


def test_a_resident_verifies_answers_and_submits_while_redis_is_down(
    client, council, make_consultation, redis_down, caplog
):
    consultation = make_consultation(identity_mode=IdentityMode.VERIFIED_EMAIL)
    assert verify(client, council, consultation, email="resident@example.org").status_code == 302
    answer_all(client, council, consultation)
    response, _key, _html = submit(client, council, consultation)

    assert response.status_code == 302
    confirmation = client.get(response.headers["Location"])
    stored = db_session.scalar(select(Response).where(Response.consultation_id == consultation.id))
    assert stored is not None and stored.reference in confirmation.get_data(as_text=True)
    # the email link could not be handed to a worker: it is kept, unsent, for `flask mail retry`
    waiting = db_session.scalars(select(OutboxEmail).where(OutboxEmail.to == "resident@example.org")).all()
    assert waiting and all(e.sent_at is None for e in waiting)
    assert "could not enqueue" in caplog.text  # the broker really was tried, and was not there
