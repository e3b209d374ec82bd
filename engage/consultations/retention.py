"""Keeping responses only as long as each consultation's privacy notice says."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from engage.db import session as db_session
from engage.db import utcnow
from engage.models.consultations import Consultation, Response, ResponseDraft

DRAFT_DAYS = 60


def purge_expired(dry_run: bool = False) -> tuple[int, int]:
    """Delete unsent drafts older than DRAFT_DAYS and responses past retention; returns (drafts, responses)."""
    now = utcnow()
    cutoff = now - timedelta(days=DRAFT_DAYS)
    stale = select(ResponseDraft.id).where(ResponseDraft.updated_at < cutoff)
    drafts = db_session.scalar(select(func.count()).select_from(stale.subquery())) or 0
    responses = 0
    expired_ids = []
    for consultation in db_session.scalars(select(Consultation).where(Consultation.closes_at.is_not(None))):
        keep_until = consultation.closes_at + timedelta(days=30 * consultation.retention_months)
        if keep_until <= now:
            expired_ids.append(consultation.id)
            responses += (
                db_session.scalar(select(func.count(Response.id)).where(Response.consultation_id == consultation.id))
                or 0
            )
    if not dry_run:
        db_session.execute(delete(ResponseDraft).where(ResponseDraft.updated_at < cutoff))
        if expired_ids:
            db_session.execute(delete(Response).where(Response.consultation_id.in_(expired_ids)))
        db_session.commit()
    return drafts, responses
