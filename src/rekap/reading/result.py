"""What reading a photo produces: one PageReading, with one FieldReading per field."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

from rekap.reading.classifier import DIGIT_BOX_LABELS
from rekap.reading.evidence import FieldEvidence
from rekap.reading.template import Box

FieldStatus = Literal["read", "abstain"]
PageStatus = Literal["ok", "not_a_form", "page_incomplete", "unreadable"]


@dataclass(frozen=True)
class FieldReading:
    """One number of the form, decided from all its evidence, or an abstention."""

    field_id: str
    value: int | None
    """The number read; None when abstaining."""
    status: FieldStatus
    confidence: float
    """Probability of the best value given all evidence (also reported when abstaining)."""
    alternatives: tuple[tuple[int, float], ...]
    """The most probable values with their probabilities, best first."""
    reason: str
    box: Box
    """The field's crop, in template millimetres (see `PageReading.page_to_photo`)."""
    digit_labels: tuple[str, ...] = ()
    """What each digit box most likely holds: '0'..'9', 'X' or 'blank'."""
    bubble_digits: str | None = None
    """The bubble grid, one character per column: digit, '-' none, '?' several."""
    evidence: FieldEvidence | None = dataclass_field(default=None, compare=False, repr=False)
    """What the field's own marks said, kept so that the pages of one TPS can later be
    decided together (`rekap.reading.tps`); not part of the JSON."""

    def to_json(self) -> dict[str, Any]:
        marks = None
        if self.evidence is not None and self.evidence.box_probabilities:
            marks = {
                "boxes": [_sparse(p, DIGIT_BOX_LABELS) for p in self.evidence.box_probabilities],
                "bubbles": None
                if self.evidence.bubble_probabilities is None
                else [_sparse(p, BUBBLE_LABELS) for p in self.evidence.bubble_probabilities],
            }
        return {
            "value": self.value,
            "status": self.status,
            "confidence": round(self.confidence, 4),
            "alternatives": [[value, round(p, 4)] for value, p in self.alternatives],
            "reason": self.reason,
            "box": [round(v, 2) for v in self.box],
            "digit_labels": list(self.digit_labels),
            "bubbles": self.bubble_digits,
            "marks": marks,
        }


BUBBLE_LABELS: tuple[str, ...] = (*(str(d) for d in range(10)), "none")
"""The order of a bubble column's probabilities: digits 0..9, then no mark."""
MARK_PRECISION = 4
"""Decimals kept of each stored probability (`marks` in JSON)..."""
MARK_FLOOR = 1e-4
"""...and below this a probability is left out (the decision floors every likelihood at
1e-4). Measured on the demo's 3,090 photos: from 1e-4 the pages decided again from their
stored marks give exactly the decision on the full probabilities (23.4 MB of readings);
from 1e-3 (14.0 MB) three more numbers were read wrong."""


def _sparse(probabilities: tuple[float, ...], labels: tuple[str, ...]) -> dict[str, float]:
    """The labels a box or column gives at least `MARK_FLOOR`, rounded to `MARK_PRECISION`."""
    return {
        label: round(p, MARK_PRECISION)
        for label, p in zip(labels, probabilities, strict=True)
        if p >= MARK_FLOOR
    }


@dataclass(frozen=True)
class PageGeometry:
    """Where the page lies in the photo."""

    page_to_photo: tuple[tuple[float, float, float], ...]
    """3x3 homography from template millimetres to full-resolution photo pixels."""
    rotation_degrees: int
    residual_mm: float
    px_per_mm: float
    """Full-resolution photo pixels per template millimetre, at the page centre."""
    fiducials_used: tuple[str, ...]


@dataclass(frozen=True)
class PageReading:
    """The reading of one photo: which page, whether it could be read, and its fields."""

    status: PageStatus
    reason: str
    page: int | None
    form: str | None = None
    fields: tuple[FieldReading, ...] = ()
    geometry: PageGeometry | None = None

    def field(self, field_id: str) -> FieldReading:
        for field in self.fields:
            if field.field_id == field_id:
                return field
        raise KeyError(field_id)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of the `rekap read` contract (without the photo path)."""
        return {
            "page": self.page,
            "status": self.status,
            "reason": self.reason,
            "fields": {f.field_id: f.to_json() for f in self.fields},
        }
