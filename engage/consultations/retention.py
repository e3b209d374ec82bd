"""Keeping responses only as long as each consultation's privacy notice says, then deleting or anonymising them.

`flask --app wsgi consultations purge` runs `purge_expired` daily. A consultation's retention period ends
`retention_months` (of 30 days) after it closes; then, by its `retention_action`:

- delete: every response and its answers are deleted;
- anonymise: the answers stay (for the analysis and the published results) and every personal detail goes, see
  `anonymise_response`. Anonymised responses are marked, so later runs leave them alone.

Either way officers' reasons for flagging or hiding answers lose the personal details they quote (in the moderation
history and in the audit log), the emails sent to residents about the consultation (confirmation and save-and-return
links) are deleted from the outbox, and so are its unsent answers in progress. Unsent answers of any consultation go
after DRAFT_DAYS.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.orm import selectinload

from engage.consultations.redaction import redact
from engage.consultations.services import normalise_postcode
from engage.db import session as db_session
from engage.db import utcnow
from engage.models import AuditEvent, Council, OutboxEmail
from engage.models.consultations import (
    Answer,
    Consultation,
    ModerationAction,
    QuestionKind,
    RespondentType,
    Response,
    ResponseDraft,
    RetentionAction,
)
from engage.services import audit

DRAFT_DAYS = 60
# Responding for these, the organisation's name is not a personal detail and is kept when anonymising.
ORGANISATION_TYPES = {RespondentType.BUSINESS, RespondentType.COMMUNITY_GROUP, RespondentType.ORGANISATION}


@dataclass
class RetentionReport:
    """What a run did (or, in a dry run, would do)."""

    dry_run: bool = False
    drafts: int = 0  # unsent answers in progress deleted
    deleted: int = 0  # responses deleted
    anonymised: int = 0  # responses anonymised
    emails: int = 0  # outbox emails to residents deleted
    consultations: list[int] = field(default_factory=list)  # ids of the consultations past retention

    def summary(self) -> str:
        deleted, anonymised = _plural(self.deleted, "response"), _plural(self.anonymised, "response")
        emails, drafts = _plural(self.emails, "email"), _plural(self.drafts, "unsent answer")
        if self.dry_run:
            return (
                f"Would delete {deleted} and anonymise {anonymised} past their retention period, and delete "
                f"{emails} to residents and {drafts} in progress."
            )
        return (
            f"Deleted {deleted} and anonymised {anonymised} past their retention period, and deleted {emails} to "
            f"residents and {drafts} in progress."
        )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def kept_until(consultation: Consultation) -> datetime | None:
    """When the consultation's retention period ends (None while it has no closing date)."""
    if consultation.closes_at is None:
        return None
    return consultation.closes_at + timedelta(days=30 * consultation.retention_months)


def expired_consultations(now: datetime) -> list[Consultation]:
    candidates = db_session.scalars(
        select(Consultation).where(Consultation.closes_at.is_not(None)).order_by(Consultation.id)
    )
    return [c for c in candidates if (until := kept_until(c)) is not None and until <= now]


def _district(postcode: str) -> str:
    """'NB1 4AA' -> 'NB1': an area of thousands of homes rather than a street. Anything else loses its postcodes."""
    normalised = normalise_postcode(postcode or "")
    if normalised is not None:
        return normalised.split(" ")[0]
    return redact(postcode or "")


def anonymise_response(response: Response, kinds: dict[int, QuestionKind], now: datetime) -> None:
    """Remove every personal detail from a response, keeping its answers, respondent type, ward and status.

    - the email code (the keyed hash that found the resident's response) and the submission key go, so the
      resident can no longer find it to change, copy or withdraw it;
    - the organisation name goes unless they responded for a business, group or organisation;
    - the postcode, and the postcode answer to a location question, become the postcode district;
    - equality monitoring answers go;
    - email addresses, phone numbers, postcodes, National Insurance numbers and links are removed from free text:
      the original words become the redacted copy others already saw.
    """
    response.email_hash = None
    response.idempotency_key = secrets.token_hex(32)
    response.organisation = redact(response.organisation) if response.respondent_type in ORGANISATION_TYPES else ""
    response.postcode = _district(response.postcode)
    response.equality = {}
    for answer in response.answers:
        if kinds.get(answer.question_id) == QuestionKind.LOCATION:
            answer.text = _district(answer.text)
            answer.redacted_text = answer.text
        elif answer.text or answer.redacted_text:
            answer.text = redact(answer.text)
            answer.redacted_text = answer.text
    response.anonymised_at = now


def _redact_moderation_reasons(consultation: Consultation) -> None:
    """An officer's reason for flagging or hiding an answer can quote it: its personal details go, from the moderation
    history and from the audit log's record of the action."""
    answers = select(Answer.id).join(Response).where(Response.consultation_id == consultation.id)
    actions = select(ModerationAction).where(ModerationAction.answer_id.in_(answers), ModerationAction.reason != "")
    for action in db_session.scalars(actions):
        action.reason = redact(action.reason)
    events = select(AuditEvent).where(
        AuditEvent.target_type == "Answer",
        AuditEvent.target_id.in_(answers.with_only_columns(cast(Answer.id, String))),
    )
    for event in db_session.scalars(events):
        if event.detail.get("reason"):
            event.detail = {**event.detail, "reason": redact(event.detail["reason"])}


def _resident_emails(council: Council, consultation: Consultation):  # type: ignore[no-untyped-def]
    """Outbox emails with a resident's link to this consultation: confirm-your-email and save-and-return links."""
    return OutboxEmail.body.contains(f"/c/{council.slug}/consultations/{consultation.id}/", autoescape=True)


def _count(query) -> int:  # type: ignore[no-untyped-def]
    return db_session.scalar(select(func.count()).select_from(query.subquery())) or 0


def purge_expired(dry_run: bool = False, now: datetime | None = None) -> RetentionReport:
    """Delete or anonymise responses past their consultation's retention period, and stale answers in progress.

    Safe to run again: deleted responses are gone and anonymised ones are skipped. Each consultation is committed
    with its audit event; the run's totals are recorded as a `retention.purged` audit event.
    """
    now = now or utcnow()
    report = RetentionReport(dry_run=dry_run)
    for consultation in expired_consultations(now):
        report.consultations.append(consultation.id)
        council = db_session.get(Council, consultation.council_id)
        emails = select(OutboxEmail.id).where(_resident_emails(council, consultation))
        email_count = _count(emails)
        if consultation.retention_action == RetentionAction.ANONYMISE:
            pending = select(Response).where(
                Response.consultation_id == consultation.id, Response.anonymised_at.is_(None)
            )
            count = _count(pending.with_only_columns(Response.id))
            report.anonymised += count
            if not dry_run:
                kinds = {q.id: q.kind for q in consultation.questions}
                for response in db_session.scalars(pending.options(selectinload(Response.answers))):
                    anonymise_response(response, kinds, now)
                _redact_moderation_reasons(consultation)
        else:
            responses = select(Response.id).where(Response.consultation_id == consultation.id)
            count = _count(responses)
            report.deleted += count
            if not dry_run and count:
                _redact_moderation_reasons(consultation)
                db_session.execute(delete(Response).where(Response.consultation_id == consultation.id))
        report.emails += email_count
        if dry_run:
            continue
        if email_count:
            db_session.execute(
                delete(OutboxEmail)
                .where(_resident_emails(council, consultation))
                .execution_options(synchronize_session=False)
            )
        if count or email_count:
            action = (
                "responses.anonymised"
                if consultation.retention_action == RetentionAction.ANONYMISE
                else "responses.deleted"
            )
            audit(
                action,
                council_id=consultation.council_id,
                target=consultation,
                responses=count,
                emails=email_count,
                reason="retention period ended",
            )
        db_session.commit()

    stale = or_(
        ResponseDraft.updated_at < now - timedelta(days=DRAFT_DAYS),
        ResponseDraft.consultation_id.in_(report.consultations),
    )
    report.drafts = _count(select(ResponseDraft.id).where(stale))
    if not dry_run:
        db_session.execute(delete(ResponseDraft).where(stale).execution_options(synchronize_session=False))
        audit(
            "retention.purged",
            deleted=report.deleted,
            anonymised=report.anonymised,
            emails=report.emails,
            drafts=report.drafts,
            consultations=report.consultations,
        )
        db_session.commit()
    return report
