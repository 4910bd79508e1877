"""Decide stage: one value from digit boxes and bubbles, or an abstention with a reason."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rekap.reading.bubbles import NONE, BubbleColumnReading, BubbleGridReading
from rekap.reading.classifier import DIGIT_BOX_LABELS
from rekap.reading.decide import decide_field

BOX = (0.0, 0.0, 10.0, 10.0)


@dataclass(frozen=True)
class Box:
    label: str
    confidence: float
    probabilities: tuple[float, ...]


def box(label: str, p: float = 0.995, runner_up: str | None = None, q: float = 0.0) -> Box:
    """A box reading: `label` with probability p, `runner_up` with q, the rest spread."""
    rest = (1.0 - p - q) / (len(DIGIT_BOX_LABELS) - (2 if runner_up else 1))
    probabilities = tuple(
        p if name == label else q if name == runner_up else rest for name in DIGIT_BOX_LABELS
    )
    return Box(label, p, probabilities)


def boxes(text: str, p: float = 0.995) -> list[Box]:
    names = {"X": "X", "_": "blank"}
    return [box(names.get(ch, ch), p) for ch in text]


def bubbles(text: str, p: float = 0.95) -> BubbleGridReading:
    columns = []
    for position, ch in enumerate(text):
        index = NONE if ch == "-" else int(ch)
        rest = (1.0 - p) / 10
        probabilities = tuple(p if i == index else rest for i in range(11))
        marked = () if ch == "-" else (int(ch),)
        columns.append(BubbleColumnReading(position, (0.0,) * 10, probabilities, marked))
    return BubbleGridReading(tuple(columns))


def test_boxes_and_bubbles_that_agree_are_read() -> None:
    reading = decide_field("paslon_1", BOX, boxes("123"), bubbles("123"))
    assert (reading.status, reading.value) == ("read", 123)
    assert reading.confidence > 0.99
    assert reading.alternatives[0] == (123, reading.confidence)
    assert reading.digit_labels == ("1", "2", "3")
    assert reading.bubble_digits == "123"


def test_a_crossed_leading_box_and_an_unmarked_leading_column_mean_a_short_number() -> None:
    reading = decide_field("paslon_3", BOX, boxes("X32"), bubbles("-32"))
    assert (reading.status, reading.value) == ("read", 32)
    short = decide_field("paslon_3", BOX, boxes("XX5"), bubbles("005"))
    assert (short.status, short.value) == ("read", 5)


def test_confident_boxes_and_bubbles_that_disagree_abstain() -> None:
    reading = decide_field("paslon_2", BOX, boxes("274"), bubbles("278"))
    assert reading.status == "abstain"
    assert reading.value is None
    assert "digit boxes read 274" in reading.reason and "bubbles read 278" in reading.reason


def test_a_doubtful_one_is_not_turned_into_its_runner_up_by_rule() -> None:
    doubtful = [box("1", 0.5, runner_up="7", q=0.45), box("2"), box("3")]
    reading = decide_field("suara_sah", BOX, doubtful, None)
    assert reading.status == "abstain"
    assert "uncertain" in reading.reason
    assert {value for value, _ in reading.alternatives[:2]} == {123, 723}


def test_bubbles_settle_a_doubtful_box() -> None:
    doubtful = [box("1", 0.5, runner_up="7", q=0.45), box("2"), box("3")]
    assert decide_field("paslon_1", BOX, doubtful, bubbles("723")).value == 723


def test_digits_alone_are_read_only_when_very_sure() -> None:
    reading = decide_field("suara_total", BOX, boxes("430", p=0.999), None)
    assert (reading.status, reading.value, reading.bubble_digits) == ("read", 430, None)
    # 99.5% per box is 98.5% for the number: enough with bubbles, not from one source.
    assert decide_field("suara_total", BOX, boxes("430"), None).status == "abstain"
    assert decide_field("paslon_1", BOX, boxes("430"), bubbles("430")).status == "read"


def test_empty_boxes_abstain() -> None:
    reading = decide_field("dpt_l", BOX, boxes("___"), None)
    assert reading.status == "abstain"
    assert "empty" in reading.reason


def test_a_crossed_units_box_is_no_number() -> None:
    reading = decide_field("suara_tidak_sah", BOX, boxes("XXX"), None)
    assert reading.status == "abstain"
    assert "digit box 2" in reading.reason


@given(st.integers(min_value=0, max_value=999), st.booleans(), st.booleans())
def test_any_value_written_and_marked_consistently_is_read(
    value: int, crossed: bool, mark_leading: bool
) -> None:
    text = f"{value:03d}"
    leading = len(text) - len(str(value))
    written = ("X" if crossed else "0") * leading + text[leading:]
    marks = ("0" if mark_leading else "-") * leading + text[leading:]
    reading = decide_field("paslon_1", BOX, boxes(written), bubbles(marks))
    assert (reading.status, reading.value) == ("read", value)


@given(st.integers(min_value=100, max_value=999), st.integers(min_value=1, max_value=9))
def test_a_confident_contradiction_in_any_column_never_reads(value: int, delta: int) -> None:
    text = f"{value:03d}"
    other = text[:2] + str((int(text[2]) + delta) % 10)
    reading = decide_field("paslon_1", BOX, boxes(text), bubbles(other))
    assert reading.status == "abstain"
    assert reading.value is None


@pytest.mark.parametrize("p", [0.995, 0.9995])
def test_a_grid_left_unmarked_is_no_second_source(p: float) -> None:
    """An unmarked grid neither helps nor blocks: the boxes must be as sure as they must be
    alone (it once let boxes read at the threshold of two sources)."""
    with_grid = decide_field("paslon_2", BOX, boxes("274", p), bubbles("---"))
    alone = decide_field("paslon_2", BOX, boxes("274", p), None)
    assert (with_grid.status, with_grid.value) == (alone.status, alone.value)
    assert with_grid.status == ("read" if p > 0.999 else "abstain")
    if with_grid.status == "read":
        assert with_grid.value == 274


def _grid(columns: list[tuple[int, float]]) -> BubbleGridReading:
    """A grid whose columns are each marked at a digit with their own probability."""
    read = []
    for position, (digit, p) in enumerate(columns):
        probabilities = tuple(p if i == digit else (1.0 - p) / 10 for i in range(11))
        read.append(BubbleColumnReading(position, (0.0,) * 10, probabilities, (digit,)))
    return BubbleGridReading(tuple(read))


def test_a_sure_box_over_a_sure_column_of_another_digit_abstains() -> None:
    """Boxes 'XX8' (each p 0.998) over a grid blackened 0-0-0, its columns 0.89-0.95 sure:
    the grid's whole value is under the conflict line, but the units box and its column
    contradict each other, and the field must not be read as 8 (nor as 0)."""
    marks = _grid([(0, 0.888), (0, 0.937), (0, 0.948)])
    reading = decide_field("paslon_3", BOX, boxes("XX8", p=0.998), marks)
    assert (reading.status, reading.value) == ("abstain", None)
    assert "units box reads 8" in reading.reason and "column reads 0" in reading.reason


def test_a_crossed_leading_box_over_a_blackened_zero_is_no_conflict() -> None:
    marks = _grid([(0, 0.9), (0, 0.9), (5, 0.95)])
    reading = decide_field("paslon_3", BOX, boxes("XX5", p=0.998), marks)
    assert (reading.status, reading.value) == ("read", 5)


def test_an_empty_field_offers_no_value() -> None:
    """Nothing written: abstain with no confidence and no alternatives (a "1 at 73 %" was
    offered for boxes that hold no number)."""
    reading = decide_field("paslon_3", BOX, boxes("___"), bubbles("---"))
    assert (reading.status, reading.value) == ("abstain", None)
    assert (reading.confidence, reading.alternatives) == (0.0, ())
    assert reading.reason.startswith("digit boxes are empty")


def test_a_grid_marked_twice_in_every_column_is_no_second_source() -> None:
    """'???': two bubbles filled in each column say no digit; the boxes must be as sure as
    alone (it kept the threshold of two sources, and misreads went through at p 0.96)."""
    columns = []
    for position, (a, b) in enumerate([(2, 1), (7, 4), (4, 9)]):
        flat = (1.0 / 11,) * 11  # two marks each, nothing to tell them apart
        columns.append(BubbleColumnReading(position, (0.0,) * 10, flat, (a, b)))
    several = BubbleGridReading(tuple(columns))
    assert several.digits() == "???"
    with_grid = decide_field("paslon_2", BOX, boxes("274", 0.995), several)
    alone = decide_field("paslon_2", BOX, boxes("274", 0.995), None)
    assert (with_grid.status, alone.status) == ("abstain", "abstain")
