"""Rebuilding every TPS's current numbers from the log alone, to check the stored ones.

If a number in the results table differs from what the log says it should be, someone changed
the table without recording the change: ``rekap log verify`` names each such number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rekap.events.chain import Recorded

Key = tuple[str, str]


Values = dict[Key, dict[str, int]]


def replay_values(records: Iterable[Recorded]) -> Values:
    values: Values = {}
    for record in records:
        apply_record(values, record)
    return values


def apply_record(values: Values, record: Recorded) -> None:
    """What one record does to the numbers: an import sets a TPS's numbers, a value change
    moves one number (to nothing when ``after`` is null)."""
    payload = record.payload
    if record.kind == "result.imported":
        key = (str(payload["kode_tps"]), str(payload["contest"]))
        values[key] = {str(k): int(v) for k, v in payload["values"].items()}
    elif record.kind == "result.value_changed":
        key = (str(payload["kode_tps"]), str(payload["contest"]))
        current = values.setdefault(key, {})
        after = payload["after"]
        if after is None:
            current.pop(str(payload["field"]), None)
        else:
            current[str(payload["field"])] = int(after)


@dataclass(frozen=True, slots=True)
class Mismatch:
    kode_tps: str
    contest: str
    field: str
    logged: int | None
    stored: int | None


def compare_with_store(
    logged: Mapping[Key, Mapping[str, int]], stored: Mapping[Key, Mapping[str, int]]
) -> list[Mismatch]:
    found = []
    for key in sorted(set(logged) | set(stored)):
        a, b = logged.get(key, {}), stored.get(key, {})
        for field_id in sorted(set(a) | set(b)):
            if a.get(field_id) != b.get(field_id):
                found.append(Mismatch(key[0], key[1], field_id, a.get(field_id), b.get(field_id)))
    return found
