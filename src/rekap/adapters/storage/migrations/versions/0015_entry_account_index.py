"""The entries of one person found by an index: a verifier's own statistics read their entries
alone (before, only ``uq_entry_once`` on task and account, which cannot find a person's).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entry_account", "verification_entry", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_entry_account", table_name="verification_entry")
