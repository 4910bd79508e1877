"""The relational schema. Alembic migrations create it; this module names it for queries."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

region = Table(
    "region",
    metadata,
    Column("kode", String(13), primary_key=True),
    Column("nama", Text, nullable=False),
    Column("level", Integer, nullable=False),
    Column("parent", String(13), nullable=True, index=True),
    Column("jenis", String(8), nullable=True),
    Column("tps_count", Integer, nullable=False),
)

import_run = Table(
    "import_run",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("contest", String(8), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("accepted", Integer, nullable=False, default=0),
    Column("empty", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("superseded", Integer, nullable=False, default=0),
)

import_error = Table(
    "import_error",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("import_run.id"), nullable=False, index=True),
    Column("origin", Text, nullable=False),
    Column("kode", String(32), nullable=True),
    Column("reason", Text, nullable=False),
)

tps_result = Table(
    "tps_result",
    metadata,
    Column("kode_tps", String(13), primary_key=True),
    Column("contest", String(8), primary_key=True),
    Column("kode_desa", String(10), nullable=False, index=True),
    Column("jenis", String(8), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("source_kind", String(8), nullable=False),
    Column("source_ref", Text, nullable=False),
    Column("photos", JSON, nullable=False),
    Column("published_at", String(32), nullable=True),
    Column("run_id", Integer, ForeignKey("import_run.id"), nullable=True),
)

finding = Table(
    "finding",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kode_tps", String(13), nullable=False),
    Column("contest", String(8), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Index("ix_finding_tps", "kode_tps", "contest"),
    Index("ix_finding_rule", "rule"),
)

# The change log (migration 0003): times are stored as ISO strings so that a record read back
# hashes exactly as it did when written.
event = Table(
    "event",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("subject", String(32), nullable=True, index=True),
    Column("payload", JSON, nullable=False),
    Column("previous_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)

log_head = Table(
    "log_head",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
)
