"""A digit box from another collection made to look like a box cut from a form's photo.

The classifier learnt boxes as the page reader cuts them: 8-bit, a dark digit on light
paper, the printed border at the crop's edge. Digit collections and other tools bring boxes
in other shapes; ``as_box_crop`` is the single path by which ``rekap digits classify`` (and
the shift benchmark, ``bench/digit_shifts.py``) turns any decoded image into such a box.
The page reader cuts its boxes from a located form and never needs it.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.box_frame import cut_off_centre, framed_on_box
from rekap.reading.digits import as_dark_on_light
from rekap.reading.faint_ink import deepen_faint_ink

__all__ = ["LARGEST_SIDE", "as_bgr", "as_box_crop", "made_small"]

LARGEST_SIDE = 256
"""A larger crop is made this small on its long side first (the model sees 32 pixels)."""


def made_small(image: NDArray[np.generic]) -> NDArray[np.generic]:
    """An image no larger than LARGEST_SIDE on its long side."""
    longest = max(image.shape[:2])
    if longest <= LARGEST_SIDE:
        return image
    scale = LARGEST_SIDE / longest
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    source: NDArray[Any] = image if image.dtype != np.float64 else image.astype(np.float32)
    return np.asarray(cv2.resize(source, size, interpolation=cv2.INTER_AREA))


def as_bgr(image: NDArray[np.generic]) -> NDArray[np.uint8]:
    """Any image OpenCV decodes (grey, BGR or BGRA; 8, 16 bit or float) as 8-bit BGR, a
    transparent ground laid on white."""
    levels = np.nan_to_num(np.asarray(image, dtype=np.float32))
    if image.dtype == np.uint16:
        levels /= 257.0
    elif image.dtype.kind == "f" and float(levels.max(initial=0.0)) <= 1.0:
        levels *= 255.0
    levels = np.clip(levels, 0.0, 255.0)
    if levels.ndim == 2:
        levels = levels[:, :, None]
    if levels.shape[2] in (2, 4):  # with an alpha channel: over white paper
        alpha = levels[:, :, -1:] / 255.0
        levels = levels[:, :, :-1] * alpha + 255.0 * (1.0 - alpha)
    if levels.shape[2] == 1:
        levels = np.repeat(levels, 3, axis=2)
    return np.asarray(np.round(levels[:, :, :3]), dtype=np.uint8)


def as_box_crop(image: NDArray[np.generic]) -> NDArray[np.uint8]:
    """A decoded image (upright already) as the classifier's kind of box: made small, 8-bit
    BGR on white where it was transparent, dark on light, cut to its printed border when cut
    loosely, a faint handwriting darkened to the print's depth."""
    return deepen_faint_ink(framed_on_box(as_dark_on_light(as_bgr(made_small(image)))))


SMALL = 20
"""A box less than this many pixels on a side (the geometric mean of its height and width)
is read with doubt: shrunk by dropping pixels (nearest-pixel resizing, as some tools store
digits), its strokes break, and the model read the held-out real boxes made 16 px tall so
85.63 % right with 74 of 1,768 wrong at p >= 0.9 (20 px: 42; 24 px: 10, the data set's 5
label errors among them; 2026-11-22). Resized with averaging, 16 px tall boxes are read as
well as at full size, but the two cannot be told apart, and a sure misread costs more than
a doubtful right one. The smallest c1-real crops (21 x 21) are read without doubt."""
BLOWN_OUT = 0.4
"""A box with this share of its pixels at its brightest level, 250 or more, is read with
doubt: its paper is overexposed and the lighter parts of its strokes went with it (the
held-out real boxes 1.8 times overexposed: 88.46 % right, 79 wrong at p >= 0.9). 2 of the
8,550 c1-real crops reach this share (30 reach 0.3); of the overexposed boxes, 95 %."""
DOUBT = 2.0
"""The factor dividing a doubtful box's logits: the model's surest readings (about p 0.998)
fall to about p 0.9 (the held-out real boxes as cut, all read so: 6.4 % stay at p 0.9 or
more, 2026-11-22). A label never changes, only how sure it is."""


def doubt_of(crop: NDArray[np.uint8]) -> float:
    """How much less to trust the classifier on ``crop`` (an ``as_box_crop`` result) than on
    the boxes it was calibrated on: ``DOUBT`` for a tiny or blown-out box, or one cut
    off-centre (``box_frame.cut_off_centre``), else 1."""
    height, width = crop.shape[:2]
    if height * width < SMALL * SMALL:
        return DOUBT
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    brightest = int(gray.max())
    if brightest >= 250 and float(np.mean(gray >= brightest - 1)) >= BLOWN_OUT:
        return DOUBT
    if cut_off_centre(crop):
        return DOUBT
    return 1.0
