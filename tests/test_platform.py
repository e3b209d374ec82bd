"""Configuration, migrations, the command line, email delivery and background jobs."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text

from engage import create_app
from engage.config import ConfigError, load_config
from engage.db import Base, db
from tests.conftest import TEST_DATABASE_URL, need_service


def production_env(monkeypatch, **values):
    for key in ("SECRET_KEY", "DATABASE_URL", "BASE_URL", "MAIL_BACKEND", "JOBS_BACKEND", "REDIS_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY must be set in production"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short"),
        ({"SECRET_KEY": "x" * 40}, "DATABASE_URL must be set in production"),
        ({"SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql://db/engage"}, "BASE_URL must be the public https://"),
        (
            {
                "SECRET_KEY": "x" * 40,
                "DATABASE_URL": "postgresql://db/engage",
                "BASE_URL": "https://engage.example",
                "JOBS_BACKEND": "celery",
            },
            "JOBS_BACKEND=celery needs REDIS_URL",
        ),
        (
            {
                "SECRET_KEY": "x" * 40,
                "DATABASE_URL": "postgresql://db/engage",
                "BASE_URL": "https://engage.example",
                "MAIL_BACKEND": "notify",
            },
            "MAIL_BACKEND=notify needs NOTIFY_API_KEY",
        ),
    ],
)
def test_wrong_production_settings_stop_start_up_naming_the_setting(monkeypatch, env, message):
    production_env(monkeypatch, **env)
    with pytest.raises(ConfigError, match=message):
        create_app("production")


def test_good_production_settings_give_secure_cookies(monkeypatch):
    production_env(
        monkeypatch,
        SECRET_KEY="x" * 40,
        DATABASE_URL="sqlite://",
        BASE_URL="https://engage.example",
    )
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SHOW_DEV_OUTBOX"] is False


def test_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="ENGAGE_ENV must be one of"):
        load_config("staging-ish")


def test_development_keeps_a_generated_secret_key(monkeypatch, tmp_path):
    import engage.config as config_module

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config_module, "INSTANCE", tmp_path)
    first = load_config("development").SECRET_KEY
    second = load_config("development").SECRET_KEY
    assert len(first) >= 40 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def migrated_engine(url: str):
    """Run every migration on an empty database at `url` through the CLI, as an operator would."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return app


def assert_models_match(app) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    summary = [(op[0], getattr(op[1], "name", op[1])) if isinstance(op, tuple) else op for op in diff]
    assert diff == [], f"models and migrations differ: {summary}"


def test_migrations_match_the_models_on_sqlite(tmp_path):
    app = migrated_engine(f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    assert_models_match(app)
    # Running it again changes nothing.
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgresql():
    if not TEST_DATABASE_URL:
        need_service("PostgreSQL", "TEST_DATABASE_URL is not set")
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_check"))
    url = TEST_DATABASE_URL + ("&" if "?" in TEST_DATABASE_URL else "?")
    url += "options=-csearch_path%3Dmigration_check"
    try:
        app = migrated_engine(url)
        with app.app_context():
            assert "user_account" in inspect(db.engine).get_table_names(schema="migration_check")
        assert_models_match(app)
        runner = app.test_cli_runner()
        # Down to nothing and up again: downgrades leave nothing behind (enum types included).
        assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
        with app.app_context():
            assert inspect(db.engine).get_table_names(schema="migration_check") == ["alembic_version"]
        again = runner.invoke(args=["db", "upgrade"])
        assert again.exit_code == 0, again.output
        with app.app_context():
            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        admin.dispose()


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "Boss@Example.org", "--name", "Boss"])
    assert result.exit_code == 0, result.output
    assert "Password: " in result.output
    password = result.output.split("Password: ")[1].split()[0]
    client = app.test_client()
    from tests.conftest import post_form

    response = post_form(client, "/sign-in", {"email": "boss@example.org", "password": password})
    assert response.status_code == 302
    assert client.get("/admin/councils/new").status_code == 200
    weak = runner.invoke(args=["users", "create-admin", "weak@example.org", "--password", "short"])
    assert weak.exit_code != 0
    assert "Password must be 10 characters or more" in weak.output


def test_seed_gives_every_role_a_working_sign_in_and_runs_twice(app):
    from engage.models import Council
    from engage.seed import DEMO_USERS
    from tests.conftest import post_form

    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert len(db.session.scalars(select(Council).where(Council.slug == "northbrook")).all()) == 1
    for email, _name, role in DEMO_USERS:
        password = f"demo-password-for-{role.value}"
        assert f"{email}" in first.output and password in first.output
        client = app.test_client()
        assert post_form(client, "/sign-in", {"email": email, "password": password}).status_code == 302
        assert role.value.capitalize()[:5] in client.get("/account").get_data(as_text=True) or role.value == "admin"


def test_email_is_delivered_by_the_configured_backend(app_ctx, monkeypatch):
    from engage import mail
    from engage.models import OutboxEmail

    sent = []
    monkeypatch.setitem(mail.BACKENDS, "log", lambda email: sent.append((email.to, email.subject)))
    email = mail.queue_email("resident@example.org", "Your reference", "ENG-123")
    db.session.commit()  # delivery happens after the commit (eagerly in tests)
    assert sent == [("resident@example.org", "Your reference")]
    db.session.expire_all()
    assert db.session.get(OutboxEmail, email.id).status == "sent"


def test_failed_delivery_is_recorded_and_retried_without_failing_the_request(app_ctx, monkeypatch):
    from engage import mail
    from engage.models import OutboxEmail

    def down(email):
        raise ConnectionError("mail server unreachable")

    monkeypatch.setitem(mail.BACKENDS, "log", down)
    email = mail.queue_email("resident@example.org", "Subject", "Body")
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(OutboxEmail, email.id)
    assert row.status == "queued" and row.attempts == 1 and "unreachable" in row.error
    sent = []
    monkeypatch.setitem(mail.BACKENDS, "log", lambda e: sent.append(e.id))
    assert mail.retry_unsent() == 1
    assert sent == [email.id]
    db.session.expire_all()
    assert db.session.get(OutboxEmail, email.id).status == "sent"


def test_notify_backend_sends_through_the_notify_client(app_ctx, monkeypatch):
    from notifications_python_client import notifications

    from engage import mail

    calls = []

    class FakeClient:
        def __init__(self, key):
            calls.append(("key", key))

        def send_email_notification(self, **kwargs):
            calls.append(("send", kwargs))

    monkeypatch.setattr(notifications, "NotificationsAPIClient", FakeClient)
    app_ctx.config.update(NOTIFY_API_KEY="key-123", NOTIFY_TEMPLATE_ID="tmpl-1", MAIL_BACKEND="notify")
    try:
        email = mail.queue_email("r@example.org", "Hello", "Body text")
        db.session.commit()
    finally:
        app_ctx.config["MAIL_BACKEND"] = "log"
    assert calls[0] == ("key", "key-123")
    assert calls[1][1]["template_id"] == "tmpl-1"
    assert calls[1][1]["personalisation"] == {"subject": "Hello", "body": "Body text"}
    assert calls[1][1]["reference"] == f"engage-{email.id}"


def test_thread_backend_runs_tasks_in_the_background(app):
    import threading

    from engage import jobs

    done = threading.Event()
    seen = {}

    @jobs.task("test.record")
    def record(value):
        seen["value"] = value
        seen["thread"] = threading.current_thread().name
        done.set()

    app.config["JOBS_BACKEND"] = "thread"
    try:
        with app.app_context():
            jobs.enqueue("test.record", 42)
        assert done.wait(10)
    finally:
        app.config["JOBS_BACKEND"] = "eager"
        jobs.TASKS.pop("test.record", None)
    assert seen["value"] == 42
    assert seen["thread"].startswith("engage-job")


def redis_url() -> str:
    import os

    url = os.environ.get("REDIS_URL", "")
    if not url:
        need_service("Redis", "REDIS_URL is not set")
    return url


@pytest.mark.redis
def test_sign_in_limits_are_shared_through_redis(tmp_path, own_limiter_storage):
    """Two app instances (two web processes) count the same attempts when REDIS_URL is set."""
    import uuid

    from tests.conftest import post_form

    url = redis_url()
    db_url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    limit = f"3 per minute;{uuid.uuid4().int % 1000 + 1000} per day"  # a limit string no other test uses
    apps = [
        create_app({"SQLALCHEMY_DATABASE_URI": db_url, "RATELIMIT_STORAGE_URI": url, "SIGN_IN_LIMIT": limit})
        for _ in range(2)
    ]
    with apps[0].app_context():
        db.create_all()
    email = f"{uuid.uuid4().hex}@example.org"
    statuses = []
    for i in range(4):
        client = apps[i % 2].test_client()
        statuses.append(post_form(client, "/sign-in", {"email": email, "password": "wrong-password"}).status_code)
    assert statuses == [400, 400, 400, 429]


def test_sign_in_keeps_working_when_the_rate_limit_store_is_down(tmp_path, own_limiter_storage):
    from tests.conftest import post_form

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    )
    with app.app_context():
        db.create_all()
    response = post_form(app.test_client(), "/sign-in", {"email": "a@example.org", "password": "wrong-password"})
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/c/{slug}/consultations/99999999999999999999",
        "/c/{slug}/consultations/2147483648",
        "/prizes/99999999999999999999",
        "/results/{slug}/2147483648",
    ],
)
def test_an_id_beyond_the_database_range_is_not_found(client, council, path):
    """A huge number in a link is a 404 page, on PostgreSQL too (where it would overflow an integer column)."""
    response = client.get(path.format(slug=council.slug))
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("blank", ["", "   ", "\u200b\u200b", "\u200e \u2060", "\x00\t"])
def test_invisible_characters_alone_do_not_fill_a_required_field(app_ctx, signed_in, blank):
    """A council name of zero-width spaces or direction marks is refused with the field's own message."""
    from tests.conftest import post_form

    client, _ = signed_in(site_admin=True)
    response = post_form(client, "/admin/councils/new", {"name": blank, "slug": "blank-test"})
    assert response.status_code == 400
    assert "Enter the council" in response.get_data(as_text=True)


def test_text_with_emoji_joiners_and_direction_marks_is_kept():
    from engage.forms import clean_text

    family = "Family: \U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(f"  {family}  ") == family
    assert clean_text("\u200fשלום") == "\u200fשלום"
