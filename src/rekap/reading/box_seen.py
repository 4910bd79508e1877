"""Digit boxes hidden on the photo: covered by a finger, a pen, a shadow's edge or glare.

A hidden box holds no printed border and no handwriting, and the digit model reads such a
crop with confidence as an empty box (a plain dark or light square is `blank` at p 0.99),
which makes 123 read as 23. So before the boxes' readings are weighed, each box is compared
with the other boxes of its page: a box whose contrast is a small share of theirs (nothing
printed shows through) is marked hidden, and its reading is replaced by one that favours no
label. Its field is then read only if its bubbles and the form's arithmetic settle it.

Measured on the data set's real boxes, grouped by TPS: the lowest contrast share is 0.72.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rekap.reading.classifier import DIGIT_BOX_LABELS, HIDDEN_LABEL

MIN_CONTRAST_SHARE = 0.4
"""A box is hidden when its contrast (its 90th less its 2nd percentile level, over the
90th) is below this share of the page's median box contrast. A shadow dims paper and ink
alike and keeps the share; a box only partly covered keeps its printed border in view, and
its reading is weighed as it is (a rule that also called boxes mostly dark hidden took the
dark half of a box under a shadow's edge for a cover: legible fields abstained)."""
MIN_BOXES = 3
"""With fewer boxes on the page there is no light to compare with: none is marked."""


@dataclass(frozen=True)
class HiddenBox:
    """The reading given to a hidden box: every label equally likely."""

    label: str = HIDDEN_LABEL
    confidence: float = 1.0 / len(DIGIT_BOX_LABELS)
    probabilities: tuple[float, ...] = (1.0 / len(DIGIT_BOX_LABELS),) * len(DIGIT_BOX_LABELS)


def hidden_boxes(crops: Sequence[NDArray[np.uint8]]) -> tuple[bool, ...]:
    """For each crop of one page's digit boxes (grey, all of one size), whether it is
    hidden."""
    if len(crops) < MIN_BOXES or len({c.shape for c in crops}) != 1 or crops[0].ndim != 2:
        return (False,) * len(crops)
    levels = np.stack(crops).reshape(len(crops), -1).astype(np.float32)
    paper, ink = np.percentile(levels, [90.0, 2.0], axis=1)
    # contrast as a share of the box's own paper: a shadow dims paper and ink alike
    contrast = (paper - ink) / np.maximum(paper, 1.0)
    typical = float(np.median(contrast))
    if typical <= 0.0:
        return (False,) * len(crops)
    hidden = contrast < MIN_CONTRAST_SHARE * typical
    return tuple(bool(h) for h in hidden)
