"""`flask --app wsgi ...` commands: db, users, seed, mail."""

from __future__ import annotations

import logging
import secrets

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from engage.config import ROOT

db_cli = AppGroup("db", help="Database migrations (Alembic).")
users_cli = AppGroup("users", help="Accounts.")
mail_cli = AppGroup("mail", help="The email outbox.")


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "migrations" / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


def run_alembic(fn, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    from engage.db import db

    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    cfg = alembic_config()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        fn(cfg, *args, **kwargs)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the database up to REVISION (default: the newest)."""
    run_alembic(command.upgrade, revision)
    click.echo(f"Database is at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the database back to REVISION (e.g. -1)."""
    run_alembic(command.downgrade, revision)


@db_cli.command("current")
def db_current() -> None:
    """Show the database's revision."""
    run_alembic(command.current)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    run_alembic(command.revision, message=message, autogenerate=True)


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="The administrator's name.")
@click.option("--password", default=None, help="Otherwise one is generated and printed.")
def create_admin(email: str, name: str, password: str | None) -> None:
    """Create a site administrator who can create councils and invite their people."""
    from engage.auth.services import create_user, find_user
    from engage.db import session as db_session
    from engage.services import ServiceError

    if find_user(email) is not None:
        user = find_user(email)
        user.is_site_admin = True
        db_session.commit()
        click.echo(f"{email} is now a site administrator.")
        return
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        create_user(email, password, name, site_admin=True)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    db_session.commit()
    click.echo(f"Created site administrator {email}.")
    if generated:
        click.echo(f"Password: {password}  (change it after signing in)")


@mail_cli.command("retry")
def mail_retry() -> None:
    """Deliver every email in the outbox that is still queued or failed."""
    from engage.mail import retry_unsent

    click.echo(f"Tried {retry_unsent()} emails.")


@click.command("seed")
@with_appcontext
@click.option("--polis", "polis_dir", default=None, help="Also load Pol.is conversations from here.")
def seed(polis_dir: str | None) -> None:
    """Load the demo council, one user for each role, and demo content (safe to run again)."""
    from engage.seed import seed_demo

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("The demo seed is not for production databases.")
    for line in seed_demo(polis_dir=polis_dir):
        click.echo(line)


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(seed)
