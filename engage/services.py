"""What every blueprint's services share: the permission error and the audit trail."""

from __future__ import annotations

from typing import Any

from engage.db import session as db_session
from engage.models import AuditEvent, User
from engage.models.accounts import Role


class PermissionDenied(Exception):
    """The user may not see or do this; shown as the 403 page."""


class ServiceError(ValueError):
    """Bad input that a service refuses; `field` names the form field for the error summary."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def audit(
    action: str,
    actor: User | None = None,
    council_id: int | None = None,
    target: Any = None,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None and not getattr(actor, "is_anonymous", True) else None,
        council_id=council_id,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "id", "")) if target is not None else "",
        detail=detail,
    )
    db_session.add(event)
    return event


def require_role(user: Any, council_id: int, *roles: Role) -> None:
    """Raise PermissionDenied unless the user holds one of `roles` in the council (site admins always pass)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied("sign in first")
    if getattr(user, "is_site_admin", False):
        return
    if not user.has_role(council_id, *roles):
        raise PermissionDenied("not allowed for this council")


def require_site_admin(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_site_admin:
        raise PermissionDenied("site administrators only")
