"""What changed since the previous snapshot, TPS by TPS and number by number.

Public numbers must never change silently: every change of a TPS's status, of any number
on its form or of its photos is listed with its value before and after. Columns are compared
whole (Arrow); only the rows that differ are described one by one.

The first snapshot (no previous one) counts every row as added; its list of changes is empty
(every row is in the bulk data). A snapshot of another scope than the previous one says so
(``scope_changed``): its rows outside both scopes' overlap are added or removed by the scope,
not by any result.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rekap.publish.encode import gzip_bytes
from rekap.publish.records import PreviousSnapshot

STATUS_COLUMNS = ("stage", "has_result", "counted", "blocking", "blocking_rules", "warning_rules")
EVIDENCE_COLUMNS = ("photos",)
"""The photos a TPS's numbers rest on: one replaced is a change as public as a number."""


@dataclass(frozen=True)
class Diff:
    summary: dict[str, object]
    lines: bytes


def compared_columns(names: Sequence[str], form_fields: Sequence[str]) -> tuple[str, ...]:
    present = set(names)
    return tuple(c for c in (*STATUS_COLUMNS, *form_fields, *EVIDENCE_COLUMNS) if c in present)


def _column(table: pa.Table, name: str) -> pa.ChunkedArray:
    if name in table.column_names:
        return table.column(name)
    return pa.chunked_array([pa.nulls(table.num_rows)])


def _differing_rows(old: pa.Table, new: pa.Table, compared: Sequence[str]) -> list[int]:
    """Rows (same TPS in the same order) where any compared column differs, nulls included."""
    mask = np.zeros(new.num_rows, dtype=bool)
    for name in compared:
        a, b = _column(old, name), _column(new, name)
        if a.type != b.type:
            a = a.cast(b.type) if not pa.types.is_null(a.type) else pa.nulls(len(b), b.type)
        unequal = pc.fill_null(pc.not_equal(a, b), False)
        one_null = pc.xor(pc.is_null(a), pc.is_null(b))
        mask |= pc.or_(unequal, one_null).to_numpy(zero_copy_only=False)
    return np.flatnonzero(mask).tolist()


def _picked(table: pa.Table, compared: Sequence[str], rows: pa.Array) -> list[tuple[object, ...]]:
    """The compared values of the rows at ``rows``, a column at a time (a cell at a time cost
    about 2 ms a changed TPS: half an hour for a national diff)."""
    series = [_column(table, c).take(rows).to_pylist() for c in compared]
    if not series:
        return [() for _ in range(len(rows))]
    return list(zip(*series, strict=True))


def _rows(table: pa.Table, compared: Sequence[str]) -> dict[object, tuple[object, ...]]:
    codes = _column(table, "kode_tps").to_pylist()
    series = [_column(table, c).to_pylist() for c in compared]
    return dict(zip(codes, zip(*series, strict=True), strict=True)) if codes else {}


def previous_scope(previous: PreviousSnapshot) -> list[str] | None:
    """The scope the previous snapshot's manifest names (None: it names none readable)."""
    try:
        scope = json.loads(previous.manifest).get("scope")
    except (ValueError, AttributeError):
        return None
    if not isinstance(scope, list) or not all(isinstance(code, str) for code in scope):
        return None
    return sorted(scope)


def diff_tables(
    previous: PreviousSnapshot | None,
    current: pa.Table,
    compared: Sequence[str],
    contest: str,
    scope: Sequence[str] = (),
) -> Diff:
    counts: Counter[str] = Counter()
    fields: Counter[str] = Counter()
    lines: list[str] = []
    if previous is not None:
        old = previous.table
        if _column(old, "kode_tps").equals(_column(current, "kode_tps")):
            rows = pa.array(_differing_rows(old, current, compared), pa.int64())
            codes = _column(current, "kode_tps").take(rows).to_pylist()
            pairs: list[tuple[object, tuple[object, ...] | None, tuple[object, ...] | None]] = list(
                zip(
                    codes,
                    _picked(old, compared, rows),
                    _picked(current, compared, rows),
                    strict=True,
                )
            )
            counts["unchanged"] = current.num_rows - len(rows)
        else:
            before, after = _rows(old, compared), _rows(current, compared)
            pairs = []
            for kode in sorted(before.keys() | after.keys(), key=str):
                then, now = before.get(kode), after.get(kode)
                if then == now:
                    counts["unchanged"] += 1
                else:
                    pairs.append((kode, then, now))
        for kode, then, now in pairs:
            change = _change(kode, then, now, compared)
            counts[str(change["change"])] += 1
            changed = change.get("fields")
            if isinstance(changed, dict):
                fields.update(changed.keys())
            lines.append(json.dumps(change, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        counts["added"] = current.num_rows  # every row is new; the bulk data lists them
    scope_before = None if previous is None else previous_scope(previous)
    summary: dict[str, object] = {
        "contest": contest,
        "previous": None
        if previous is None
        else {
            "snapshot_id": previous.snapshot_id,
            "manifest_sha256": previous.manifest_sha256,
            "scope": scope_before,
        },
        "scope": sorted(scope),
        "scope_changed": previous is not None and scope_before != sorted(scope),
        "tps": {k: counts[k] for k in ("added", "removed", "changed", "unchanged")},
        "fields_changed": dict(sorted(fields.items())),
    }
    return Diff(summary, gzip_bytes("".join(lines).encode("utf-8")))


def _change(
    kode: object,
    then: tuple[object, ...] | None,
    now: tuple[object, ...] | None,
    compared: Sequence[str],
) -> dict[str, object]:
    if then is None:
        return {
            "kode_tps": kode,
            "change": "added",
            "after": dict(zip(compared, now or (), strict=True)),
        }
    if now is None:
        return {
            "kode_tps": kode,
            "change": "removed",
            "before": dict(zip(compared, then, strict=True)),
        }
    fields = {c: [a, b] for c, a, b in zip(compared, then, now, strict=True) if a != b}
    return {"kode_tps": kode, "change": "changed", "fields": fields}
