"""retention: delete or anonymise responses

Each consultation says what happens at the end of its retention period (existing ones keep deleting), and a
response records when its personal details were removed.

Revision ID: c947aa17b32d
Revises: 10a730486cf5
Create Date: 2026-11-28 04:25:36.907423
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engage.db

revision: str = "c947aa17b32d"
down_revision: str | None = "10a730486cf5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retention_action", sa.String(length=16), server_default="delete", nullable=False)
        )

    with op.batch_alter_table("consultation_response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", engage.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consultation_response", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")

    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_column("retention_action")
