"""Copying an election from one database to another: a pilot on SQLite that grows national
moves to PostgreSQL (or a PostgreSQL election is taken home in one file). Every table of
rekap's schema, row for row, read in one snapshot of the source, written in one transaction
into a target that holds no rekap rows; then the rows of each table counted on both sides and
the log's head compared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Integer, func, insert, select, text

from rekap.adapters.storage.engine import reader
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.schema import event, metadata

BATCH = 10_000
"""Rows read and inserted at a time."""


class CopyRefused(ValueError):
    """The target holds rekap rows already, or the copy does not match its source."""


@dataclass(frozen=True, slots=True)
class CopiedTable:
    name: str
    rows: int


@dataclass(frozen=True, slots=True)
class Copy:
    """What was copied, and the log's head (sequence, hash) in the source's snapshot."""

    tables: tuple[CopiedTable, ...]
    head: tuple[int, str] | None
    source_moved: bool
    """The source's log grew while it was copied: what came after the snapshot is not in the
    target (stop the service during a copy)."""


def copy_database(
    source: Engine, target: Engine, copied: Callable[[str, int], None] = lambda _t, _n: None
) -> Copy:
    """Copy every rekap table of ``source`` (at the newest schema) into ``target`` (made the
    newest schema here); ``copied(table, rows)`` is told of each batch."""
    upgrade(target)
    with reader(target) as connection:
        for table in metadata.sorted_tables:
            if connection.execute(select(1).select_from(table).limit(1)).first() is not None:
                raise CopyRefused(
                    f"the target already holds rows (table {table.name}): a copy goes into a "
                    "new, empty database only"
                )
    tables = []
    with _snapshot(source) as read, read.begin(), target.begin() as write:
        head = _head(read)
        for table in metadata.sorted_tables:
            rows = 0
            query = select(table).order_by(*table.primary_key.columns)
            result = read.execution_options(yield_per=BATCH).execute(query).mappings()
            for batch in result.partitions():
                write.execute(insert(table), [dict(row) for row in batch])
                rows += len(batch)
                copied(table.name, len(batch))
            tables.append(CopiedTable(table.name, rows))
        _check(write, tables, head)
        if write.dialect.name == "postgresql":
            _advance_sequences(write)
    with reader(source) as connection:
        moved = _head(connection) != head
    return Copy(tuple(tables), head, moved)


def _snapshot(engine: Engine) -> Connection:
    """A read-only connection whose transaction sees one moment of every table (SQLite's
    read transaction does; PostgreSQL's needs REPEATABLE READ)."""
    connection = reader(engine)
    if engine.dialect.name == "postgresql":
        return connection.execution_options(isolation_level="REPEATABLE READ")
    return connection


def _head(connection: Connection) -> tuple[int, str] | None:
    row = connection.execute(
        select(event.c.sequence, event.c.hash).order_by(event.c.sequence.desc()).limit(1)
    ).first()
    return None if row is None else (int(row[0]), str(row[1]))


def _check(write: Connection, tables: list[CopiedTable], head: tuple[int, str] | None) -> None:
    """Count each table's rows in the target, inside the copy's transaction; compare the head."""
    for copied in tables:
        found = write.execute(select(func.count()).select_from(metadata.tables[copied.name]))
        count = int(found.scalar_one())
        if count != copied.rows:
            raise CopyRefused(f"table {copied.name}: {copied.rows} rows read, {count} written")
    if _head(write) != head:
        raise CopyRefused(f"the target's log head {_head(write)} is not the source's {head}")


def _advance_sequences(write: Connection) -> None:
    """PostgreSQL numbers new rows from a sequence that copied rows did not advance."""
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement is True:
                write.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence(:table, :column), "
                        f"COALESCE((SELECT max({column.name}) FROM {table.name}), 0) + 1, false)"
                    ),
                    {"table": table.name, "column": column.name},
                )
