"""Consultations: officers create and run them, residents answer them, nothing is lost."""

from flask import Blueprint, render_template

bp = Blueprint("consultations", __name__)


def _council_section(council):  # type: ignore[no-untyped-def]
    from flask_login import current_user

    from engage.consultations.services import is_officer, public_consultations

    return render_template(
        "consultations/_council_section.html",
        council=council,
        groups=public_consultations(council),
        can_manage=is_officer(current_user, council.id),
    )


def _nav(user):  # type: ignore[no-untyped-def]
    """A "Consultations" link for officers and administrators, one per council they run consultations for."""
    from engage.models.accounts import Role

    councils = sorted(
        {m.council for m in user.memberships if m.role in (Role.OFFICER, Role.ADMIN)}, key=lambda c: c.name
    )
    many = len(councils) > 1
    return [
        {
            "href": f"/c/{council.slug}/manage/consultations",
            "text": f"Consultations: {council.name}" if many else "Consultations",
        }
        for council in councils
    ]


def _register_section() -> None:
    from engage.main.services import COUNCIL_SECTIONS, NAV_LINKS

    if _council_section not in COUNCIL_SECTIONS:
        COUNCIL_SECTIONS.append(_council_section)
    if _nav not in NAV_LINKS:
        NAV_LINKS.append(_nav)


_register_section()

from engage.consultations import cli, routes  # noqa: E402,F401
