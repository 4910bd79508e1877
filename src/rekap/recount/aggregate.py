"""Every aggregate recomputed from the per-TPS bulk data with DuckDB.

A row counts when ``counted`` is true; a row with a result that does not count is held
back. Each region's numbers are sums over the TPS whose code starts with the region's code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from rekap.recount.layout import COVERAGE

STAGES = {
    "received": ("received", "read", "verified", "published"),
    "read": ("read", "verified", "published"),
    "verified": ("verified", "published"),
    "published": ("published",),
}
Vector = tuple[int, ...]


def columns(fields: Sequence[str]) -> tuple[str, ...]:
    """The order of every vector: expected TPS, coverage, counted numbers, held numbers."""
    return ("tps_expected", *COVERAGE, *fields, *(f"held_{f}" for f in fields))


def _expressions(fields: Sequence[str]) -> list[str]:
    out = ["CAST(expected AS BIGINT)"]
    for name in COVERAGE:
        if name in STAGES:
            stages = ", ".join(f"'{s}'" for s in STAGES[name])
            out.append(f"CAST(stage IN ({stages}) AS BIGINT)")
        else:
            out.append(f"CAST({name} AS BIGINT)")
    out += [f'CASE WHEN counted THEN COALESCE("{f}", 0) ELSE 0 END' for f in fields]
    held = "has_result AND NOT counted"
    out += [f'CASE WHEN {held} THEN COALESCE("{f}", 0) ELSE 0 END' for f in fields]
    return out


@dataclass
class Aggregates:
    fields: tuple[str, ...]
    regions: dict[str, Vector] = field(default_factory=dict)
    tps: dict[str, Vector] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)

    def vector(self, kode: str) -> Vector:
        """A region's or a TPS's vector; a region with no TPS row adds up to zero."""
        found = self.regions.get(kode) if len(kode) < 13 else self.tps.get(kode)
        return found if found is not None else (0,) * len(columns(self.fields))


def recompute(parquet: Path, fields: Sequence[str]) -> Aggregates:
    names = columns(fields)
    expressions = _expressions(fields)
    per_tps = ", ".join(f'{e} AS "{n}"' for e, n in zip(expressions, names, strict=True))
    sums = ", ".join(f'SUM("{n}")::BIGINT AS "{n}"' for n in names)
    connection = duckdb.connect()
    try:
        connection.execute(
            f"CREATE TEMP TABLE v AS SELECT kode_tps, {per_tps} "
            f"FROM read_parquet('{_quote(parquet)}')"
        )
        result = Aggregates(tuple(fields))
        result.tps = _vectors(connection.execute("SELECT * FROM v").fetchnumpy(), names)
        result.regions = _vectors(
            connection.execute(
                f"SELECT kode, {sums} FROM (SELECT UNNEST(['', kode_tps[1:2], kode_tps[1:4], "
                f"kode_tps[1:6], kode_tps[1:10]]) AS kode, * FROM v) GROUP BY kode"
            ).fetchnumpy(),
            names,
        )
    finally:
        connection.close()
    for kode in (*result.regions, *result.tps):
        if kode:
            parent = kode[: {2: 0, 4: 2, 6: 4, 10: 6, 13: 10}[len(kode)]]
            result.children.setdefault(parent, []).append(kode)
    for kids in result.children.values():
        kids.sort()
    return result


def _vectors(found: Mapping[str, Any], names: Sequence[str]) -> dict[str, Vector]:
    """``{code: vector}`` from DuckDB's columns (the first one holds the codes)."""
    codes = [str(c) for c in found[next(iter(found))].tolist()]
    if not codes:
        return {}
    matrix = np.column_stack([np.asarray(found[n], dtype=np.int64) for n in names])
    return dict(zip(codes, map(tuple, matrix.tolist()), strict=True))


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
