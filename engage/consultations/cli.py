"""`flask --app wsgi consultations ...`: housekeeping for responses and answers in progress."""

from __future__ import annotations

import click

from engage.consultations import bp

bp.cli.short_help = "Consultations: delete or anonymise expired responses, delete unsent answers."


@bp.cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted or anonymised.")
def purge(dry_run: bool) -> None:
    """Delete or anonymise responses kept for their consultation's retention period, and stale answers in progress.

    Each consultation says which: delete its responses, or keep the answers and remove personal details.
    """
    from engage.consultations.retention import purge_expired

    click.echo(purge_expired(dry_run=dry_run).summary())
