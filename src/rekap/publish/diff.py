"""What changed since the previous snapshot, TPS by TPS and number by number.

Public numbers must never change silently: every change of a TPS's status or of any number
on its form is listed with its value before and after.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rekap.publish.bulk import Row
from rekap.publish.bulk_schema import Column
from rekap.publish.encode import gzip_bytes
from rekap.publish.records import PreviousSnapshot

STATUS_COLUMNS = ("stage", "has_result", "counted", "blocking", "blocking_rules")


@dataclass(frozen=True)
class Diff:
    summary: dict[str, object]
    lines: bytes


def compared_columns(columns: Sequence[Column], form_fields: Sequence[str]) -> tuple[str, ...]:
    names = {c.name for c in columns}
    return tuple(c for c in (*STATUS_COLUMNS, *form_fields) if c in names)


def diff_rows(
    previous: PreviousSnapshot | None,
    columns: Sequence[Column],
    rows: Sequence[Row],
    compared: Sequence[str],
    contest: str,
) -> Diff:
    names = [c.name for c in columns]
    positions = [names.index(c) for c in compared]
    kode_at = names.index("kode_tps")
    current = {row[kode_at]: tuple(row[p] for p in positions) for row in rows}
    before: dict[object, tuple[object, ...]] = {}
    if previous is not None:
        old = previous.columns
        codes = old.get("kode_tps", ())
        missing = [None] * len(codes)
        series = [old.get(c, missing) for c in compared]
        before = dict(zip(codes, zip(*series, strict=True), strict=True))
    counts: Counter[str] = Counter()
    fields: Counter[str] = Counter()
    lines: list[str] = []
    if previous is not None:
        for kode in sorted(current.keys() | before.keys(), key=str):
            now, then = current.get(kode), before.get(kode)
            change = _change(kode, then, now, compared)
            if change is None:
                counts["unchanged"] += 1
                continue
            counts[str(change["change"])] += 1
            changed = change.get("fields")
            if isinstance(changed, dict):
                fields.update(changed.keys())
            lines.append(json.dumps(change, ensure_ascii=False, separators=(",", ":")) + "\n")
    summary: dict[str, object] = {
        "contest": contest,
        "previous": None
        if previous is None
        else {"snapshot_id": previous.snapshot_id, "manifest_sha256": previous.manifest_sha256},
        "tps": {k: counts[k] for k in ("added", "removed", "changed", "unchanged")},
        "fields_changed": dict(sorted(fields.items())),
    }
    return Diff(summary, gzip_bytes("".join(lines).encode("utf-8")))


def _change(
    kode: object,
    then: tuple[object, ...] | None,
    now: tuple[object, ...] | None,
    compared: Sequence[str],
) -> dict[str, object] | None:
    if then == now:
        return None
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
