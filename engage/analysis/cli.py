"""`flask --app wsgi analysis ...`: run an analysis in the foreground, mark dead runs failed, place new answers."""

from __future__ import annotations

import click
from sqlalchemy import select

from engage.analysis import bp


def _find_consultation(ref: str):  # type: ignore[no-untyped-def]
    from engage.db import session as db_session
    from engage.models import Council
    from engage.models.consultations import Consultation

    if ref.isdigit():
        consultation = db_session.get(Consultation, int(ref))
    elif "/" in ref:
        council_slug, slug = ref.split("/", 1)
        consultation = db_session.scalar(
            select(Consultation)
            .join(Council, Council.id == Consultation.council_id)
            .where(Council.slug == council_slug, Consultation.slug == slug)
        )
    else:
        matches = list(db_session.scalars(select(Consultation).where(Consultation.slug == ref)))
        if len(matches) > 1:
            raise click.ClickException(f"More than one council has a consultation called {ref!r}: use COUNCIL/{ref}")
        consultation = matches[0] if matches else None
    if consultation is None:
        raise click.ClickException(f"No consultation {ref!r} (give its number, its slug, or COUNCIL/SLUG)")
    return consultation


@bp.cli.command("run")
@click.argument("consultation")
@click.option("--question", "question_id", type=int, default=None, help="Only this free-text question (its id).")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed: same answers, same themes.")
@click.option("--refit", is_flag=True, help="Fit again even when the answers have not changed.")
def run_command(consultation: str, question_id: int | None, seed: int, refit: bool) -> None:
    """Analyse CONSULTATION (number, slug or COUNCIL/SLUG) now, in the foreground, with a progress bar."""
    from engage.analysis import runner, services, summary
    from engage.db import session as db_session
    from engage.models.analysis import AnalysisRun, RunStatus
    from engage.services import ServiceError

    found = _find_consultation(consultation)
    try:
        run = services.create_run(found, question_id, seed=seed, refit=refit)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    db_session.commit()
    click.echo(f"Analysis {run.id} of “{found.title}”")
    with click.progressbar(length=1000, label="Analysing", show_percent=True, show_eta=False) as bar:
        state = {"done": 0}

        def echo(fraction: float, message: str) -> None:
            target = int(fraction * 1000)
            if target > state["done"]:
                bar.update(target - state["done"])
                state["done"] = target
            bar.label = message[:40].ljust(40)

        runner.execute(run.id, echo=echo)
    db_session.expire_all()
    run = db_session.get(AnalysisRun, run.id)
    if run.status != RunStatus.SUCCEEDED:
        raise click.ClickException(f"The analysis failed: {run.error}")
    click.echo(
        f"Finished in {run.stats.get('seconds', 0):.1f} s: {run.answer_count} answers, "
        f"{run.stats.get('embedded', 0)} embedded, {run.stats.get('cached', 0)} from the cache"
        + (", earlier themes reused for unchanged answers." if run.stats.get("reused") else ".")
    )
    for qs in summary.summarise(found, catch_up=False):
        if qs.theme_set is None:
            continue
        click.echo(f"{qs.question.code}: {qs.question.text}")
        for ts in qs.themes:
            click.echo(f"  {ts.count:6d}  {ts.percent:>5}  {ts.theme.label}")


@bp.cli.command("reap")
def reap_command() -> None:
    """Mark failed every running analysis whose worker has stopped sending its heartbeat."""
    from engage.analysis import runner

    click.echo(f"Marked {runner.reap_stale()} stalled analyses as failed.")


@bp.cli.command("assign")
def assign_command() -> None:
    """Place answers that arrived since the last analysis into the current themes."""
    from engage.analysis import services
    from engage.db import session as db_session
    from engage.models.analysis import ThemeSet

    total = 0
    for theme_set in list(db_session.scalars(select(ThemeSet).where(ThemeSet.is_current.is_(True)))):
        total += services.assign_new_answers(theme_set.id)
    click.echo(f"Placed {total} new answers into themes.")
