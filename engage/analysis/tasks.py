"""Background tasks of the theme analysis (the same code on the thread and Celery backends)."""

from __future__ import annotations

from engage.jobs import task


@task("analysis.run")
def run_analysis(run_id: int) -> bool:
    from engage.analysis import runner

    return runner.execute(run_id)


@task("analysis.assign_new")
def assign_new(theme_set_id: int) -> int:
    from engage.analysis import services

    return services.assign_new_answers(theme_set_id)
