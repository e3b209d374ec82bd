"""The Celery backend for real: a `celery -A engage.worker worker` process on Redis and a shared SQLite file.

The fault test kills the worker in the middle of a run and shows that the run is marked failed (its heartbeat went
stale), the previous themes are untouched, and a new run on a new worker succeeds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from engage import create_app
from engage.config import ROOT
from engage.db import db
from tests.analysis.conftest import WARDS, add_answers, answer_texts
from tests.conftest import need_service

pytestmark = [pytest.mark.redis, pytest.mark.slow]
STALE_SECONDS = 4


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        need_service("Redis", "REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        need_service("Redis", f"cannot connect to {url} ({type(exc).__name__})")
    return url


@pytest.fixture
def celery_env(tmp_path: Path, redis_url: str):
    """An app on a SQLite file sending jobs to a private queue, and a way to start workers for it."""
    database = f"sqlite:///{tmp_path / 'celery.sqlite'}"
    queue = f"engage-test-{uuid.uuid4().hex[:8]}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "JOBS_BACKEND": "celery",
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": queue,
            "NLP_EMBEDDER": "fake",
            "ANALYSIS_STALE_SECONDS": STALE_SECONDS,
        }
    )
    env = {
        **os.environ,
        "ENGAGE_ENV": "development",
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "celery-test-secret-key-that-is-long-enough",
        "NLP_EMBEDDER": "fake",
        "ANALYSIS_HEARTBEAT_SECONDS": "0.5",
        "ENGAGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "PYTHONPATH": str(ROOT),
        "JOBS_BACKEND": "thread",
    }
    workers: list[subprocess.Popen] = []

    def start_worker() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(workers)}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "engage.worker",
                "worker",
                "-Q",
                queue,
                "--concurrency=1",
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        workers.append(process)
        return process

    with app.app_context():
        db.create_all()
        yield app, start_worker, tmp_path
        db.remove()
    for process in workers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _setup_consultation(extra: int = 0):
    from engage.auth.services import add_membership, create_user
    from engage.models import Council
    from engage.models.accounts import Role
    from engage.models.consultations import Consultation, ConsultationStatus, Question, QuestionKind

    council = Council(slug="celeryshire", name="Celeryshire Council")
    db.session.add(council)
    db.session.flush()
    analyst = create_user("analyst@celeryshire.example", "correct horse battery staple", "Analyst")
    add_membership(analyst, council, Role.ANALYST)
    consultation = Consultation(
        council_id=council.id, slug="plan", title="Plan", status=ConsultationStatus.OPEN, wards=WARDS
    )
    db.session.add(consultation)
    db.session.flush()
    stance = Question(consultation_id=consultation.id, position=1, kind=QuestionKind.SUPPORT_OPPOSE, text="Support?")
    db.session.add(stance)
    db.session.flush()
    db.session.add(
        Question(
            consultation_id=consultation.id,
            position=2,
            kind=QuestionKind.FREE_TEXT,
            text="Why?",
            stance_question_id=stance.id,
        )
    )
    db.session.commit()
    add_answers(consultation, answer_texts())
    return consultation, analyst


def _many_answers(n: int) -> list[tuple[str, str]]:
    rng = random.Random(7)
    places = [
        "Mill Lane",
        "Church Street",
        "the station",
        "the park",
        "the school",
        "Market Square",
        "the bypass",
        "Riverside Walk",
        "the leisure centre",
        "the library",
        "Castle Road",
        "the retail park",
    ]
    words = ["worried", "angry", "pleased", "concerned", "hopeful", "unsure", "delighted", "frustrated", "tired"]
    from tests.analysis.conftest import TOPICS

    out = []
    for i in range(n):
        topic = rng.choice(list(TOPICS))
        out.append(
            (
                topic,
                f"{rng.choice(TOPICS[topic])} at {rng.choice(places)}, I am {rng.choice(words)} "
                f"about it ({rng.choice(words)} {i})",
            )
        )
    return out


def _wait_for(predicate, timeout: float, what: str, logs: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    worker_logs = "\n".join(p.read_text()[-3000:] for p in sorted(logs.glob("worker-*.log")))
    pytest.fail(f"timed out waiting for {what}\n{worker_logs}")


def _run(run_id):
    from engage.models.analysis import AnalysisRun

    return db.session.get(AnalysisRun, run_id)


def test_a_celery_worker_runs_an_analysis(celery_env):
    from engage.analysis import services

    app, start_worker, tmp = celery_env
    consultation, analyst = _setup_consultation()
    start_worker()
    run = services.start_run(analyst, consultation)
    done = _wait_for(
        lambda: _run(run.id).status.value in {"succeeded", "failed"} and _run(run.id),
        120,
        "the worker to finish the analysis",
        tmp,
    )
    assert done.status.value == "succeeded", done.error
    assert done.started_at is not None and done.heartbeat_at is not None
    assert services.current_set(consultation.questions[1]).run_id == run.id


def test_killing_the_worker_mid_run_fails_the_run_keeps_old_themes_and_a_new_run_succeeds(celery_env):
    from engage.analysis import services

    app, start_worker, tmp = celery_env
    consultation, analyst = _setup_consultation()
    worker = start_worker()
    first = services.start_run(analyst, consultation)
    _wait_for(lambda: _run(first.id).status.value == "succeeded", 120, "the first analysis", tmp)
    before = services.current_set(consultation.questions[1])
    before_themes = sorted((t.id, t.label) for t in before.themes)

    add_answers(consultation, _many_answers(600), start=1000)
    second = services.start_run(analyst, consultation)
    _wait_for(
        lambda: _run(second.id).status.value == "running" and _run(second.id).progress > 0.05,
        120,
        "the second analysis to be under way",
        tmp,
    )
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert _run(second.id).status.value == "running"  # nobody has looked yet

    time.sleep(STALE_SECONDS + 1)
    assert services.active_run(consultation) is None  # looking marks it failed
    failed = _run(second.id)
    assert failed.status.value == "failed" and "stopped responding" in failed.error
    current = services.current_set(consultation.questions[1])
    assert current.id == before.id
    assert sorted((t.id, t.label) for t in current.themes) == before_themes

    start_worker()
    third = services.start_run(analyst, consultation)
    done = _wait_for(
        lambda: _run(third.id).status.value in {"succeeded", "failed"} and _run(third.id),
        240,
        "the new analysis on a new worker",
        tmp,
    )
    assert done.status.value == "succeeded", done.error
    assert services.current_set(consultation.questions[1]).run_id == third.id
    assert done.answer_count == 36 + 600
