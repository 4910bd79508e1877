"""The other records of a number on the form: bubbles, tally marks, words, a correction.

Page 2 records each paslon's votes four times (tally marks, digit boxes, bubbles, words);
page 3 records invalid votes as tally marks, and every total in words. ``FieldMarks`` says
what those marks say for one field; on a form without mistakes they all equal the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from rekap.domain.form import FieldKind, FormSpec

__all__ = [
    "TALLY_CAPACITY",
    "TALLY_FIELDS",
    "WORDS_FIELDS",
    "FieldMarks",
    "default_marks",
]

TALLY_COLUMNS = 12
TALLY_ROWS = 5
TALLY_GROUP = 5
TALLY_CAPACITY = TALLY_COLUMNS * TALLY_ROWS * TALLY_GROUP
"""Marks the 12 x 5 tally grid holds (one group of five per cell); larger counts are not
tallied on the form."""
TALLY_FIELDS = ("suara_tidak_sah",)
WORDS_FIELDS = ("suara_sah", "suara_tidak_sah", "suara_total")


@dataclass(frozen=True, slots=True)
class FieldMarks:
    """What one field's other marks say (None: that mark is absent or not on the form)."""

    bubbles: int | None = None
    tally: int | None = None
    words: int | None = None
    crossed_out: int | None = None
    """A value written first in the digit boxes, crossed out and corrected above them."""
    recorded: tuple[str, ...] = ()
    """The marks the form has for this field (``bubbles``, ``tally``, ``words``)."""

    def disagreements(self, value: int) -> dict[str, int | None]:
        """The marks that do not simply repeat ``value`` (for the compact truth file)."""
        found: dict[str, int | None] = {}
        for name in self.recorded:
            mark = getattr(self, name)
            if mark != value:
                found[name] = mark
        if self.crossed_out is not None:
            found["crossed_out"] = self.crossed_out
        return found

    def as_json(self) -> dict[str, int | None]:
        return {
            "bubbles": self.bubbles,
            "tally": self.tally,
            "words": self.words,
            "crossed_out": self.crossed_out,
        }


def default_marks(values: Mapping[str, int], form: FormSpec) -> dict[str, FieldMarks]:
    """The marks of a carefully filled form: every mark equals its value."""
    marks: dict[str, FieldMarks] = {}
    for field_id, recorded in _recorded_marks(form):
        value = values[field_id]
        tally = value if "tally" in recorded and value <= TALLY_CAPACITY else None
        bubbles = value if "bubbles" in recorded else None
        marks[field_id] = FieldMarks(bubbles, tally, value, recorded=recorded)
    return marks


@lru_cache(maxsize=64)
def _recorded_marks(form: FormSpec) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per field with marks besides its digit boxes: which marks the form has."""
    plan: list[tuple[str, tuple[str, ...]]] = []
    for field in form.fields:
        if field.kind is FieldKind.VOTES:
            plan.append((field.id, ("bubbles", "tally", "words")))
        elif field.id in WORDS_FIELDS:
            tallied = field.id in TALLY_FIELDS
            plan.append((field.id, ("tally", "words") if tallied else ("words",)))
    return tuple(plan)
