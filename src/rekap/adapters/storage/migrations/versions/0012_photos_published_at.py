"""When the source gave the row an imported TPS's photos came from, apart from its numbers'
(``published_at``): a later Sirekap row with photos and no numbers brings new photos but
leaves the numbers, and their source and time, those of the earlier row. The newer of the two
times orders the versions of a TPS, so an older file imported afterwards takes back neither
numbers nor photos. Results stored before take their numbers' time.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tps_result") as batch:
        batch.add_column(sa.Column("photos_published_at", sa.String(32), nullable=True))
    op.execute("UPDATE tps_result SET photos_published_at = published_at")


def downgrade() -> None:
    with op.batch_alter_table("tps_result") as batch:
        batch.drop_column("photos_published_at")
