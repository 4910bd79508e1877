"""The region names of the TPS table against the region table: a reader goes by a TPS's
``nama_desa`` as much as by its code, so a name that is not its region's misleads as much as
a wrong number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from rekap.recount.aggregate import connect, quote_path
from rekap.recount.layout import bulk_region, bulk_tps
from rekap.recount.problems import Kind, RecountReport

NAMED = {
    "nama_provinsi": "kode_provinsi",
    "nama_kabupaten_kota": "kode_kabupaten_kota",
    "nama_kecamatan": "kode_kecamatan",
    "nama_desa": "kode_desa",
}
"""Each name column and the code column whose region it names (the names are fixed here,
never taken from a file)."""
SHOWN = 20


def check_tps_names(
    folder: Path, contest: str, schema: Sequence[Mapping[str, str]], report: RecountReport
) -> None:
    """Every name column the TPS table has (snapshots before the names had none) gives, on
    every row, the name the region table gives the region of that code."""
    present = {c["name"] for c in schema}
    named = {n: k for n, k in NAMED.items() if n in present and k in present}
    if not named:
        return
    connection = connect()
    try:
        rows = connection.execute(_query(folder, contest, named)).fetchall()
        for at, name in enumerate(named):
            wrong = [row[1:] for row in rows if row[0] == at]
            for kode_tps, given, expected, _ in wrong:
                report.add(
                    Kind.BULK,
                    bulk_tps(contest, "parquet"),
                    f"TPS {kode_tps}: {name} {given!r}, the region table's {expected!r}",
                )
            if wrong and wrong[0][3] > SHOWN:
                report.add(
                    Kind.BULK, bulk_tps(contest, "parquet"), f"… {wrong[0][3] - SHOWN} more: {name}"
                )
        report.checked["TPS name columns compared"] += len(named)
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        report.add(Kind.BULK, bulk_tps(contest, "parquet"), f"names unreadable: {first}")
    finally:
        connection.close()


def _query(folder: Path, contest: str, named: Mapping[str, str]) -> str:
    """One reading of the TPS table for every name column: the first ``SHOWN`` rows (by
    code) whose name is not the region table's name of its code, for each column in turn
    (its place in ``named``), each with how many rows there are in all."""
    tps = quote_path(folder / bulk_tps(contest, "parquet"))
    regions = quote_path(folder / bulk_region(contest))
    columns = ", ".join(("kode_tps", *named, *named.values()))
    wrong = " UNION ALL ".join(
        f"SELECT {at} AS place, t.kode_tps, t.{name} AS given, r.nama AS expected "
        f"FROM t LEFT JOIN r ON r.kode = t.{kode} WHERE t.{name} IS DISTINCT FROM r.nama"
        for at, (name, kode) in enumerate(named.items())
    )
    return (
        f"WITH t AS MATERIALIZED (SELECT {columns} FROM read_parquet('{tps}')), "
        f"r AS MATERIALIZED (SELECT kode, nama FROM read_parquet('{regions}')), "
        f"wrong AS ({wrong}) "
        "SELECT place, kode_tps, given, expected, count(*) OVER (PARTITION BY place) FROM wrong "
        f"QUALIFY row_number() OVER (PARTITION BY place ORDER BY kode_tps) <= {SHOWN} "
        "ORDER BY place, kode_tps"
    )
