"""Configuration by environment.

Everything secret comes from the environment (or a `.env` file beside the code). In development a secret key is
generated once and kept in `instance/secret_key`; in production a missing or weak setting stops start-up with a
message that names it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("ENGAGE_INSTANCE_PATH", ROOT / "instance"))


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names it."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from exc


def _dev_secret_key() -> str:
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    ENV_NAME = "base"
    TESTING = False
    DEBUG = False

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'engage.sqlite'}")
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "")
        self.REDIS_URL = os.environ.get("REDIS_URL", "")
        self.JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "thread")
        self.MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "log")
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "engage@localhost")
        self.SMTP_HOST = os.environ.get("SMTP_HOST", "")
        self.SMTP_PORT = _int("SMTP_PORT", 587)
        self.SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _bool("SMTP_STARTTLS", True)
        self.NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
        self.NOTIFY_TEMPLATE_ID = os.environ.get("NOTIFY_TEMPLATE_ID", "")
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
        self.MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 20) * 1024 * 1024
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = False
        # If Redis is unreachable, keep serving: count in this process's memory until it returns.
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.SIGN_IN_LIMIT = os.environ.get("SIGN_IN_LIMIT", "10 per minute;50 per hour")
        self.INVITATION_DAYS = _int("INVITATION_DAYS", 7)
        # Keep the summary and public results pages' bodies per process until anything they show changes.
        self.SUMMARY_CACHE = _bool("SUMMARY_CACHE", True)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_SECURE = False
        self.PERMANENT_SESSION_LIFETIME = _int("SESSION_HOURS", 8) * 3600
        self.WTF_CSRF_TIME_LIMIT = None
        self.WTF_CSRF_ENABLED = True
        self.SHOW_DEV_OUTBOX = False
        self.PREFERRED_URL_SCHEME = "http"
        # How many proxies (load balancers) stand in front of gunicorn and set X-Forwarded-* headers.
        self.TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    def validate(self) -> None:
        """Raise ConfigError naming the first wrong setting."""
        if self.JOBS_BACKEND not in {"thread", "celery", "eager"}:
            raise ConfigError(f"JOBS_BACKEND must be thread or celery, not {self.JOBS_BACKEND!r}")
        if self.JOBS_BACKEND == "celery" and not self.REDIS_URL:
            raise ConfigError("JOBS_BACKEND=celery needs REDIS_URL (the Celery broker)")
        if self.MAIL_BACKEND not in {"log", "smtp", "notify"}:
            raise ConfigError(f"MAIL_BACKEND must be log, smtp or notify, not {self.MAIL_BACKEND!r}")
        if self.MAIL_BACKEND == "smtp" and not self.SMTP_HOST:
            raise ConfigError("MAIL_BACKEND=smtp needs SMTP_HOST")
        if self.MAIL_BACKEND == "notify" and not (self.NOTIFY_API_KEY and self.NOTIFY_TEMPLATE_ID):
            raise ConfigError("MAIL_BACKEND=notify needs NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID")


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            self.SECRET_KEY = _dev_secret_key()
        self.SHOW_DEV_OUTBOX = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
        self.JOBS_BACKEND = "eager"
        self.MAIL_BACKEND = "log"
        self.SHOW_DEV_OUTBOX = True
        self.RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.PREFERRED_URL_SCHEME = "https"

    def validate(self) -> None:
        if not self.SECRET_KEY:
            raise ConfigError("SECRET_KEY must be set in production (a long random string)")
        if len(self.SECRET_KEY) < 32:
            raise ConfigError("SECRET_KEY is too short for production: use at least 32 characters")
        if "DATABASE_URL" not in os.environ:
            raise ConfigError("DATABASE_URL must be set in production (a PostgreSQL URL)")
        if not self.BASE_URL.startswith("https://"):
            raise ConfigError("BASE_URL must be the public https:// address in production")
        super().validate()


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    name = name or os.environ.get("ENGAGE_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"ENGAGE_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]()
