"""Rebuilding every TPS's current numbers from the log alone, to check the stored ones.

If a number in the results table differs from what the log says it should be, someone changed
the table without recording the change: ``rekap log verify`` names each such number.

A number in the log is a JSON integer, as the store writes it (every path to the store makes
it an ``int`` first). One written otherwise (``"12"``, ``true``, ``12.0``) is refused with a
``TypeError``, never converted: a log that says ``"12"`` is not the log the store wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rekap.events.chain import Recorded

Key = tuple[str, str]


Values = dict[Key, dict[str, int]]


class Unreplayable(ValueError):
    """An event the chain accepts but whose payload cannot be replayed (a field missing, a
    number that is not a JSON integer): the log is not what the store wrote."""

    def __init__(self, sequence: int, problem: str) -> None:
        super().__init__(f"event {sequence} cannot be replayed: {problem}")
        self.sequence = sequence


def replay_values(records: Iterable[Recorded]) -> Values:
    """Every TPS's numbers after ``records``; raises ``Unreplayable`` naming the first event
    that cannot be replayed."""
    values: Values = {}
    for record in records:
        try:
            apply_record(values, record)
        except (TypeError, KeyError, AttributeError, ValueError) as error:
            raise Unreplayable(record.sequence, f"{type(error).__name__}: {error}") from error
    return values


def apply_record(values: Values, record: Recorded) -> None:
    """What one record does to the numbers: an import sets a TPS's numbers, a value change
    moves one number (to nothing when ``after`` is null)."""
    payload = record.payload
    if record.kind == "result.imported":
        key = (str(payload["kode_tps"]), str(payload["contest"]))
        values[key] = {str(k): _number(k, v) for k, v in payload["values"].items()}
    elif record.kind == "result.value_changed":
        key = (str(payload["kode_tps"]), str(payload["contest"]))
        current = values.setdefault(key, {})
        after = payload["after"]
        if after is None:
            current.pop(str(payload["field"]), None)
        else:
            current[str(payload["field"])] = _number(payload["field"], after)


def _number(field: object, value: object) -> int:
    """A number as the log holds it: a JSON integer (a boolean is not one here)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"{field}: {value!r} is not a JSON integer")


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
