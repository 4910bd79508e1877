"""Copying an election from one database to another: a pilot on SQLite that grows national
moves to PostgreSQL (or a PostgreSQL election is taken home in one file). Every table of
rekap's schema, row for row, read in one snapshot of the source, written in one transaction
into a target that holds no rekap rows; then the rows of each table counted on both sides and
the log's head compared.

Into PostgreSQL the rows go by ``COPY … FROM STDIN`` (psycopg's ``cursor.copy``), several
times faster than inserts for a national election; into SQLite, by batched inserts. JSON
columns are carried as the text stored, so a SQL NULL stays NULL (not JSON ``null``) and a
value is written as the source holds it. A time with its zone is carried as the instant in UTC:
SQLite holds rekap's UTC times without their zone, which PostgreSQL would otherwise take in its
own time zone (a server set to Asia/Jakarta moved them seven hours), and PostgreSQL gives them
in its zone, which SQLite would otherwise keep as if they were UTC."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from psycopg import sql
from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Integer,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
    text,
)

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
        put = _copy_rows if write.dialect.name == "postgresql" else _insert_rows
        for table in metadata.sorted_tables:
            rows = put(read, write, table, partial(copied, table.name))
            tables.append(CopiedTable(table.name, rows))
        _check(write, tables, head)
        if write.dialect.name == "postgresql":
            _advance_sequences(write)
    with reader(source) as connection:
        moved = _head(connection) != head
    return Copy(tuple(tables), head, moved)


def _as_stored(table: Table) -> list[ColumnElement[Any]]:
    """The table's columns in order, a JSON column as its text (its SQL NULL as NULL)."""
    return [
        cast(column, Text).label(column.name) if isinstance(column.type, JSON) else column
        for column in table.columns
    ]


def _zoned_times(table: Table) -> list[int]:
    """The positions of the table's columns of times with their zone."""
    return [
        position
        for position, column in enumerate(table.columns)
        if isinstance(column.type, DateTime) and column.type.timezone
    ]


def _in_utc(value: object) -> object:
    """A time as its instant in UTC; a time without a zone is SQLite's, which holds UTC."""
    if not isinstance(value, datetime):
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _as_written(row: Sequence[object], times: list[int]) -> Sequence[object]:
    if not times:
        return row
    values = list(row)
    for position in times:
        values[position] = _in_utc(values[position])
    return values


def _copy_rows(
    read: Connection, write: Connection, table: Table, copied: Callable[[int], None]
) -> int:
    """The table's rows into PostgreSQL by COPY, a batch read at a time."""
    query = select(*_as_stored(table)).order_by(*table.primary_key.columns)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(column.name) for column in table.columns),
    )
    times = _zoned_times(table)
    psycopg_connection = write.connection.driver_connection
    assert psycopg_connection is not None
    rows = 0
    cursor = psycopg_connection.cursor()  # in the copy's transaction
    with cursor, cursor.copy(statement) as stream:
        for batch in read.execution_options(yield_per=BATCH).execute(query).partitions():
            for row in batch:
                stream.write_row(_as_written(row, times))
            rows += len(batch)
            copied(len(batch))
    return rows


def _insert_rows(
    read: Connection, write: Connection, table: Table, copied: Callable[[int], None]
) -> int:
    """The table's rows inserted a batch at a time (a JSON column's text as it is)."""
    query = select(*_as_stored(table)).order_by(*table.primary_key.columns)
    statement = insert(table).values(
        {
            column.name: bindparam(column.name, type_=Text)
            for column in table.columns
            if isinstance(column.type, JSON)
        }
    )
    names = [column.name for column in table.columns]
    times = _zoned_times(table)
    rows = 0
    for batch in read.execution_options(yield_per=BATCH).execute(query).partitions():
        values = [dict(zip(names, _as_written(row, times), strict=True)) for row in batch]
        write.execute(statement, values)
        rows += len(batch)
        copied(len(batch))
    return rows


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
