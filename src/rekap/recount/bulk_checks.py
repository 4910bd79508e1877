"""Checks of the bulk files themselves: the three formats hold the same rows, each row is
consistent, a counted TPS satisfies the form's sums, and the published region table matches
the recomputed aggregates."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from rekap.recount.aggregate import Aggregates, connect, quote_path
from rekap.recount.layout import bulk_region, bulk_tps
from rekap.recount.problems import Kind, RecountReport

DUCK_TYPES = {"string": "VARCHAR", "int32": "INTEGER", "int64": "BIGINT", "bool": "BOOLEAN"}


def _spec(schema: Sequence[Mapping[str, str]]) -> str:
    """DuckDB's ``columns`` argument for the (checked) columns of ``schema``."""
    return "{" + ", ".join(f"'{c['name']}': '{DUCK_TYPES[c['type']]}'" for c in schema) + "}"


def _csv_source(path: Path, schema: Sequence[Mapping[str, str]]) -> str:
    """A published CSV.gz file read with ``schema``'s columns, by position, as written."""
    return (
        f"read_csv('{quote_path(path)}', header=true, auto_detect=false, delim=',', "
        f"quote='\"', escape='\"', allow_quoted_nulls=false, columns={_spec(schema)})"
    )


def _sources(folder: Path, contest: str, schema: Sequence[Mapping[str, str]]) -> dict[str, str]:
    parquet, jsonl = (quote_path(folder / bulk_tps(contest, x)) for x in ("parquet", "jsonl.gz"))
    return {
        bulk_tps(contest, "parquet"): f"read_parquet('{parquet}')",
        bulk_tps(contest, "csv.gz"): _csv_source(folder / bulk_tps(contest, "csv.gz"), schema),
        bulk_tps(contest, "jsonl.gz"): (
            f"read_json('{jsonl}', format='newline_delimited', columns={_spec(schema)})"
        ),
    }


def _fingerprint(
    connection: duckdb.DuckDBPyConnection, source: str, schema: Sequence[Mapping[str, str]]
) -> object:
    """The row count and an order-free sum of row hashes, each row hashed from its typed
    values (no text built per row: the same for every format once read with the schema)."""
    row = ", ".join(f'CAST("{c["name"]}" AS {DUCK_TYPES[c["type"]]})' for c in schema)
    query = f"SELECT COUNT(*), SUM(HASH({row})::HUGEINT) FROM {source}"
    return connection.execute(query).fetchone()


def check_formats(
    folder: Path, contest: str, schema: Sequence[Mapping[str, str]], report: RecountReport
) -> None:
    names = [c["name"] for c in schema]
    header_ok = _header_names(
        folder / bulk_tps(contest, "csv.gz"), names, bulk_tps(contest, "csv.gz"), report
    )
    connection = connect()
    try:
        prints = {}
        for path, source in _sources(folder, contest, schema).items():
            if path.endswith(".csv.gz") and not header_ok:
                continue
            try:
                prints[path] = _fingerprint(connection, source, schema)
            except duckdb.Error as error:
                report.add(Kind.BULK, path, f"unreadable: {str(error).splitlines()[0]}")
        reference = prints.get(bulk_tps(contest, "parquet"))
        for path, value in prints.items():
            if value != reference:
                report.add(Kind.BULK, path, "rows differ from the Parquet file")
        report.checked["bulk formats compared"] += len(prints)
    finally:
        connection.close()


def check_region_formats(
    folder: Path, contest: str, schema: Sequence[Mapping[str, str]], report: RecountReport
) -> None:
    """The region table's CSV holds the rows of its Parquet file, both read with the columns
    ``data/schema.json`` documents (checked names: the file's own are never put in a query),
    the CSV's header naming them in order."""
    parquet, csv = bulk_region(contest), bulk_region(contest, "csv.gz")
    names = [c["name"] for c in schema]
    connection = connect()
    try:
        source = f"read_parquet('{quote_path(folder / parquet)}')"
        described = [
            row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        ]
        if described != names:
            report.add(Kind.BULK, parquet, "its columns are not those data/schema.json gives")
            return
        if not _header_names(folder / csv, names, csv, report):
            return
        reading = _csv_source(folder / csv, schema)
        prints = {}
        for path, from_ in ((parquet, source), (csv, reading)):
            try:
                prints[path] = _fingerprint(connection, from_, schema)
            except duckdb.Error as error:
                report.add(Kind.BULK, path, f"unreadable: {str(error).splitlines()[0]}")
                return
        if prints[csv] != prints[parquet]:
            report.add(Kind.BULK, csv, "rows differ from the Parquet file")
        report.checked["bulk formats compared"] += 1
    except duckdb.Error as error:  # the Parquet file: the recount names it too
        report.add(Kind.BULK, parquet, f"unreadable: {str(error).splitlines()[0]}")
    finally:
        connection.close()


def _header_names(path: Path, names: Sequence[str], relative: str, report: RecountReport) -> bool:
    """Whether a CSV.gz file's header line names ``names`` in order (its rows are read by
    position: a header with two names swapped would mislead every reader by name)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as file:
            header = next(csv.reader([file.readline(1 << 20)]), [])
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as error:
        report.add(Kind.BULK, relative, f"unreadable header: {type(error).__name__}")
        return False
    if header != list(names):
        report.add(Kind.BULK, relative, "its header does not name the documented columns in order")
        return False
    return True


def check_rows(
    folder: Path,
    contest: str,
    fields: Sequence[str],
    report: RecountReport,
    every_vote: bool = True,
) -> None:
    """Row-level consistency and the two vote identities on every counted TPS (and, with
    ``every_vote``, that it has every vote: a snapshot whose rules hold back a result with
    a vote missing)."""
    source = f"read_parquet('{quote_path(folder / bulk_tps(contest, 'parquet'))}')"
    votes = [f for f in fields if f not in ("suara_sah", "suara_tidak_sah", "suara_total")]
    vote_sum = " + ".join(f'"{v}"' for v in votes) or "0"
    missing = " OR ".join(f'"{f}" IS NULL' for f in fields) or "false"
    checks = {
        "codes": "kode_desa <> kode_tps[1:10] OR kode_kecamatan <> kode_tps[1:6] "
        "OR kode_kabupaten_kota <> kode_tps[1:4] OR kode_provinsi <> kode_tps[1:2]",
        "counted flag": "counted <> (has_result AND NOT blocking)",
        # the identities hold only where every vote is given: a counted TPS with a vote not
        # given would add to some totals and not to others
        "every vote given": f"counted AND ({missing})" if every_vote else "false",
        "sum of paslon = suara_sah": f"counted AND ({vote_sum}) <> suara_sah",
        "sah + tidak sah = total": "counted AND suara_sah + suara_tidak_sah <> suara_total",
    }
    identities = {"every vote given", "sum of paslon = suara_sah", "sah + tidak sah = total"}
    flags = ", ".join(f"COALESCE({c}, false) AS f{i}" for i, c in enumerate(checks.values()))
    broken_any = " OR ".join(f"f{i}" for i in range(len(checks)))
    connection = connect()
    try:
        duplicates = connection.execute(
            f"SELECT kode_tps FROM {source} GROUP BY kode_tps HAVING COUNT(*) > 1 LIMIT 20"
        ).fetchall()
        for (kode,) in duplicates:
            report.add(Kind.BULK, bulk_tps(contest, "parquet"), f"TPS {kode} appears twice")
        # one scan: the rows that break any check, each with a flag per check
        rows = connection.execute(
            f"SELECT * FROM (SELECT kode_tps, {flags} FROM {source}) "
            f"WHERE {broken_any} ORDER BY kode_tps"
        ).fetchall()
        for at, name in enumerate(checks):
            broken = [row[0] for row in rows if row[at + 1]]
            kind = Kind.IDENTITY if name in identities else Kind.BULK
            for kode in broken[:50]:
                report.add(kind, bulk_tps(contest, "parquet"), f"TPS {kode}: {name}")
            if len(broken) > 50:
                report.add(kind, bulk_tps(contest, "parquet"), f"… {len(broken) - 50} more: {name}")
        report.checked["TPS rows checked"] += int(
            connection.execute(f"SELECT COUNT(*) FROM {source}").fetchone()[0]  # type: ignore[index]
        )
    finally:
        connection.close()


def check_region_table(
    folder: Path, contest: str, aggregates: Aggregates, report: RecountReport
) -> None:
    """The published region table, row by row, against the recomputed aggregates."""
    names = aggregates.names
    path = folder / bulk_region(contest)
    connection = connect()
    try:
        selected = ", ".join(f'"{n}"' for n in names)
        rows = connection.execute(
            f"SELECT kode, nama, {selected} FROM read_parquet('{quote_path(path)}')"
        ).fetchall()
    except duckdb.Error as error:
        report.add(Kind.BULK, bulk_region(contest), f"unreadable: {str(error).splitlines()[0]}")
        return
    finally:
        connection.close()
    published = {row[0]: row[2:] for row in rows}  # numbers as DuckDB gives them: compared exactly
    aggregates.region_names = {row[0]: row[1] for row in rows if row[0] in aggregates.regions}
    for kode in sorted(published.keys() | aggregates.regions.keys()):
        expected = aggregates.vector(kode)
        got = published.get(kode)
        if got != expected:
            detail = "missing" if got is None else _differences(names, expected, got)
            report.add(
                Kind.MISMATCH, bulk_region(contest), f"region {kode or 'nasional'}: {detail}"
            )
    report.checked["regions compared (table)"] += len(published)


def _differences(names: Sequence[str], expected: Sequence[int], got: Sequence[int]) -> str:
    return ", ".join(
        f"{n} {g} (recount {e})" for n, e, g in zip(names, expected, got, strict=True) if e != g
    )
