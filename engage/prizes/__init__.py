"""Challenge prizes: officers set a problem, experts enter, judges score fairly, councils award and explain."""

from flask import Blueprint, render_template

bp = Blueprint("prizes", __name__, url_prefix="/prizes")


def _council_section(council):  # type: ignore[no-untyped-def]
    from flask_login import current_user

    from engage.models.accounts import Role
    from engage.prizes.services import council_prizes, is_officer

    signed_in = bool(current_user and current_user.is_authenticated)
    return render_template(
        "prizes/_council_section.html",
        prizes=council_prizes(council),
        council=council,
        signed_in=signed_in,
        is_judge=signed_in and current_user.has_role(council.id, Role.JUDGE),
        is_officer=is_officer(current_user, council.id),
    )


def _nav(user):  # type: ignore[no-untyped-def]
    from engage.models.accounts import Role
    from engage.prizes.services import is_entrant

    roles = {m.role for m in user.memberships}
    links = []
    if roles & {Role.OFFICER, Role.ADMIN} or user.is_site_admin:
        links.append({"href": "/prizes/manage", "text": "Prizes"})
    if Role.JUDGE in roles:
        links.append({"href": "/prizes/judging", "text": "Judging"})
    if is_entrant(user):
        links.append({"href": "/prizes/entries", "text": "Your entries"})
    return links


from engage.main.services import COUNCIL_SECTIONS, NAV_LINKS  # noqa: E402

if _council_section not in COUNCIL_SECTIONS:
    COUNCIL_SECTIONS.append(_council_section)
if _nav not in NAV_LINKS:
    NAV_LINKS.append(_nav)

from engage.prizes import routes  # noqa: E402,F401
