"""Every photo a verifier or adjudicator reported they cannot read: two people's reports send
the photo back to its officer for a new one (before, an unreadable photo could only be
skipped, and skips are limited).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verification_report",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("verification_task.id"), nullable=False),
        sa.Column("account_id", sa.String(32), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("photo_id", sa.Integer, sa.ForeignKey("photo.id"), nullable=False),
        sa.Column("page", sa.Integer, nullable=False),
        sa.Column("reported_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("photo_id", "account_id", name="uq_report_once"),
    )
    op.create_index("ix_report_account_at", "verification_report", ["account_id", "reported_at"])


def downgrade() -> None:
    op.drop_index("ix_report_account_at", table_name="verification_report")
    op.drop_table("verification_report")
