"""Foundation: regions, imports, TPS results and findings.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("kode", sa.String(13), primary_key=True),
        sa.Column("nama", sa.Text, nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("parent", sa.String(13), nullable=True),
        sa.Column("jenis", sa.String(8), nullable=True),
        sa.Column("tps_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_region_parent", "region", ["parent"])
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("contest", sa.String(8), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("empty", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("superseded", sa.Integer, nullable=False),
    )
    op.create_table(
        "import_error",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("import_run.id"), nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("kode", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_import_error_run_id", "import_error", ["run_id"])
    op.create_table(
        "tps_result",
        sa.Column("kode_tps", sa.String(13), primary_key=True),
        sa.Column("contest", sa.String(8), primary_key=True),
        sa.Column("kode_desa", sa.String(10), nullable=False),
        sa.Column("jenis", sa.String(8), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("source_kind", sa.String(8), nullable=False),
        sa.Column("source_ref", sa.Text, nullable=False),
        sa.Column("photos", sa.JSON, nullable=False),
        sa.Column("published_at", sa.String(32), nullable=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("import_run.id"), nullable=True),
    )
    op.create_index("ix_tps_result_kode_desa", "tps_result", ["kode_desa"])
    op.create_table(
        "finding",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kode_tps", sa.String(13), nullable=False),
        sa.Column("contest", sa.String(8), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
    )
    op.create_index("ix_finding_tps", "finding", ["kode_tps", "contest"])
    op.create_index("ix_finding_rule", "finding", ["rule"])


def downgrade() -> None:
    for table in ("finding", "tps_result", "import_error", "import_run", "region"):
        op.drop_table(table)
