"""Each TPS's ``updated_at``, as the snapshot publishes it, against the log.

``updated_at`` says when a TPS's numbers last changed (docs/open-data.md, the bulk columns): the
time (``at``) of the newest event of the log that set them, ``result.imported`` with numbers or
``result.value_changed`` (read, entered by people, corrected), so a new photo that reads the
same numbers leaves it. An imported result (``source_kind`` ``import``) says instead the ``ts``
Sirekap gave the row its numbers came from, when the row gave one: the ``published_at`` of its
``result.imported``, moved by each ``result.source_changed`` (``published_after``); a later row
with photos only, or the same numbers, moves neither. A ``ts`` is Sirekap's WIB local time
(``2024-02-16 16:25:10``); one that is not a time gives none. A TPS with no source publishes
none. The time is written in UTC as ISO 8601 with ``Z`` (``2024-02-16T09:25:10Z``; a fraction of
a second, six digits, only when there is one), and compared as written.

Not compared: an imported TPS whose ``result.imported`` carries no ``published_at`` (logs
written before 2026-11-23, when a later row moved the time without an event) and no later
``result.source_changed`` set it; and snapshots published before the rule held (their
manifest's ``counts`` say no ``counted_unlisted``, which came after it: before 2026-11-22 a
result rekap read or people entered had no ``updated_at``).

A national snapshot has 823,366 times to compare: they are compared in one DuckDB query, the
replayed times and ``ts`` handed over as Arrow columns, which writes each expected time and
reads each ``ts`` written as Sirekap writes it (``WRITTEN_TS``; any other is read in Python,
each distinct one once, as ``datetime.fromisoformat`` reads it). Writing or reading each time
in Python cost several seconds there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
from duckdb import DuckDBPyConnection

from rekap.events.chain import Recorded
from rekap.events.replay_sources import Sources
from rekap.recount.aggregate import connect, quote_path
from rekap.recount.layout import bulk_tps, unplaced
from rekap.recount.problems import Kind, RecountReport

MAX_NAMED = 50
"""Of each file, the differences named one by one (then how many more), as for the numbers."""
WIB: Final = timezone(timedelta(hours=7), "WIB")
"""Sirekap's ``ts``, and any time written without its offset."""


def dated(manifest: Mapping[str, object]) -> bool:
    """Whether the snapshot was published under the rule above (since 2026-11-23, when its
    manifest's counts name ``counted_unlisted``)."""
    counts = manifest.get("counts")
    return isinstance(counts, Mapping) and "counted_unlisted" in counts


class NumbersChanged:
    """The time of the newest record that set each TPS's numbers, by TPS code (the records of
    one contest), applied one record at a time after ``rekap.events.replay.apply_record``
    accepted it; a time written without its offset is kept as written (read as WIB below)."""

    def __init__(self) -> None:
        self.at: dict[str, datetime] = {}

    def apply(self, record: Recorded, kode: str) -> None:
        """Take in a record about TPS ``kode`` (its payload's, which the caller read: a
        national log has millions of records)."""
        kind = record.kind
        if kind == "result.value_changed" or (
            kind == "result.imported" and record.payload["values"]
        ):
            self.at[kode] = record.at


def read_ts(ts: str) -> datetime | None:
    """A Sirekap ``ts`` as an instant (WIB unless it says its offset), None if not a time."""
    try:
        return _zoned(datetime.fromisoformat(ts.replace("Z", "+00:00")))
    except ValueError:
        return None


def _zoned(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=WIB)


def _micros(times: Iterable[datetime | None]) -> pa.Array:
    """Instants as microseconds since 1970 UTC (Arrow converts each zone's time)."""
    return pa.array(list(times), pa.timestamp("us", tz="UTC")).cast(pa.int64())


WRITTEN_TS = "[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}"
"""A ``ts`` as Sirekap writes it, which the query reads itself (``2024-02-16 16:25:10``, or
with ``T``); any other is read in Python (``read_ts``), each distinct one once."""


def _logged_tables(
    changed: Mapping[str, datetime], sources: Sources, contest: str
) -> dict[str, pa.Table]:
    """What the log says, as the query reads it: ``changed`` (each TPS's newest numbers event),
    ``imported`` (each imported TPS: whether its ``ts`` is known, and which), ``ts`` (each
    distinct ``ts`` not written as Sirekap writes it, as an instant: null if not a time)."""
    times = list(changed.values())
    if any(time.tzinfo is None for time in times):
        times = [_zoned(time) for time in times]
    said = [(kode, parts) for (kode, of), parts in sources.items() if of == contest]
    given = pa.array([parts.get("published_at") or None for _, parts in said], pa.string())
    written = pc.fill_null(pc.match_substring_regex(given, f"^{WRITTEN_TS}$"), True)
    other = pc.unique(pc.filter(given, pc.invert(written))).to_pylist()
    return {
        "changed": pa.table(
            {"kode_tps": pa.array(list(changed), pa.string()), "us": _micros(times)}
        ),
        "imported": pa.table(
            {
                "kode_tps": pa.array([kode for kode, _ in said], pa.string()),
                "known": pa.array(["published_at" in parts for _, parts in said], pa.bool_()),
                "ts": given,
            }
        ),
        "ts": pa.table({"ts": pa.array(other, pa.string()), "us": _micros(map(read_ts, other))}),
    }


_COMPARED = """
WITH given AS (
    SELECT p.kode_tps, TRY_CAST(p.updated_at AS VARCHAR) AS published,
        CASE
            WHEN p.source_kind IS NULL THEN NULL
            WHEN p.source_kind = 'import' AND regexp_full_match(i.ts, $written)
                -- WIB, and no year 0 (which Python's reading refuses)
                THEN CASE WHEN NOT starts_with(i.ts, '0000') THEN epoch_us(
                    TRY_STRPTIME(replace(i.ts, 'T', ' '), '%Y-%m-%d %H:%M:%S')
                ) - 25200000000 END
            WHEN p.source_kind = 'import' AND i.ts IS NOT NULL THEN t.us
            ELSE c.us
        END AS us
    FROM published p
    LEFT JOIN changed c ON c.kode_tps = p.kode_tps
    LEFT JOIN imported i ON i.kode_tps = p.kode_tps
    LEFT JOIN ts t ON t.ts = i.ts
    WHERE p.source_kind IS DISTINCT FROM 'import' OR i.known
), compared AS (
    SELECT kode_tps, published,
        strftime(make_timestamp(us), '%Y-%m-%dT%H:%M:%S')
            || CASE WHEN us % 1000000 = 0 THEN '' ELSE printf('.%06d', us % 1000000) END
            || 'Z' AS expected
    FROM given
)
SELECT count(*), count(*) FILTER (WHERE published IS DISTINCT FROM expected),
    min_by([kode_tps, published, expected], kode_tps, $named)
        FILTER (WHERE published IS DISTINCT FROM expected)
FROM compared
"""
"""How many TPS of ``published`` (``kode_tps``, ``source_kind``, ``updated_at``) were compared
with the time the log gives them (written as the snapshot writes it, null for none: an
imported TPS whose ``ts`` the log does not say is left out), how many differ, and the first
``$named`` that do, in code order, each ``[kode_tps, published, expected]``."""


def _compare(
    connection: DuckDBPyConnection, published: str, path: str, says: str, report: RecountReport
) -> None:
    """Every ``updated_at`` of ``published`` (a query over the files and the tables the
    connection holds) against the log; the first ``MAX_NAMED`` differences by name (``path``:
    the file, ``says``: how the problem names it)."""
    connection.execute(f"CREATE OR REPLACE TEMP VIEW published AS {published}")
    found = connection.execute(_COMPARED, {"named": MAX_NAMED, "written": WRITTEN_TS}).fetchall()
    compared, differ, named = found[0]
    report.checked["TPS updated_at compared with the log"] += int(compared)
    for kode, was, expected in named or ():
        detail = f"TPS {kode} updated_at: {says} says {_say(was)}, the log says {_say(expected)}"
        report.add(Kind.UNLOGGED, path, detail)
    if differ > MAX_NAMED:
        more = differ - MAX_NAMED
        report.add(Kind.UNLOGGED, path, f"… {more} more updated_at differ from the log")


Unplaced = list[tuple[str, str | None, object]]
"""The unplaced list's ``(kode_tps, source_kind, updated_at)`` of each line that says them."""


def check_times(
    folder: Path,
    manifest: Mapping[str, object],
    changed: Mapping[str, datetime],
    sources: Sources,
    unplaced_rows: Unplaced,
    report: RecountReport,
) -> None:
    """Every ``updated_at`` of the bulk data and of the unplaced list against the log, or a
    note saying why they cannot be."""
    if not dated(manifest):
        report.notes.append(
            "The TPS's updated_at was not compared with the change log: the manifest's counts "
            "name no counted_unlisted (a snapshot published before 2026-11-23, when updated_at "
            "followed older rules)."
        )
        return
    contest = str(manifest.get("contest", ""))
    parquet = bulk_tps(contest, "parquet")
    source = f"read_parquet('{quote_path(folder / parquet)}')"
    connection = connect()
    try:
        for name, table in _logged_tables(changed, sources, contest).items():
            connection.register(name, table)
        described = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        if {"source_kind", "updated_at"} <= {row[0] for row in described}:
            query = f"SELECT kode_tps, source_kind, updated_at FROM {source}"
            _compare(connection, query, parquet, "bulk data", report)
        else:
            report.notes.append(
                "The TPS's updated_at was not compared with the change log: the bulk data has "
                "no updated_at column, or no source_kind to tell an imported result by."
            )
        if unplaced_rows:
            connection.register("unplaced_rows", _unplaced_table(unplaced_rows))
            query = "SELECT * FROM unplaced_rows"
            _compare(connection, query, unplaced(contest), "unplaced list", report)
    finally:
        connection.close()


def _unplaced_table(rows: Unplaced) -> pa.Table:
    kode, kind, updated = zip(*rows, strict=True)
    return pa.table(
        {
            "kode_tps": pa.array(kode, pa.string()),
            "source_kind": pa.array(kind, pa.string()),
            # a time that is not a text differs from any the log gives
            "updated_at": pa.array(
                [u if u is None or isinstance(u, str) else repr(u) for u in updated], pa.string()
            ),
        }
    )


def _say(value: object) -> str:
    return "nothing" if value is None else repr(value)
