"""A device's key can be revoked (a lost or stolen phone): when, and why.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("revoked_at", sa.String(40), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # not a batch rebuild: dropping and recreating `device` breaks the photos' foreign
        # keys to it (SQLite drops a column in place since 3.35)
        op.execute("ALTER TABLE device DROP COLUMN revoked_at")
    else:
        op.drop_column("device", "revoked_at")
