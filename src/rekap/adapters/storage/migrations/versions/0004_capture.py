"""Capture: accounts, devices, photos, readings, forms and double-blind verification.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(13), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("account_id", sa.String(32), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("registered_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "photo",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kode_tps", sa.String(13), nullable=False),
        sa.Column("contest", sa.String(8), nullable=False),
        sa.Column("page", sa.Integer, nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("captured_at", sa.String(40), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(32), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("device_id", sa.String(16), sa.ForeignKey("device.id"), nullable=False),
        sa.Column("device_signature", sa.String(128), nullable=False),
        sa.Column("receipt_signature", sa.String(128), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("claimed_at", sa.String(40), nullable=True),
        sa.Column("reading", sa.JSON, nullable=True),
        sa.UniqueConstraint("sha256", "kode_tps", "page", name="uq_photo_once"),
    )
    op.create_index("ix_photo_state", "photo", ["state"])
    op.create_index("ix_photo_tps", "photo", ["kode_tps", "contest"])
    op.create_table(
        "form",
        sa.Column("kode_tps", sa.String(13), primary_key=True),
        sa.Column("contest", sa.String(8), primary_key=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("abstained", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "verification_task",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kode_tps", sa.String(13), nullable=False),
        sa.Column("contest", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("closed_at", sa.String(40), nullable=True),
    )
    op.create_index("ix_task_state", "verification_task", ["state", "kode_tps"])
    op.create_table(
        "verification_entry",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("verification_task.id"), nullable=False),
        sa.Column("account_id", sa.String(32), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("entered_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("task_id", "account_id", name="uq_entry_once"),
    )


def downgrade() -> None:
    for table in ("verification_entry", "verification_task", "form", "photo", "device", "account"):
        op.drop_table(table)
