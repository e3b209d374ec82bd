"""Challenge prizes: officers set a problem, experts enter, judges score fairly, councils award and explain."""

from flask import Blueprint, render_template

bp = Blueprint("prizes", __name__, url_prefix="/prizes")


def _council_section(council):  # type: ignore[no-untyped-def]
    from engage.prizes.services import council_prizes

    return render_template("prizes/_council_section.html", prizes=council_prizes(council), council=council)


from engage.main.services import COUNCIL_SECTIONS  # noqa: E402

if _council_section not in COUNCIL_SECTIONS:
    COUNCIL_SECTIONS.append(_council_section)

from engage.prizes import routes  # noqa: E402,F401
