"""Email through an outbox: a request writes a row, a background job delivers it.

Backends by MAIL_BACKEND: `log` (default; written to the log, listed at /dev/outbox in development), `smtp`, and
`notify` (GOV.UK Notify, one template with `subject` and `body` personalisation). Sending never blocks or fails a
user's request: delivery errors are recorded on the row and can be retried with `flask --app wsgi mail retry`.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from engage.db import session as db_session
from engage.db import utcnow
from engage.jobs import enqueue_after_commit, task
from engage.models import OutboxEmail

log = logging.getLogger("engage.mail")
MAX_ATTEMPTS = 3


def queue_email(to: str, subject: str, body: str) -> OutboxEmail:
    """Add an email to the outbox; it is delivered after the caller's transaction commits."""
    email = OutboxEmail(to=to, subject=subject[:200], body=body)
    db_session.add(email)
    db_session.flush()
    enqueue_after_commit(db_session, "mail.deliver", email.id)
    return email


def _send_smtp(email: OutboxEmail) -> None:
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = email.to
    message["Subject"] = email.subject
    message.set_content(email.body)
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=20) as smtp:
        if cfg["SMTP_STARTTLS"]:
            smtp.starttls()
        if cfg["SMTP_USERNAME"]:
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
        smtp.send_message(message)


def _send_notify(email: OutboxEmail) -> None:
    from notifications_python_client.notifications import NotificationsAPIClient

    cfg = current_app.config
    client = NotificationsAPIClient(cfg["NOTIFY_API_KEY"])
    client.send_email_notification(
        email_address=email.to,
        template_id=cfg["NOTIFY_TEMPLATE_ID"],
        personalisation={"subject": email.subject, "body": email.body},
        reference=f"engage-{email.id}",
    )


def _send_log(email: OutboxEmail) -> None:
    log.info("email to %s: %s\n%s", email.to, email.subject, email.body)


BACKENDS = {"log": _send_log, "smtp": _send_smtp, "notify": _send_notify}


@task("mail.deliver")
def deliver(email_id: int) -> None:
    email = db_session.get(OutboxEmail, email_id)
    if email is None or email.status == "sent":
        return
    email.attempts += 1
    try:
        BACKENDS[current_app.config["MAIL_BACKEND"]](email)
    except Exception as exc:  # the request that queued it has long since answered
        email.status = "failed" if email.attempts >= MAX_ATTEMPTS else "queued"
        email.error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("email %s not sent: %s", email.id, email.error)
    else:
        email.status = "sent"
        email.sent_at = utcnow()
        email.error = ""
    db_session.commit()


def retry_unsent() -> int:
    """Deliver every email still queued or failed; returns how many were tried."""
    ids = db_session.scalars(select(OutboxEmail.id).where(OutboxEmail.status.in_(["queued", "failed"]))).all()
    for email_id in ids:
        email = db_session.get(OutboxEmail, email_id)
        if email is not None:
            email.status = "queued"
            email.attempts = 0
        db_session.commit()
        deliver(email_id)
    return len(ids)
