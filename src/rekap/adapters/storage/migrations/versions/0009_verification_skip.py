"""Every skip of a verification task, kept: a person may skip only so many forms an hour
(before, skipping again and again walked to a chosen form), and an admin sees who skips how
often.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verification_skip",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("verification_task.id"), nullable=False),
        sa.Column("account_id", sa.String(32), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("skipped_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_skip_account_at", "verification_skip", ["account_id", "skipped_at"])


def downgrade() -> None:
    op.drop_index("ix_skip_account_at", table_name="verification_skip")
    op.drop_table("verification_skip")
