"""Replaying the log: each record moves the numbers as its kind says, and a number that is not
a JSON integer (text, a boolean, a fraction) is refused, never converted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rekap.events.chain import Recorded, append
from rekap.events.model import ResultImported, ValueChanged
from rekap.events.replay import Values, apply_record, replay_values

T0 = datetime(2024, 2, 14, 13, 0, tzinfo=UTC)
KODE = "3310052013001"


def _recorded(kind: str, payload: dict[str, object]) -> Recorded:
    """A record of ``kind`` carrying ``payload`` as a hostile log file could hold it."""
    return Recorded(1, kind, T0, "test", "", payload, "0" * 64, "1" * 64)


def test_an_import_sets_the_numbers_and_a_change_moves_one() -> None:
    records, previous = [], None
    for event in (
        ResultImported(KODE, "ppwp", "a.csv", {"paslon_1": 10, "paslon_2": 0}),
        ValueChanged(KODE, "ppwp", "paslon_1", 10, 12),
        ValueChanged(KODE, "ppwp", "paslon_2", 0, None),
    ):
        previous = append(previous, event, T0, "test", "")
        records.append(previous)
    assert replay_values(records) == {(KODE, "ppwp"): {"paslon_1": 12}}


@pytest.mark.parametrize("number", ["12", True, False, 12.0, None, [12], {"n": 12}])
def test_an_imported_number_that_is_not_a_json_integer_is_refused(number: object) -> None:
    values: Values = {}
    record = _recorded(
        "result.imported",
        {"kode_tps": KODE, "contest": "ppwp", "source": "a.csv", "values": {"paslon_1": number}},
    )
    with pytest.raises(TypeError, match=r"^paslon_1: .* is not a JSON integer$"):
        apply_record(values, record)
    assert values == {}


@pytest.mark.parametrize("number", ["12", True, 12.0])
def test_a_changed_number_that_is_not_a_json_integer_is_refused(number: object) -> None:
    values: Values = {(KODE, "ppwp"): {"paslon_1": 10}}
    payload = {"kode_tps": KODE, "contest": "ppwp", "field": "paslon_1", "before": 10}
    with pytest.raises(TypeError, match=r"^paslon_1: .* is not a JSON integer$"):
        apply_record(values, _recorded("result.value_changed", {**payload, "after": number}))
    assert values == {(KODE, "ppwp"): {"paslon_1": 10}}
