"""`flask --app wsgi consultations ...`: housekeeping for responses and answers in progress."""

from __future__ import annotations

import click

from engage.consultations import bp

bp.cli.short_help = "Consultations: delete expired responses and unsent answers."


@bp.cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
def purge(dry_run: bool) -> None:
    """Delete responses kept longer than their consultation's retention period, and stale answers in progress."""
    from engage.consultations.retention import purge_expired

    drafts, responses = purge_expired(dry_run=dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb} {responses} responses past their retention period and {drafts} unsent answers in progress.")
