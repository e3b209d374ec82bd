"""Engage: consultations, challenge prizes and theme analysis for UK councils."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dotenv import load_dotenv
from flask import Flask, g, render_template, request
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from engage.config import INSTANCE, ROOT, Config, ConfigError, load_config

LONDON = ZoneInfo("Europe/London")
# Alembic announces each of its plugins at INFO when first imported; that is noise in every command's output.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
# Feature packages, each a blueprint with routes, forms and services; registered when present.
FEATURE_BLUEPRINTS = ("engage.consultations", "engage.prizes", "engage.analysis")


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` in routes: 0 to 2**31 - 1, the range of the id columns on every supported database."""

    def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config: Config | str | dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` is a Config, an environment name, or overrides for the default config."""
    load_dotenv(ROOT / ".env", override=False)
    overrides: dict[str, Any] = {}
    if isinstance(config, dict):
        overrides = config
        config = None
    cfg = config if isinstance(config, Config) else load_config(config)
    for key, value in overrides.items():
        setattr(cfg, key, value)
    cfg.validate()

    app = Flask(
        __name__,
        static_folder=str(Path(__file__).parent / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=str(INSTANCE),
    )
    app.config.from_object(cfg)
    # An id in a path beyond what the database's integer columns hold is simply not found (not a database error).
    app.url_map.converters["int"] = DatabaseIntConverter
    if cfg.TRUSTED_PROXIES:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = cfg.TRUSTED_PROXIES
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.config["ENV_NAME"] = cfg.ENV_NAME
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.autoescape = True
    WTFormsHelpers(app)

    from engage.db import db
    from engage.extensions import csrf, limiter, login_manager
    from engage.security import init_security_headers

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    init_security_headers(app)

    from engage import admin, auth, main
    from engage.jobs import optional_module

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    for name in FEATURE_BLUEPRINTS:
        module = optional_module(name)
        if module is not None and hasattr(module, "bp"):
            app.register_blueprint(module.bp)

    _register_template_helpers(app)
    _register_error_pages(app)

    from engage.cli import register_cli

    register_cli(app)
    return app


def _register_template_helpers(app: Flask) -> None:
    from engage.models.accounts import ROLE_LABELS

    @app.template_filter("london")
    def london(value, fmt: str = "%-d %B %Y at %-I:%M%p"):  # type: ignore[no-untyped-def]
        """A UTC datetime shown in Europe/London, GOV.UK style: 5 January 2027 at 2:30pm."""
        if value is None:
            return ""
        text = value.astimezone(LONDON).strftime(fmt)
        return text.replace("AM", "am").replace("PM", "pm").replace(":00am", "am").replace(":00pm", "pm")

    from engage.markdown import render_markdown

    app.add_template_filter(render_markdown, "markdown")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_login import current_user

        from engage.main.services import nav_links

        links = nav_links(current_user) if current_user.is_authenticated else []
        return {"ROLE_LABELS": ROLE_LABELS, "current_council": None, "feature_nav": links}


MINIMAL_ERROR_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/engage.css"></head>
<body class="govuk-template__body"><div class="govuk-width-container">
<main class="govuk-main-wrapper" id="main-content"><h1 class="govuk-heading-xl">{title}</h1>
<p class="govuk-body">Try again later.</p><p class="govuk-body">If you were sending a response and did not see a
confirmation page with a reference number, your response was not saved. Please send it again.</p></main></div>
</body></html>"""


def _register_error_pages(app: Flask) -> None:
    from flask_login import AnonymousUserMixin
    from sqlalchemy.exc import DBAPIError

    from engage.services import PermissionDenied

    def render_without_database(template: str, code: int, title: str):  # type: ignore[no-untyped-def]
        """An error page that needs nothing from the database, which may be what failed."""
        from engage.db import db

        with contextlib.suppress(Exception):
            db.session.rollback()
        g._login_user = AnonymousUserMixin()  # the page must not look the user up again
        try:
            return app.response_class(render_template(template), code, mimetype="text/html")
        except Exception:  # the templates themselves failed: plain GOV.UK-styled HTML
            app.logger.exception("could not render the %s page", code)
            return app.response_class(MINIMAL_ERROR_PAGE.format(title=title), code, mimetype="text/html")

    @app.errorhandler(PermissionDenied)
    def _forbidden(exc: PermissionDenied):  # type: ignore[no-untyped-def]
        return render_template("errors/403.html"), 403

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        code = exc.code or 500
        template = {
            400: "errors/400.html",
            403: "errors/403.html",
            404: "errors/404.html",
            405: "errors/404.html",
            413: "errors/413.html",
            429: "errors/429.html",
        }.get(code, "errors/500.html")
        if code >= 500:
            return render_without_database("errors/500.html", code, "Sorry, there is a problem with the service")
        return render_template(template, error=exc), code

    @app.errorhandler(DBAPIError)
    def _database_unavailable(exc: DBAPIError):  # type: ignore[no-untyped-def]
        app.logger.error("database error on %s %s: %s", request.method, request.path, exc.orig)
        response = render_without_database("errors/503.html", 503, "Sorry, the service is unavailable")
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def _server_error(exc: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_without_database("errors/500.html", 500, "Sorry, there is a problem with the service")


__all__ = ["ConfigError", "create_app"]
