"""The manifest's ``counts`` against what the recount finds: the signed summary a reader sees
first (``rekap publish`` prints it; a mirror's index shows it) says what the bulk data
holds, or the recount names it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from rekap.recount.aggregate import Aggregates, connect, quote_path
from rekap.recount.layout import MANIFEST, bulk_tps, unplaced
from rekap.recount.problems import Kind, RecountReport


def found_counts(
    folder: Path, contest: str, aggregates: Aggregates, passed: set[str], scope: object = None
) -> tuple[dict[str, int], int]:
    """What the manifest's ``counts`` should say, from the bulk data (each one that can be
    told: ``unplaced`` only when its file passed its check), and the TPS rows under none of
    ``scope``'s codes (0 for no scope: the nation), counted in one reading of the bulk data.
    A manifest naming another scope than its data would read as every number outside it
    unlogged; the count says what is wrong once. ``counted_unlisted`` is the rows that count
    and are not ``expected``, the region table's rule, whatever the snapshot's age: a manifest
    published before it had that count does not give it, and is not asked for it."""
    nation = dict(zip(aggregates.names, aggregates.vector(""), strict=True))
    source = f"read_parquet('{quote_path(folder / bulk_tps(contest, 'parquet'))}')"
    codes = [str(code) for code in scope] if isinstance(scope, list) else []
    under_none = "len(list_filter($scope, lambda s: starts_with(kode_tps, s))) = 0"
    outside_count = f"COUNT(*) FILTER (WHERE {under_none})" if codes else "0"
    connection = connect()
    try:
        rows, with_result, unlisted, outside = connection.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE has_result), "
            f"COUNT(*) FILTER (WHERE counted AND NOT expected), {outside_count} FROM {source}",
            {"scope": codes} if codes else None,
        ).fetchone() or (0, 0, 0, 0)
    finally:
        connection.close()
    found = {
        "tps_expected": nation["tps_expected"],
        "tps_rows": int(rows),
        "tps_with_result": int(with_result),
        "counted": nation["counted"],
        "counted_unlisted": int(unlisted),
        "blocking": nation["blocking"],
    }
    if unplaced(contest) in passed:
        lines = (folder / unplaced(contest)).read_bytes().splitlines()
        found["unplaced"] = sum(1 for line in lines if line.strip())
    return found, int(outside)


def check_manifest_counts(
    folder: Path,
    contest: str,
    manifest: Mapping[str, Any],
    aggregates: Aggregates | None,
    passed: set[str],
    report: RecountReport,
) -> None:
    """Each count the manifest gives that differs from the recount's, named. A count it
    leaves out is not asked for: manifests published before 2026-11-23 give no
    ``counted_unlisted`` (one that names it wrongly is named like any other)."""
    counts = manifest.get("counts")
    if not isinstance(counts, Mapping):
        return
    index_files = manifest.get("index", {}).get("files")
    if "files" in counts and index_files is not None and counts["files"] != index_files:
        report.add(
            Kind.MANIFEST, MANIFEST, f"counts.files {counts['files']!r}, index.files {index_files}"
        )
    if aggregates is None:
        return  # the bulk data could not be recounted: named already
    try:
        found, outside = found_counts(folder, contest, aggregates, passed, manifest.get("scope"))
    except (duckdb.Error, OSError) as error:
        report.add(Kind.BULK, bulk_tps(contest, "parquet"), f"cannot count the rows: {error}")
        return
    if outside:
        report.add(
            Kind.MANIFEST,
            MANIFEST,
            f"scope {manifest.get('scope')!r}, the bulk data has {outside:,} TPS outside it",
        )
    for name, value in found.items():
        given = counts.get(name)
        if name in counts and (given != value or type(given) is not int):
            report.add(
                Kind.MANIFEST, MANIFEST, f"counts.{name} {given!r}, the bulk data has {value:,}"
            )
