"""The port through which the page reader classifies digit boxes.

Any object with this `classify` method will do: the ONNX model in `rekap.reading.digits`
in production, a small fake in unit tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

DIGIT_BOX_LABELS: tuple[str, ...] = (*(str(d) for d in range(10)), "X", "blank")
"""The order of a reading's `probabilities`: digits 0..9, a crossed-out box, an empty box."""
CROSSED = DIGIT_BOX_LABELS.index("X")
BLANK = DIGIT_BOX_LABELS.index("blank")
HIDDEN_LABEL = "?"
"""The label of a box hidden on the photo (`rekap.reading.box_seen`): no classifier's."""


class DigitBoxReading(Protocol):
    """What a classifier says about one box (read-only, so frozen dataclasses fit)."""

    @property
    def label(self) -> str: ...

    @property
    def confidence(self) -> float: ...

    @property
    def probabilities(self) -> tuple[float, ...]:
        """One probability per label of `DIGIT_BOX_LABELS`, in that order."""
        ...


class DigitBoxClassifier(Protocol):
    def classify(self, crops: Sequence[NDArray[np.uint8]]) -> Sequence[DigitBoxReading]:
        """One reading per crop: an upright grey uint8 image of a digit box, its printed
        border and a small margin included."""
        ...
