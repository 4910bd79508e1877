"""How many times the photo store would not give a photo while it answered otherwise: counted
on the photo, so that the tries before it is failed are three in all, whatever the number of
workers and however often they restart (counted by each worker in memory, they were three per
worker, and began again at every restart).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("photo") as batch:
        batch.add_column(sa.Column("store_misses", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("photo") as batch:
        batch.drop_column("store_misses")
