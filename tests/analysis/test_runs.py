"""Runs: job state, current themes switched only on success, stale runs, carry-over, new answers, the cache."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from engage.db import db, utcnow
from tests.analysis.conftest import add_answers, answer_texts


def _current(consultation):
    from engage.analysis import services

    return services.current_set(consultation.questions[1])


def _rerun(consultation, user=None, refit=False):
    from engage.analysis import runner
    from engage.analysis.services import create_run

    run = create_run(consultation, None, user=user, refit=refit)
    db.session.commit()
    runner.execute(run.id)
    db.session.expire_all()
    return db.session.get(type(run), run.id)


def test_run_finds_themes_and_makes_them_current(analysed):
    from engage.models.analysis import RunStatus

    consultation, _analyst, run = analysed
    run = db.session.get(type(run), run.id)
    assert run.status == RunStatus.SUCCEEDED
    assert run.progress == 1.0 and run.finished_at is not None and run.answer_count == 36
    theme_set = _current(consultation)
    assert theme_set is not None and theme_set.run_id == run.id
    labels = " ".join(t.label.lower() for t in theme_set.themes)
    assert "parking" in labels and "affordable" in labels
    assert run.stats["embedded"] > 0 and run.stats["cached"] == 0


def test_rerun_on_unchanged_answers_embeds_nothing(analysed):
    consultation, analyst, first = analysed
    labels = sorted(t.label for t in _current(consultation).themes)
    second = _rerun(consultation, analyst)
    assert second.status.value == "succeeded"
    assert second.stats["embedded"] == 0 and second.stats["reused"] == 1
    assert _current(consultation).run_id == second.id
    assert sorted(t.label for t in _current(consultation).themes) == labels
    refit = _rerun(consultation, analyst, refit=True)
    assert refit.stats["embedded"] == 0 and refit.stats["cached"] == first.stats["embedded"]
    assert sorted(t.label for t in _current(consultation).themes) == labels  # same answers, same seed, same themes
    from engage.analysis.embedding import get_embedder

    embedder = get_embedder()
    seen = len(embedder.embedded)
    new = "Build more council homes for rent near the station"
    add_answers(consultation, [("homes", new)], start=900)
    third = _rerun(consultation, analyst)
    embedded_now = embedder.embedded[seen:]
    # the new answer is embedded (with any key phrase not met before); every other answer comes from the cache
    assert new in embedded_now
    assert not {text for _topic, text in answer_texts()} & set(embedded_now)
    assert third.stats["embedded"] == len(embedded_now) and third.stats["cached"] >= 36


def test_failed_run_keeps_the_current_themes(analysed, monkeypatch):
    import nlp.pipeline

    consultation, analyst, first = analysed
    before = {t.id: t.label for t in _current(consultation).themes}

    def broken(self, *args, **kwargs):
        raise RuntimeError("the clustering library crashed")

    monkeypatch.setattr(nlp.pipeline.ThemePipeline, "fit", broken)
    run = _rerun(consultation, analyst, refit=True)
    assert run.status.value == "failed"
    assert "clustering library crashed" in run.error
    current = _current(consultation)
    assert current.run_id == first.id
    assert {t.id: t.label for t in current.themes} == before


def test_a_run_marked_failed_while_working_never_becomes_current(analysed, monkeypatch):
    import nlp.pipeline
    from engage.analysis import runner
    from engage.models.analysis import AnalysisRun

    consultation, analyst, first = analysed
    original = nlp.pipeline.ThemePipeline.fit

    def reaped_midway(self, texts, ids=None, stances=None, progress=None, group=""):
        run_id = db.session.scalar(select(AnalysisRun.id).order_by(AnalysisRun.id.desc()))
        runner.fail(run_id, "stopped responding")
        return original(self, texts, ids=ids, stances=stances, progress=None, group=group)

    monkeypatch.setattr(nlp.pipeline.ThemePipeline, "fit", reaped_midway)
    run = _rerun(consultation, analyst, refit=True)
    assert run.status.value == "failed"
    assert _current(consultation).run_id == first.id


def test_stale_heartbeat_is_marked_failed_when_anyone_looks_and_a_new_run_can_start(analysed, app):
    from engage.analysis import services
    from engage.models.analysis import AnalysisRun, RunStatus
    from engage.services import ServiceError

    consultation, analyst, first = analysed
    run = services.create_run(consultation, None, user=analyst)
    run.status = RunStatus.RUNNING
    run.heartbeat_at = utcnow()
    db.session.commit()
    with pytest.raises(ServiceError, match="already running"):
        services.create_run(consultation, None, user=analyst)
    db.session.rollback()
    run = db.session.get(AnalysisRun, run.id)
    run.heartbeat_at = utcnow() - timedelta(seconds=120)
    db.session.commit()
    assert services.active_run(consultation) is None
    db.session.expire_all()
    dead = db.session.get(AnalysisRun, run.id)
    assert dead.status == RunStatus.FAILED and "stopped responding" in dead.error
    assert _current(consultation).run_id == first.id
    again = _rerun(consultation, analyst)
    assert again.status == RunStatus.SUCCEEDED


def test_analyst_names_carry_over_to_the_next_run(analysed):
    from engage.analysis import services

    consultation, analyst, _first = analysed
    theme_set = _current(consultation)
    parking = next(t for t in theme_set.themes if "parking" in t.label.lower())
    services.rename(analyst, parking, "Parking pressure", "Not enough spaces for residents")
    services.set_what_we_did(make_officer(consultation), parking, "We will add 40 spaces.")
    rerun = _rerun(consultation, analyst)
    new_set = _current(consultation)
    assert new_set.run_id == rerun.id
    carried = [t for t in new_set.themes if t.label == "Parking pressure"]
    assert len(carried) == 1
    assert carried[0].named_by_analyst and carried[0].what_we_did == "We will add 40 spaces."
    assert carried[0].description == "Not enough spaces for residents"


def make_officer(consultation):
    from engage.auth.services import add_membership, create_user
    from engage.models import Council
    from engage.models.accounts import Role

    user = create_user(f"officer{utcnow().timestamp()}@example.org", "correct horse battery staple", "Officer")
    add_membership(user, db.session.get(Council, consultation.council_id), Role.OFFICER)
    db.session.commit()
    return user


def test_new_answers_are_placed_into_existing_themes(analysed):
    from engage.analysis import services, summary

    consultation, _analyst, _run = analysed
    add_answers(
        consultation, [("parking", "Parking near the school is impossible for residents")], start=500, days_ago=0
    )
    theme_set = _current(consultation)
    question = consultation.questions[1]
    assert services.new_answer_ids(theme_set, question)
    qs = summary.summarise_question(question)  # viewing queues the placement (eager in tests)
    assert qs.waiting == 1
    db.session.expire_all()
    qs = summary.summarise_question(question)
    assert qs.arrived == 1 and qs.waiting == 0
    placed = next(
        t
        for t in qs.themes
        if any(
            r.text.startswith("Parking near the school is impossible")
            for r in summary.theme_answers(t.theme, 1, 100)[0]
        )
    )
    assert "parking" in placed.theme.label.lower()


def test_database_embedding_cache_round_trip(app_ctx):
    from engage.analysis.embedding import DatabaseEmbeddingCache

    cache = DatabaseEmbeddingCache(db.engine)
    vectors = {"a" * 64: np.arange(4, dtype=np.float32), "b" * 64: np.ones(4, dtype=np.float32)}
    cache.put_many("model-x", vectors)
    cache.put_many("model-x", vectors)  # twice is harmless
    got = cache.get_many("model-x", ["a" * 64, "b" * 64, "c" * 64])
    assert set(got) == {"a" * 64, "b" * 64}
    assert np.allclose(got["a" * 64], [0, 1, 2, 3])
    assert cache.get_many("model-y", ["a" * 64]) == {}


def test_counts_under_five_are_suppressed():
    from engage.analysis.summary import shown

    assert shown(0) == "0"
    assert shown(1) == shown(4) == "fewer than 5"
    assert shown(5) == "5" and shown(1234) == "1,234"


def test_cli_runs_an_analysis_with_a_progress_bar(app, consultation_factory, council):
    app.config["NLP_EMBEDDER"] = "fake"
    consultation = consultation_factory()
    add_answers(consultation, answer_texts())
    result = app.test_cli_runner().invoke(args=["analysis", "run", str(consultation.id)])
    assert result.exit_code == 0, result.output
    assert "Analysing" in result.output and "Finished" in result.output
    assert "Q2: Why do you say that?" in result.output
    db.session.expire_all()
    assert _current(consultation) is not None
    result = app.test_cli_runner().invoke(args=["analysis", "run", "no-such-consultation"])
    assert result.exit_code != 0 and "No consultation" in result.output
    result = app.test_cli_runner().invoke(args=["analysis", "reap"])
    assert result.exit_code == 0 and "Marked 0" in result.output
