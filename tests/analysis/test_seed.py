"""The demo seed: leaves the analysis to the analyst unless asked, runs it when asked, and is safe to run twice."""

from __future__ import annotations

from engage.db import db
from tests.analysis.conftest import add_answers, answer_texts


def test_seed_runs_the_demo_analysis_only_when_asked(app, council, consultation_factory):
    from engage.analysis import seed, services

    app.config["NLP_EMBEDDER"] = "fake"
    consultation = consultation_factory()
    consultation.slug = seed.DEMO_SLUG
    db.session.commit()
    add_answers(consultation, answer_texts())
    lines = seed.seed(council)
    assert "not run yet" in lines[0] and f"/analysis/consultations/{consultation.id}" in lines[0]
    assert not services.current_sets(consultation)
    app.config["ANALYSIS_SEED_RUN"] = True
    try:
        assert "analysed in" in seed.seed(council)[0]
        assert services.current_sets(consultation)
        assert "already has themes" in seed.seed(council)[0]
    finally:
        app.config.pop("ANALYSIS_SEED_RUN")
