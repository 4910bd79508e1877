"""The machine's decision of every field of a form, its pages decided together.

Revision ID: 0005
Revises: 0002 (the order is 0001, 0003, 0004, 0002)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("form") as batch:
        batch.add_column(sa.Column("machine", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("form") as batch:
        batch.drop_column("machine")
