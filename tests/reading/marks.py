"""Scripted marks for decision tests: digit-box readings, bubble grids and a field's evidence."""

from __future__ import annotations

from dataclasses import dataclass

from rekap.reading.bubbles import NONE, BubbleColumnReading, BubbleGridReading
from rekap.reading.classifier import DIGIT_BOX_LABELS
from rekap.reading.decide import field_evidence
from rekap.reading.evidence import FieldEvidence

BOX = (1.0, 2.0, 30.0, 12.0)
NAMES = {"X": "X", "_": "blank"}


@dataclass(frozen=True)
class Box:
    label: str
    confidence: float
    probabilities: tuple[float, ...]


def box(label: str, p: float, runner_up: str | None = None, q: float = 0.0) -> Box:
    """A box reading: `label` with probability p, `runner_up` with q, the rest spread."""
    rest = (1.0 - p - q) / (len(DIGIT_BOX_LABELS) - (2 if runner_up else 1))
    return Box(
        label,
        p,
        tuple(p if n == label else q if n == runner_up else rest for n in DIGIT_BOX_LABELS),
    )


def grid(text: str, p: float = 0.95) -> BubbleGridReading:
    """A bubble grid: per column a digit marked with probability p, or '-' none."""
    columns = []
    for position, ch in enumerate(text):
        index = NONE if ch == "-" else int(ch)
        probabilities = tuple(p if i == index else (1 - p) / 10 for i in range(11))
        columns.append(BubbleColumnReading(position, (0.0,) * 10, probabilities, ()))
    return BubbleGridReading(tuple(columns))


def field(
    field_id: str,
    text: str,
    doubt: tuple[int, str, float] | None = None,
    bubbles: str | None = None,
) -> FieldEvidence:
    """Boxes read `text` ('X' crossed, '_' blank) at p 0.9999; `doubt` = (position, other
    label, its probability) makes one box doubtful; `bubbles` adds a grid."""
    boxes = [box(NAMES.get(c, c), 0.9999) for c in text]
    if doubt is not None:
        position, other, q = doubt
        shown = NAMES.get(text[position], text[position])
        boxes[position] = box(shown, 0.9999 - q, NAMES.get(other, other), q)
    return field_evidence(field_id, BOX, boxes, grid(bubbles) if bubbles else None)
