"""The public pages' data: councils and the service's health."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from sqlalchemy import select, text

from engage.db import db
from engage.db import session as db_session
from engage.models import Council, OutboxEmail

# Blueprints add what a council's home page shows (open consultations, prizes, ...): each function takes the
# council and returns rendered HTML. Registered at import time by the blueprint's package.
COUNCIL_SECTIONS: list[Callable[[Council], Markup | str]] = []


# Blueprints add links to the service navigation for a signed-in user: each function takes the user and returns
# a list of {"href": ..., "text": ...}. Registered at import time by the blueprint's package.
NAV_LINKS: list[Callable[[Any], list[dict[str, str]]]] = []


def nav_links(user: Any) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    for provider in NAV_LINKS:
        links.extend(provider(user))
    return links


def council_sections(council: Council) -> list[Markup]:
    return [Markup(section(council)) for section in COUNCIL_SECTIONS]  # noqa: S704  # nosec B704 - rendered, escaped templates


def councils() -> list[Council]:
    return list(db_session.scalars(select(Council).order_by(Council.name)))


def council_by_slug(slug: str) -> Council | None:
    return db_session.scalar(select(Council).where(Council.slug == slug))


def database_ok() -> tuple[bool, str]:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # the point is to report it
        return False, type(exc).__name__
    return True, "ok"


def recent_outbox(limit: int = 50) -> list[OutboxEmail]:
    return list(db_session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(limit)))
