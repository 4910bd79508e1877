"""Each verification entry's secret salt: the log commits to an entry with a salted hash
(an unsalted one let a second verifier test guesses of the first's numbers), and the salt
is published with the numbers when the task closes.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("verification_entry") as batch:
        batch.add_column(sa.Column("salt", sa.String(32), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE verification_entry DROP COLUMN salt")
    else:
        op.drop_column("verification_entry", "salt")
