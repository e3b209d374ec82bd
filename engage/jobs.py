"""Background work: one `enqueue` API over three backends.

- `thread` (default): a small in-process pool, for one machine.
- `celery`: Redis-brokered Celery workers (`celery -A engage.worker worker`), on as many hosts as needed.
- `eager`: runs the task at once and waits for it (tests).

Tasks are plain functions registered with `@task("name")`; the same code runs on every backend, always inside an
app context with its own database session. Job state that users watch lives in the database (see the models that
use it), never in the backend.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
TASKS: dict[str, Callable[..., Any]] = {}
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        TASKS[name] = fn
        return fn

    return register


def run_task(app: Flask, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Run a registered task inside an app context (what every backend finally calls)."""
    _load_task_modules()
    with app.app_context():
        try:
            return TASKS[name](*args, **kwargs)
        except Exception:
            log.exception("background task %s failed", name)
            raise


def _load_task_modules() -> None:
    # Modules that define tasks register them on import.
    import engage.mail  # noqa: F401

    for module in ("engage.analysis.tasks", "engage.prizes.tasks", "engage.consultations.tasks"):
        optional_module(module)


def optional_module(name: str) -> ModuleType | None:
    """Import a module that a later feature may not have added yet; None when it does not exist."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise


def _run_quietly(app: Flask, name: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):  # logged in run_task; a job never fails the caller
        run_task(app, name, args, kwargs)


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="engage-job")
        return _pool


def enqueue(name: str, *args: Any, **kwargs: Any) -> None:
    """Start task `name` in the background with JSON-serialisable arguments."""
    _load_task_modules()
    if name not in TASKS:
        raise KeyError(f"no background task called {name!r}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.config["JOBS_BACKEND"]
    if backend == "eager":
        # Its own thread (so its own database session), waited for: the caller may be inside a commit.
        worker = threading.Thread(target=_run_quietly, args=(app, name, list(args), kwargs))
        worker.start()
        worker.join()
    elif backend == "thread":
        _thread_pool().submit(run_task, app, name, list(args), kwargs)
    elif backend == "celery":
        from engage.worker import celery, run

        try:
            # CELERY_QUEUE (optional) sends to a named queue: workers started with `-Q NAME` take it.
            queue = app.config.get("CELERY_QUEUE") or os.environ.get("CELERY_QUEUE") or None
            # This app's broker, each time: Celery's pooled connection would keep whichever broker it first reached.
            with celery.connection_for_write(app.config["REDIS_URL"]) as connection:
                run.apply_async((name, list(args), kwargs), queue=queue, connection=connection)
        except Exception:
            log.exception("could not reach the Celery broker for task %s", name)
            raise
    else:  # pragma: no cover - config validation refuses other values
        raise RuntimeError(f"unknown JOBS_BACKEND {backend!r}")


def enqueue_after_commit(session: Session, name: str, *args: Any, **kwargs: Any) -> None:
    """Enqueue once the session's transaction has committed, so the task sees the rows it needs."""
    session.info.setdefault("engage_after_commit", []).append((name, args, kwargs))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop("engage_after_commit", [])
    for name, args, kwargs in pending:
        try:
            enqueue(name, *args, **kwargs)
        except Exception:
            log.exception("could not enqueue %s; it stays queued in the database", name)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("engage_after_commit", None)
