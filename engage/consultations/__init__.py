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


def _register_section() -> None:
    from engage.main.services import COUNCIL_SECTIONS

    if _council_section not in COUNCIL_SECTIONS:
        COUNCIL_SECTIONS.append(_council_section)


_register_section()

from engage.consultations import cli, routes  # noqa: E402,F401
