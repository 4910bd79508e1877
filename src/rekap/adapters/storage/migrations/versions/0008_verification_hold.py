"""Who is entering which verification task now: a task is handed to no more people at once
than it needs entries (before, every verifier of a region was handed the oldest task, and a
third typed a whole form only to be refused), and a person may skip a task.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verification_hold",
        sa.Column(
            "task_id",
            sa.Integer,
            sa.ForeignKey("verification_task.id"),
            primary_key=True,
        ),
        sa.Column("account_id", sa.String(32), sa.ForeignKey("account.id"), primary_key=True),
        sa.Column("held_since", sa.String(40), nullable=False),
        sa.Column("held_until", sa.String(40), nullable=False),
        sa.Column("skipped", sa.Boolean, nullable=False),
    )
    op.create_index("ix_hold_account", "verification_hold", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_hold_account", table_name="verification_hold")
    op.drop_table("verification_hold")
