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
    tps = quote_path(folder / bulk_tps(contest, "parquet"))
    regions = quote_path(folder / bulk_region(contest))
    connection = connect()
    try:
        for name, kode in named.items():
            query = (
                f"SELECT t.kode_tps, t.{name}, r.nama, count(*) OVER () "
                f"FROM read_parquet('{tps}') t "
                f"LEFT JOIN (SELECT kode, nama FROM read_parquet('{regions}')) r "
                f"ON r.kode = t.{kode} WHERE t.{name} IS DISTINCT FROM r.nama "
                f"ORDER BY t.kode_tps LIMIT {SHOWN}"
            )
            rows = connection.execute(query).fetchall()
            for kode_tps, given, expected in (row[:3] for row in rows):
                report.add(
                    Kind.BULK,
                    bulk_tps(contest, "parquet"),
                    f"TPS {kode_tps}: {name} {given!r}, the region table's {expected!r}",
                )
            if rows and rows[0][3] > SHOWN:
                report.add(
                    Kind.BULK, bulk_tps(contest, "parquet"), f"… {rows[0][3] - SHOWN} more: {name}"
                )
        report.checked["TPS names compared"] += len(named)
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        report.add(Kind.BULK, bulk_tps(contest, "parquet"), f"names unreadable: {first}")
    finally:
        connection.close()
