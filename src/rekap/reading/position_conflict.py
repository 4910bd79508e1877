"""A digit box and its own bubble column that each say, surely, a different digit.

The decision compares whole values too (boxes against bubbles), but a bubble grid's value
is a product of three columns, each at most about 0.95 sure: one column a little fainter
and the grid's value falls below the conflict line although every column is sure. Checked
position by position, a box reading `8` at p 1.00 above a column blackened at `0` with p
0.95 is a disagreement, and the field abstains rather than choose between them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rekap.reading.classifier import BLANK, CROSSED

POSITIONS = ("hundreds", "tens", "units")


def _box_digit(probabilities: Sequence[float]) -> tuple[int, float]:
    """The box's most probable digit; a crossed or empty box stands for 0."""
    best = int(np.argmax(probabilities))
    return (0 if best in (CROSSED, BLANK) else best), float(probabilities[best])


def position_conflict(
    box_probabilities: Sequence[Sequence[float]],
    bubble_probabilities: Sequence[Sequence[float]] | None,
    threshold: float,
) -> str | None:
    """Why the field's own marks contradict each other at one position, or None. A column
    left unmarked contradicts nothing."""
    if not bubble_probabilities or len(box_probabilities) != len(bubble_probabilities):
        return None
    pairs = zip(box_probabilities, bubble_probabilities, strict=True)
    for position, (box, column) in enumerate(pairs):
        digit, box_p = _box_digit(box)
        marked = int(np.argmax(column[:10]))
        marked_p = float(column[marked])
        if marked_p < max(column[10:], default=0.0):
            continue  # the column is more likely unmarked than marked
        if digit != marked and min(box_p, marked_p) >= threshold:
            name = POSITIONS[position] if len(box_probabilities) == 3 else f"position {position}"
            return (
                f"the {name} box reads {digit} (p={box_p:.2f}) but its bubble column "
                f"reads {marked} (p={marked_p:.2f})"
            )
    return None
