"""Councils and their people, for site and council administrators."""

from __future__ import annotations

from sqlalchemy import func, select

from engage.db import session as db_session
from engage.models import AuditEvent, Council, Invitation, Membership, User
from engage.models.accounts import Role
from engage.services import PermissionDenied, ServiceError, audit, require_role, require_site_admin


def create_council(actor: User, name: str, slug: str, intro: str = "") -> Council:
    require_site_admin(actor)
    if db_session.scalar(select(Council).where(Council.slug == slug)) is not None:
        raise ServiceError("A council already uses this web address name", field="slug")
    council = Council(name=name, slug=slug, intro=intro)
    db_session.add(council)
    db_session.flush()
    audit("council.create", actor=actor, council_id=council.id, target=council)
    db_session.commit()
    return council


def councils_for(actor: User) -> list[Council]:
    """The councils this user administers (all of them for a site admin)."""
    query = select(Council).order_by(Council.name)
    if not actor.is_site_admin:
        query = query.join(Membership).where(Membership.user_id == actor.id, Membership.role == Role.ADMIN)
    return list(db_session.scalars(query))


def get_council_for_admin(actor: User, slug: str) -> Council | None:
    council = db_session.scalar(select(Council).where(Council.slug == slug))
    if council is None:
        return None
    require_role(actor, council.id, Role.ADMIN)
    return council


def members(council: Council) -> list[Membership]:
    return list(
        db_session.scalars(
            select(Membership)
            .join(User)
            .where(Membership.council_id == council.id)
            .order_by(User.email, Membership.role)
        )
    )


def pending_invitations(council: Council) -> list[Invitation]:
    return list(
        db_session.scalars(
            select(Invitation)
            .where(Invitation.council_id == council.id, Invitation.accepted_at.is_(None))
            .order_by(Invitation.created_at.desc())
        )
    )


AUDIT_PAGE_SIZE = 50


def audit_log(actor: User, council: Council, page: int = 1, action: str = "") -> tuple[list[AuditEvent], int]:
    """One page of the council's audit trail, newest first, with the total count; administrators only."""
    require_role(actor, council.id, Role.ADMIN)
    query = select(AuditEvent).where(AuditEvent.council_id == council.id)
    if action:
        query = query.where(AuditEvent.action == action)
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    events = db_session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((max(page, 1) - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE)
    )
    return list(events), total


def actors_by_id(events: list[AuditEvent]) -> dict[int, User]:
    ids = {e.actor_id for e in events if e.actor_id}
    return {u.id: u for u in db_session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def remove_membership(actor: User, council: Council, membership_id: int) -> None:
    require_role(actor, council.id, Role.ADMIN)
    membership = db_session.get(Membership, membership_id)
    if membership is None or membership.council_id != council.id:
        raise PermissionDenied("no such membership in this council")
    if membership.user_id == actor.id and membership.role == Role.ADMIN:
        raise ServiceError("You cannot remove your own administrator role")
    audit(
        "membership.remove",
        actor=actor,
        council_id=council.id,
        target=membership,
        user=membership.user.email,
        role=membership.role.value,
    )
    db_session.delete(membership)
    db_session.commit()
