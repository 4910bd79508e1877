"""A misread shared by tied fields is not taken for confirmation by the arithmetic."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st
from tests.reading.marks import field

from rekap.reading.decide import decide_fields
from rekap.reading.identities import SumIdentity
from rekap.reading.result import FieldReading
from rekap.reading.shared_misread import shared_misread

SUM = SumIdentity("a + b = c", ("a", "b"), "c")


def by_id(readings: tuple[FieldReading, ...]) -> dict[str, FieldReading]:
    return {r.field_id: r for r in readings}


def test_the_same_confusion_in_a_part_and_its_total_is_not_confirmation() -> None:
    """Written 114 + 1 = 115; one hand's 1 reads as 7 in the hundreds of both."""
    fields = [field("a", "714", (0, "1", 0.25)), field("b", "XX1"), field("c", "715")]
    reading = by_id(decide_fields(fields, [SUM]))["a"]
    assert (reading.status, reading.value) == ("abstain", None)
    assert "'1' misread as '7'" in reading.reason and "c = 115" in reading.reason


def test_a_confusion_the_other_fields_cannot_share_is_read() -> None:
    """50 + 68 = 118 with a doubtful 1 in the total: no tied field shows a 1 to misread."""
    fields = [field("a", "X50"), field("b", "X68"), field("c", "118", (1, "7", 0.1))]
    reading = by_id(decide_fields(fields, [SUM]))["c"]
    assert (reading.status, reading.value) == ("read", 118)


def test_a_box_the_arithmetic_overrules_shares_no_misread() -> None:
    """The box reads 7 (p 0.75) or 1; 114 + 1 = 115 is read: nothing shows a shared 7."""
    fields = [field("a", "714", (0, "1", 0.25)), field("b", "XX1"), field("c", "115")]
    reading = by_id(decide_fields(fields, [SUM]))["a"]
    assert (reading.status, reading.value) == ("read", 114)


def test_a_one_read_as_crossed_and_as_blank_is_one_misread() -> None:
    """Written 114 + 1 = 115: the hundreds read as X (p 0.7) in a and as blank in c."""
    fields = [field("a", "X14", (0, "1", 0.3)), field("b", "XX1"), field("c", "_15")]
    reading = by_id(decide_fields(fields, [SUM]))["a"]
    assert (reading.status, reading.value) == ("abstain", None)
    assert "misread as 'X/blank'" in reading.reason and "c = 115" in reading.reason


def test_too_many_boxes_to_enumerate_are_assumed_misread() -> None:
    parts = [f"p{i}" for i in range(15)]
    identity = SumIdentity("sum", tuple(parts), "t")
    fields = [field(p, "XX1") for p in parts] + [field("t", "X15", (1, "7", 0.05))]
    values = {**dict.fromkeys(parts, 1), "t": 15}
    found = shared_misread("t", values, {f.field_id: f for f in fields}, [identity])
    assert found is not None and found.values == {}
    assert "too many boxes" in found.describe()


def test_bubbles_that_show_the_digit_rule_the_shared_misread_out() -> None:
    fields = [
        field("a", "714", (0, "1", 0.25)),
        field("b", "XX1", bubbles="001"),
        field("c", "715", bubbles="715"),
    ]
    reading = by_id(decide_fields(fields, [SUM]))["a"]
    assert (reading.status, reading.value) == ("read", 714)


def test_a_field_read_on_its_own_marks_is_not_questioned() -> None:
    fields = [field("a", "714"), field("b", "XX1"), field("c", "715")]
    readings = by_id(decide_fields(fields, [SUM]))
    assert [readings[n].value for n in "abc"] == [714, 1, 715]


def test_a_confusion_in_another_digit_position_is_found_across_identities() -> None:
    chain = [SUM, SumIdentity("c + d = e", ("c", "d"), "e")]
    fields = [
        field("a", "X40", (1, "9", 0.2)),
        field("b", "X05"),
        field("c", "X45"),
        field("d", "100"),
        field("e", "145"),
    ]
    values = {"a": 40, "b": 5, "c": 45, "d": 100, "e": 145}
    found = shared_misread("a", values, {f.field_id: f for f in fields}, chain)
    assert found is not None
    assert (found.shown, found.written) == ("4", 9)
    assert dict(found.values) == {"a": 90, "c": 95, "e": 195}


def test_an_identity_broken_by_the_chosen_values_is_not_required_to_hold() -> None:
    values = {"a": 714, "b": 1, "c": 700}
    evidence = {
        "a": field("a", "714", (0, "1", 0.25)),
        "b": field("b", "XX1"),
        "c": field("c", "700"),
    }
    assert shared_misread("a", values, evidence, [SUM]) is None


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 499),
    st.integers(0, 499),
    st.integers(0, 2),
    st.integers(0, 9),
)
def test_any_misread_found_fits_the_arithmetic_and_changes_the_field(
    a: int, b: int, position: int, other: int
) -> None:
    values = {"a": a, "b": b, "c": a + b}
    texts = {name: f"{value:03d}" for name, value in values.items()}
    evidence = {
        "a": field("a", texts["a"], (position, str(other), 0.2)),
        "b": field("b", texts["b"]),
        "c": field("c", texts["c"]),
    }
    found = shared_misread("a", values, evidence, [SUM])
    event("found" if found is not None else "none")
    if found is None:
        return
    changed = {**values, **found.values}
    assert changed["a"] != a
    assert changed["a"] + changed["b"] == changed["c"]
    for name, value in found.values.items():
        shown = [int(d) for d in texts[name]]
        now = [int(d) for d in f"{value:03d}"]
        for before, after in zip(shown, now, strict=True):
            assert before == after or (str(before), after) == (found.shown, found.written)
