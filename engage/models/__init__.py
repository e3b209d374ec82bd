"""Every table Engage keeps. Import from here: `from engage.models import User`."""

from engage.models.accounts import ROLES, Council, Invitation, Membership, Role, User
from engage.models.platform import AuditEvent, OutboxEmail

__all__ = [
    "ROLES",
    "AuditEvent",
    "Council",
    "Invitation",
    "Membership",
    "OutboxEmail",
    "Role",
    "User",
]
