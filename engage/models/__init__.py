"""Every table Engage keeps. Import from here: `from engage.models import User`."""

from engage.jobs import optional_module
from engage.models.accounts import ROLES, Council, Invitation, Membership, Role, User
from engage.models.platform import AuditEvent, OutboxEmail

# Each feature keeps its tables in its own module (engage.models.consultations, .prizes, .analysis); importing
# them here registers every table on Base.metadata.
for _module in ("consultations", "prizes", "analysis"):
    optional_module(f"engage.models.{_module}")

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
