"""A digit written in a faint ink (pencil, a light gel pen) made as dark as the box's print.

The classifier stretches each crop's contrast between its paper and its darkest pixels,
which in a box are the printed border's. Handwriting far lighter than the border then
comes out as a ghost of a digit, and the model reads the box as empty (`blank`)
with confidence: the held-out real boxes with their digit redrawn in a faint pencil (78 %
of the paper's brightness) were read 89.82 % right, 66 of 1,768 wrong at p >= 0.9
(`bench/digit_shifts.py`, 2026-11-22); darkened first, 98.87 % and 10.

``deepen_faint_ink`` scales every pixel's darkness below the paper so that the darkest ink
inside the box reaches `_TARGET` of the border's, when it lies below `FAINT` of it, and
only when that ink stands clearly above the paper's grain (an empty box, or a noisy one, is
never made to show strokes).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rekap.reading.box_frame import gray_of

FAINT = 0.45
"""Ink inside the box lighter than this share of the border's darkness (below the paper)
counts as faint. 42 of the 8,550 c1-real crops fall below it (thin strokes, 36 of them 1s)
and are darkened; not one of their labels changes (2026-11-22)."""
_TARGET = 0.8
_MAX_GAIN = 5.0
_MIN_INK = 20.0
"""Grey levels the ink must lie below the paper at least (the three empty c1-real boxes: 8-10)."""
_GRAIN = 4.0
"""... and at least this many times the paper's grain (its median absolute deviation)."""
_MIN_CONTRAST = 24.0


def _inner(gray: NDArray[np.float32]) -> NDArray[np.float32]:
    height, width = gray.shape
    return gray[height // 5 : height - height // 5, width // 5 : width - width // 5]


def deepen_faint_ink(crop: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``crop`` with its faint handwriting darkened (grey out), else ``crop`` itself."""
    if crop.dtype != np.uint8 or crop.ndim not in (2, 3) or min(crop.shape[:2]) < 8:
        return crop
    gray = gray_of(crop).astype(np.float32)
    dark, paper = (float(v) for v in np.percentile(gray, [2.0, 90.0]))
    contrast = paper - dark
    if contrast < _MIN_CONTRAST:
        return crop
    inner = _inner(gray)
    ink_depth = paper - float(np.percentile(inner, 3.0))
    if ink_depth >= FAINT * contrast:
        return crop  # the common case: the handwriting is about as dark as the print
    grain = 1.4826 * float(np.median(np.abs(inner - np.median(inner))))
    if ink_depth < max(_MIN_INK, _GRAIN * grain):
        return crop  # no ink, or no more than the paper's grain: an empty box stays empty
    gain = min(_TARGET * contrast / ink_depth, _MAX_GAIN)
    deepened = paper - (paper - gray) * np.float32(gain)
    return np.clip(np.round(deepened), 0, 255).astype(np.uint8)
