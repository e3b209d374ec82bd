"""Demo content for `make run`: a council, one user for each role, and (as features land) their content."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from engage.auth.services import add_membership, create_user, find_user
from engage.db import session as db_session
from engage.jobs import optional_module
from engage.models import Council
from engage.models.accounts import Role

DEMO_COUNCIL = {
    "slug": "northbrook",
    "name": "Northbrook Borough Council",
    "intro": "Have your say on plans for Northbrook's homes, streets and energy.",
}
DEMO_PASSWORD = "demo-password-for-{role}"  # noqa: S105 - printed for the local demo only
DEMO_USERS = [
    ("admin@northbrook.example", "Asha Patel", Role.ADMIN),
    ("officer@northbrook.example", "Owen Hughes", Role.OFFICER),
    ("analyst@northbrook.example", "Anna Kowalski", Role.ANALYST),
    ("councillor@northbrook.example", "Cllr Chris Mensah", Role.COUNCILLOR),
    ("judge@northbrook.example", "Dr Jo Whitfield", Role.JUDGE),
]
SITE_ADMIN = ("site-admin@engage.example", "Sam Reid")


def demo_council() -> Council:
    council = db_session.scalar(select(Council).where(Council.slug == DEMO_COUNCIL["slug"]))
    if council is None:
        council = Council(**DEMO_COUNCIL)
        db_session.add(council)
        db_session.flush()
    return council


def seed_demo(polis_dir: str | None = None) -> Iterator[str]:
    council = demo_council()
    lines = [f"Demo council: {council.name} (/c/{council.slug})", "Sign in at /sign-in as:"]
    email, name = SITE_ADMIN
    password = DEMO_PASSWORD.format(role="site-admin")
    if find_user(email) is None:
        create_user(email, password, name, site_admin=True, check=False)
    lines.append(f"  site admin   {email:34} {password}")
    for email, name, role in DEMO_USERS:
        password = DEMO_PASSWORD.format(role=role.value)
        user = find_user(email) or create_user(email, password, name, check=False)
        add_membership(user, council, role)
        lines.append(f"  {role.value:12} {email:34} {password}")
    db_session.commit()
    for module in ("engage.consultations.seed", "engage.prizes.seed", "engage.analysis.seed"):
        seeder = optional_module(module)
        if seeder is None:
            continue
        lines.extend(seeder.seed(council, polis_dir=polis_dir))
        db_session.commit()
    yield from lines
