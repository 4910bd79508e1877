"""The relational schema. Alembic migrations create it; this module names it for queries."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
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
    # migration 0012: the source's time for the row the photos came from (an import's photos
    # may come from a later row than its numbers, whose time is ``published_at``)
    Column("photos_published_at", String(32), nullable=True),
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

# Migration 0013: one row per replacement of many TPS's findings at once (an import's), which
# no event records; findings of the capture workflow change with an event about their TPS.
finding_batch = Table(
    "finding_batch",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("contest", String(8), nullable=False),
    Column("tps", Integer, nullable=False),
    Column("findings", Integer, nullable=False),
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

# Capture and verification (migration 0004).
account = Table(
    "account",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("scope", String(13), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

device = Table(
    "device",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(32), ForeignKey("account.id"), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("registered_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),  # migration 0006
)

photo = Table(
    "photo",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False),
    Column("kode_tps", String(13), nullable=False),
    Column("contest", String(8), nullable=False),
    Column("page", Integer, nullable=False),
    Column("format", String(8), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("captured_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("account_id", String(32), ForeignKey("account.id"), nullable=False),
    Column("device_id", String(16), ForeignKey("device.id"), nullable=False),
    Column("device_signature", String(128), nullable=False),
    Column("receipt_signature", String(128), nullable=False),
    Column("state", String(24), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("claimed_at", String(40), nullable=True),
    Column("reading", JSON, nullable=True),
    # tries at the photo's bytes the store refused while it answered otherwise (migration
    # 0011): the photo is failed at MISSES_BEFORE_FAILING, whichever workers tried
    Column("store_misses", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("sha256", "kode_tps", "page", name="uq_photo_once"),
)

form = Table(
    "form",
    metadata,
    Column("kode_tps", String(13), primary_key=True),
    Column("contest", String(8), primary_key=True),
    Column("state", String(24), nullable=False),
    Column("values", JSON, nullable=False),
    Column("abstained", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("updated_at", String(40), nullable=False),
    # the machine's decision of each field, the form's pages decided together (null before
    # migration 0005): {field: {page, photo, value, status, confidence, reason, alone?}}
    Column("machine", JSON, nullable=True),
)

verification_task = Table(
    "verification_task",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kode_tps", String(13), nullable=False),
    Column("contest", String(8), nullable=False),
    Column("state", String(16), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("closed_at", String(40), nullable=True),
)

verification_entry = Table(
    "verification_entry",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("verification_task.id"), nullable=False),
    Column("account_id", String(32), ForeignKey("account.id"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("values", JSON, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("entered_at", String(40), nullable=False),
    Column("salt", String(32), nullable=True),  # migration 0007
    UniqueConstraint("task_id", "account_id", name="uq_entry_once"),
    Index("ix_entry_account", "account_id"),  # migration 0015: a person's own statistics
)

# Who is entering which task now (migration 0008): a task is handed to no more people at once
# than it needs entries; a hold lapses at ``held_until``; a skipped task goes to the back of
# that person's queue (``skipped`` true, never counted as held).
verification_hold = Table(
    "verification_hold",
    metadata,
    Column("task_id", Integer, ForeignKey("verification_task.id"), primary_key=True),
    Column("account_id", String(32), ForeignKey("account.id"), primary_key=True),
    Column("held_since", String(40), nullable=False),
    Column("held_until", String(40), nullable=False),
    Column("skipped", Boolean, nullable=False, default=False),
    Index("ix_hold_account", "account_id"),
)

# Every skip (migration 0009): a person may skip only so many forms an hour, and an admin sees
# who skips how often; kept when the task closes or is handed to them again.
verification_skip = Table(
    "verification_skip",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("verification_task.id"), nullable=False),
    Column("account_id", String(32), ForeignKey("account.id"), nullable=False),
    Column("skipped_at", String(40), nullable=False),
    Index("ix_skip_account_at", "account_id", "skipped_at"),
)

# Every photo a person reported they cannot read (migration 0010): once ``REPORTS_NEEDED``
# people reported one, it is sent back to its officer; a person reports a photo once, and
# only so many forms an hour.
verification_report = Table(
    "verification_report",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("verification_task.id"), nullable=False),
    Column("account_id", String(32), ForeignKey("account.id"), nullable=False),
    Column("photo_id", Integer, ForeignKey("photo.id"), nullable=False),
    Column("page", Integer, nullable=False),
    Column("reported_at", String(40), nullable=False),
    UniqueConstraint("photo_id", "account_id", name="uq_report_once"),
    Index("ix_report_account_at", "account_id", "reported_at"),
)

# The live tally (migrations 0002, 0014): each region's totals per contest, and what each TPS adds.
region_tally = Table(
    "region_tally",
    metadata,
    Column("contest", String(8), primary_key=True),
    Column("kode", String(13), primary_key=True),
    Column("tps_expected", Integer, nullable=False),
    Column("received", Integer, nullable=False),
    Column("read", Integer, nullable=False),
    Column("verified", Integer, nullable=False),
    Column("published", Integer, nullable=False),
    Column("blocking", Integer, nullable=False),
    Column("counted", Integer, nullable=False),
    # migration 0014: of `verified`, the TPS whose numbers people entered
    Column("verified_by_people", Integer, nullable=False, server_default="0"),
)

region_tally_value = Table(
    "region_tally_value",
    metadata,
    Column("contest", String(8), primary_key=True),
    Column("kode", String(13), primary_key=True),
    Column("field", String(32), primary_key=True),
    Column("counted", BigInteger, nullable=False),
    Column("held", BigInteger, nullable=False),
)

tally_tps = Table(
    "tally_tps",
    metadata,
    Column("contest", String(8), primary_key=True),
    Column("kode_tps", String(13), primary_key=True),
    Column("vector", Text, nullable=False),
)
