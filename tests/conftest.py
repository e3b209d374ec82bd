"""Fixtures for the whole suite: the app on every database, clients, and signed-in users of each role.

The suite always runs on SQLite; it also runs on PostgreSQL when TEST_DATABASE_URL is set. Tests that need a
service (PostgreSQL, Redis, Chromium) skip with the reason when it is missing, unless ENGAGE_REQUIRE_SERVICES=1,
which turns a missing service into a failure.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

os.environ.setdefault("ENGAGE_ENV", "testing")

from engage import create_app  # noqa: E402
from engage.db import Base, db  # noqa: E402

REQUIRE_SERVICES = os.environ.get("ENGAGE_REQUIRE_SERVICES") == "1"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
DEMO_PASSWORD = "correct horse battery staple"  # noqa: S105


def need_service(name: str, reason: str) -> None:
    """Skip (or, with ENGAGE_REQUIRE_SERVICES=1, fail) a test whose service is missing."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (ENGAGE_REQUIRE_SERVICES=1) but {reason}")
    pytest.skip(f"{name} not available: {reason}")


def database_params() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return params


def reset_database() -> None:
    """Empty every table (faster than recreating them)."""
    engine = db.engine
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            if names:
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(scope="session", params=database_params())
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    if request.param == "postgresql":
        if not TEST_DATABASE_URL:
            need_service("PostgreSQL", "TEST_DATABASE_URL is not set")
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'engage-test.sqlite'}"
    uploads = tmp_path_factory.mktemp("uploads")
    application = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(uploads), "BASE_URL": "http://localhost"}
    )
    application.config["TESTING"] = True
    application.test_client_class = IsolatedClient
    with application.app_context():
        if request.param == "postgresql":
            try:
                with db.engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
            except Exception as exc:  # noqa: BLE001
                need_service("PostgreSQL", f"cannot connect ({type(exc).__name__})")
            Base.metadata.drop_all(db.engine)
        db.create_all()
    yield application
    with application.app_context():
        db.remove()
        if request.param == "postgresql":
            Base.metadata.drop_all(db.engine)
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" in request.fixturenames:
        application: Flask = request.getfixturevalue("app")
        with application.app_context():
            db.remove()
            reset_database()
        from engage.extensions import limiter

        limiter.reset()


@pytest.fixture
def own_limiter_storage() -> Iterator[None]:
    """Flask-Limiter keeps one storage per process (the last app's); put the in-memory one back afterwards."""
    yield
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.remove()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own context, as in a real server.

    Without this, a request made while a test holds an app context would share that context's `g` with the test
    and with every other request.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def council(app_ctx: Flask):
    from engage.models import Council

    council = Council(slug="testshire", name="Testshire District Council", intro="Testing intro")
    db.session.add(council)
    db.session.commit()
    return council


@pytest.fixture
def other_council(app_ctx: Flask):
    from engage.models import Council

    council = Council(slug="elsewhere", name="Elsewhere Borough Council")
    db.session.add(council)
    db.session.commit()
    return council


@pytest.fixture
def make_user(app_ctx: Flask):
    """make_user(role=None, council=None, email=None, site_admin=False) -> User, with DEMO_PASSWORD."""
    from engage.auth.services import add_membership, create_user
    from engage.models.accounts import Role

    counter = {"n": 0}

    def _make(role: str | None = None, council=None, email: str | None = None, site_admin: bool = False):
        counter["n"] += 1
        email = email or f"{role or 'person'}{counter['n']}@example.org"
        user = create_user(email, DEMO_PASSWORD, f"Test {role or 'person'}", site_admin=site_admin)
        if role is not None and council is not None:
            add_membership(user, council, Role(role))
        db.session.commit()
        return user

    return _make


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


def post_form(client: FlaskClient, url: str, data: dict, get_url: str | None = None, **kwargs):
    """Post a form the way a browser does: read the CSRF token from the page first."""
    page = client.get(get_url or url)
    token = csrf_from(page.get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def sign_in(client: FlaskClient, user, password: str = DEMO_PASSWORD):
    response = post_form(client, "/sign-in", {"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


@pytest.fixture
def signed_in(client: FlaskClient, make_user, council):
    """signed_in(role) -> (client, user): a client signed in as a new user with that role in `council`."""

    def _signed_in(role: str | None = None, site_admin: bool = False):
        user = make_user(role, council, site_admin=site_admin)
        sign_in(client, user)
        return client, user

    return _signed_in


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = Path("/usr/bin/chromium")
    if not path.exists():
        need_service("Chromium", "/usr/bin/chromium is not installed (apt-get install -y chromium)")
    return str(path)


# ---- Browser tests: a live server on its own SQLite file, Debian's Chromium through Playwright, axe-core ----

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory):
    """Engage served over HTTP on 127.0.0.1 in a thread; `.url`, `.app`."""
    import threading
    from types import SimpleNamespace

    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("live")
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite'}",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "JOBS_BACKEND": "thread",
        }
    )
    with application.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, application, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    application.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=url, app=application)
    server.shutdown()


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        need_service("Playwright", "the playwright package is not installed")
    manager = sync_playwright().start()
    chromium = manager.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    manager.stop()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab (no cookies) against the live server; the live database is emptied afterwards."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    context.close()
    with live_server.app.app_context():
        db.remove()
        reset_database()
    from engage.extensions import limiter

    limiter.reset()


def assert_accessible(page) -> None:
    """Run axe-core on the page as it is now: no WCAG 2.2 A/AA violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, f"axe on {page.url}:\n{results.generate_report()}"


def browser_sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
