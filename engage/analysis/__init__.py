"""Theme analysis: runs in the background, analysts' review, the councillors' summary and the public results."""

from flask import Blueprint, render_template

bp = Blueprint("analysis", __name__, url_prefix="/analysis")


def _council_results(council) -> str:  # type: ignore[no-untyped-def]
    """The council home page's 'what you told us' links to published consultations' themes."""
    from engage.analysis.services import published_with_themes

    consultations = published_with_themes(council)
    if not consultations:
        return ""
    return render_template("analysis/_council_section.html", council=council, consultations=consultations)


from engage.analysis import cli, routes  # noqa: E402,F401
from engage.main.services import COUNCIL_SECTIONS  # noqa: E402

if _council_results not in COUNCIL_SECTIONS:
    COUNCIL_SECTIONS.append(_council_results)
