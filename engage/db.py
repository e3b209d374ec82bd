"""The data layer: a declarative Base with a constraint naming convention, and one session per request.

`db.session` is the session of the current thread for the current app; it is removed when the app context ends
(every request, every CLI command, every background job).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite drops the zone; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def drop_enum_types(*names: str) -> None:
    """In a migration's downgrade: drop PostgreSQL enum types that dropping their tables leaves behind."""
    from alembic import op
    from sqlalchemy import Enum

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name in names:
            Enum(name=name).drop(bind, checkfirst=True)


def make_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if url in {"sqlite://", "sqlite:///:memory:"}:
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - exercised by every test
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if url not in {"sqlite://", "sqlite:///:memory:"}:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


class Database:
    """Holds each app's engine and scoped session in `app.extensions`."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        factory = sessionmaker(bind=engine, expire_on_commit=False, future=True)
        app.extensions["engage.db"] = {"engine": engine, "session": scoped_session(factory)}

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            try:
                app.extensions["engage.db"]["session"].remove()
            except Exception:  # a dropped connection must not turn a finished response into an error
                app.logger.warning("could not close the database session cleanly", exc_info=True)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["engage.db"]["engine"]

    def _session(self) -> Session:
        return current_app.extensions["engage.db"]["session"]()

    @property
    def session(self) -> Session:
        return self._session()

    def remove(self) -> None:
        """End this thread's session (background jobs call this when they finish)."""
        current_app.extensions["engage.db"]["session"].remove()

    def create_all(self) -> None:
        from engage import models  # noqa: F401 - registers every table

        Base.metadata.create_all(self.engine)


db = Database()
session: Session = LocalProxy(db._session)  # type: ignore[assignment]
