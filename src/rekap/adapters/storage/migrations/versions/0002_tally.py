"""The live tally: region totals per contest, their numbers per field, and each TPS's share.

Revision ID: 0002
Revises: 0004 (the tally arrived after the change log and capture; ids are names, not order)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0004"
branch_labels = None
depends_on = None

COVERAGE = ("tps_expected", "received", "read", "verified", "published", "blocking", "counted")


def upgrade() -> None:
    op.create_table(
        "region_tally",
        sa.Column("contest", sa.String(8), primary_key=True),
        sa.Column("kode", sa.String(13), primary_key=True),
        *(sa.Column(name, sa.Integer, nullable=False) for name in COVERAGE),
    )
    op.create_table(
        "region_tally_value",
        sa.Column("contest", sa.String(8), primary_key=True),
        sa.Column("kode", sa.String(13), primary_key=True),
        sa.Column("field", sa.String(32), primary_key=True),
        sa.Column("counted", sa.BigInteger, nullable=False),
        sa.Column("held", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "tally_tps",
        sa.Column("contest", sa.String(8), primary_key=True),
        sa.Column("kode_tps", sa.String(13), primary_key=True),
        sa.Column("vector", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("tally_tps", "region_tally_value", "region_tally"):
        op.drop_table(table)
