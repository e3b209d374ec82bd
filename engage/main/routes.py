from flask import abort, current_app, jsonify, render_template

from engage.main import bp
from engage.main import services as main_services


@bp.route("/")
def home():
    return render_template("main/home.html", councils=main_services.councils())


@bp.route("/c/<slug>")
def council(slug: str):
    council = main_services.council_by_slug(slug)
    if council is None:
        abort(404)
    return render_template(
        "main/council.html",
        council=council,
        current_council=council,
        sections=main_services.council_sections(council),
    )


@bp.route("/accessibility")
def accessibility():
    return render_template("main/accessibility.html")


@bp.route("/privacy")
def privacy():
    return render_template("main/privacy.html")


@bp.route("/healthz")
def healthz():
    ok, detail = main_services.database_ok()
    body = {"status": "ok" if ok else "error", "database": detail}
    return jsonify(body), 200 if ok else 503


@bp.route("/dev/outbox")
def dev_outbox():
    if not current_app.config.get("SHOW_DEV_OUTBOX"):
        abort(404)
    return render_template("main/outbox.html", emails=main_services.recent_outbox())
