"""Demo themes. Analysing the demo consultation's 660 answers with the real model takes one to two minutes on a
two-core machine (loading the model, compiling UMAP once, embedding), too long for `make run`; so by default the
seed leaves it to the analyst and says how. ANALYSIS_SEED_RUN=1 runs it at seed time instead."""

from __future__ import annotations

import time

from sqlalchemy import select

from engage.db import session as db_session
from engage.models import Council
from engage.models.consultations import Consultation

DEMO_SLUG = "gasworks-homes-and-mill-lane-cycle-route"


def seed(council: Council, polis_dir: str | None = None) -> list[str]:
    from engage.analysis import runner, services
    from engage.analysis.embedding import setting

    consultation = db_session.scalar(
        select(Consultation).where(Consultation.council_id == council.id, Consultation.slug == DEMO_SLUG)
    )
    if consultation is None:
        return ["Theme analysis: no demo consultation, skipped"]
    if services.current_sets(consultation):
        return [f"Theme analysis: {consultation.title} already has themes (/analysis/consultations/{consultation.id})"]
    if not setting("ANALYSIS_SEED_RUN", False):
        return [
            f"Theme analysis: not run yet. Sign in as analyst@{council.slug}.example and start it at "
            f"/analysis/consultations/{consultation.id} (one to two minutes), or run "
            f"`flask --app wsgi analysis run {council.slug}/{consultation.slug}`"
        ]
    started = time.perf_counter()
    run = services.create_run(consultation, None)
    db_session.commit()
    ok = runner.execute(run.id)
    seconds = time.perf_counter() - started
    if not ok:
        db_session.expire_all()
        error = db_session.get(type(run), run.id).error
        return [f"Theme analysis: the demo analysis failed ({error}); sign in as the analyst to run it again"]
    return [
        f"Theme analysis: {consultation.title} analysed in {seconds:.0f} s "
        f"(/analysis/consultations/{consultation.id}; summary at /analysis/consultations/{consultation.id}/summary)"
    ]
