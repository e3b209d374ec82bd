"""The Celery app: `celery -A engage.worker worker --loglevel=info`, broker on REDIS_URL.

Web processes only send messages through it; each worker process builds its own Flask app once, on its first task.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from flask import Flask

celery = Celery("engage", broker=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
celery.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=False,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    broker_connection_timeout=3,
)
app = celery
_flask_app: Flask | None = None


def flask_app() -> Flask:
    global _flask_app
    if _flask_app is None:
        from engage import create_app

        _flask_app = create_app()
    return _flask_app


@celery.task(name="engage.run")
def run(name: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    from engage.jobs import run_task

    run_task(flask_app(), name, args, kwargs)
