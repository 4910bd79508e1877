"""Which database errors pass (tried again, 503) and which are bugs (failed, 500)."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import IntegrityError, OperationalError

from rekap.adapters.storage.engine import passes


def _sqlite(message: str) -> OperationalError:
    return OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))


def test_a_lock_or_a_full_disk_passes_a_missing_table_does_not() -> None:
    assert passes(_sqlite("database is locked"))
    assert passes(_sqlite("database or disk is full"))
    assert not passes(_sqlite("no such table: photo"))
    assert not passes(_sqlite("no such column: photo.reading"))
    assert not passes(IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")))
    assert not passes(ValueError("database is locked"))
