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


def _nav(user) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """'Theme analysis' in the service navigation for analysts, councillors, officers and council admins."""
    from flask import url_for

    from engage.analysis.services import may_see_any

    return [{"href": url_for("analysis.index"), "text": "Theme analysis"}] if may_see_any(user) else []


from engage.analysis import cli, routes  # noqa: E402,F401
from engage.main import services as _main  # noqa: E402

if _council_results not in _main.COUNCIL_SECTIONS:
    _main.COUNCIL_SECTIONS.append(_council_results)
if hasattr(_main, "NAV_LINKS") and _nav not in _main.NAV_LINKS:
    _main.NAV_LINKS.append(_nav)
