"""A digit box cut loosely, with a wide margin of paper around its printed border, cut again
to the border, as the form's boxes are cut (and as the model learnt them).

For crops that come from elsewhere (``rekap digits classify``): the page reader cuts its
boxes from a located form and never needs it. With the box small in the crop, its printed
border looks like a written zero to the model. Measured on the 1,768 held-out real boxes
(`bench/digits_accuracy.py`, 2026-11-22), each laid on a margin of its own paper 30 % of
its side wide: 95.14 % read right as cut, 99.55 % cut to their border (as the boxes
themselves, 99.60 %); on a white margin 30 % wide, 51.36 % (28 wrong at p >= 0.99) and
97.96 % (none wrong at p >= 0.99 but the data set's 5 label errors). Crops framed as the
data set frames them are left as they are (9 of its 8,550 boxes are cut again, every
reading unchanged). A frame must be four sides each dark along half its length, about
square, in the middle of the crop, with clean paper around it; even so, of 400 crops cut 14 %
inside their printed border (which the contract's crops include), a digit's own loop was
taken for the frame in 4 and 2 of them were then misread (a 6 as 0 at p 0.99).
"""

from __future__ import annotations

from typing import TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

LOOSE = 0.7
"""A crop is cut again when its box's border spans less than this share of its height or
width (1 % of the data set's crops fall below 0.70 in height, at most 0.8 % in width)."""
SMALLEST = 0.4
"""The border must span at least this share of the crop both ways: a smaller frame is a
stroke of the digit, or another box, more likely than the box."""
_SQUARE = (0.75, 1.33)
"""The width over the height the box's border may have (the form's boxes are about square)."""
_INK_LEVEL = 0.45
"""Dark means below the darkest 2 % of the crop plus this share of the way to its paper."""
_STRAY_INK = 0.015
"""At most this share of the crop outside the border may be dark: ink there means the
frame found is not the box around the digit (or other marks share the crop), and the crop
is left as it is."""
_CLOSED = 0.5
"""Each side of a frame is dark along at least this share of its length."""
_CENTRED = 0.08
"""How far (a share of the crop's side) the frame's centre may lie from the crop's."""
_MIN_CONTRAST = 24.0
_MIN_SIDE = 16

ImageType = TypeVar("ImageType", bound=np.generic)


def gray_of(crop: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A crop in grey: itself when grey already, else from its BGR or BGRA colours."""
    if crop.ndim == 2:
        return crop
    code = cv2.COLOR_BGRA2GRAY if crop.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return np.asarray(cv2.cvtColor(crop, code), dtype=np.uint8)


def border_of(gray: NDArray[np.uint8]) -> tuple[int, int, int, int] | None:
    """The printed border's outer top, bottom, left and right rows and columns (inclusive),
    or ``None`` when no frame of long straight lines with clean paper around it is seen."""
    height, width = gray.shape
    if min(height, width) < _MIN_SIDE:
        return None
    ink, paper = (float(v) for v in np.percentile(gray, [2.0, 75.0]))
    if paper - ink < _MIN_CONTRAST:
        return None
    dark = gray < ink + _INK_LEVEL * (paper - ink)
    # a slightly tilted border line still runs unbroken once thickened by a pixel
    thick = cv2.dilate(dark.astype(np.uint8), np.ones((3, 3), np.uint8))
    across = np.ones((1, max(3, int(SMALLEST * width))), np.uint8)
    down = np.ones((max(3, int(SMALLEST * height)), 1), np.uint8)
    rows = np.flatnonzero(cv2.morphologyEx(thick, cv2.MORPH_OPEN, across).any(axis=1))
    columns = np.flatnonzero(cv2.morphologyEx(thick, cv2.MORPH_OPEN, down).any(axis=0))
    if len(rows) < 2 or len(columns) < 2:
        return None
    top, bottom, left, right = int(rows[0]), int(rows[-1]), int(columns[0]), int(columns[-1])
    if not _closed(thick, top, bottom, left, right):
        return None
    band = (slice(max(0, top - 2), bottom + 3), slice(max(0, left - 2), right + 3))
    outside = dark.copy()
    outside[band] = False
    inside_area = (band[0].stop - band[0].start) * (band[1].stop - band[1].start)
    outside_area = height * width - min(inside_area, height * width)
    if outside_area and int(outside.sum()) > _STRAY_INK * outside_area:
        return None
    return top, bottom, left, right


def _closed(thick: NDArray[np.generic], top: int, bottom: int, left: int, right: int) -> bool:
    """Whether the four lines found make a frame: each runs along nearly all of its side
    (a digit's own loop, such as a 6's, has long strokes but no four such sides)."""
    if bottom - top < 2 or right - left < 2:
        return False
    sides = (
        thick[top, left : right + 1],
        thick[bottom, left : right + 1],
        thick[top : bottom + 1, left],
        thick[top : bottom + 1, right],
    )
    return all(float(side.mean()) >= _CLOSED for side in sides)


def framed_on_box(crop: NDArray[ImageType]) -> NDArray[ImageType]:
    """``crop`` cut to its box's printed border when the box fills too little of it (grey,
    BGR or BGRA uint8); else ``crop`` itself (any other image too)."""
    if crop.dtype != np.uint8 or crop.ndim not in (2, 3) or min(crop.shape[:2]) < _MIN_SIDE:
        return crop
    height, width = crop.shape[:2]
    found = border_of(gray_of(np.asarray(crop, dtype=np.uint8)))
    if found is None:
        return crop
    top, bottom, left, right = found
    box_height, box_width = bottom - top + 1, right - left + 1
    if box_height < SMALLEST * height or box_width < SMALLEST * width:
        return crop
    if not _SQUARE[0] <= box_width / box_height <= _SQUARE[1]:
        return crop
    if box_height >= LOOSE * height and box_width >= LOOSE * width:
        return crop
    # a loosely cut box lies in the middle of its crop; a frame off to one side is a stroke
    # of the digit (a 6's loop in a crop cut inside its border)
    if abs(top + bottom + 1 - height) > _CENTRED * 2 * height:
        return crop
    if abs(left + right + 1 - width) > _CENTRED * 2 * width:
        return crop
    return crop[top : bottom + 1, left : right + 1]


OFF_CENTRE_MARGIN = 0.15
"""A printed border line this share of the crop or more inside its edge, with paper beyond it,
while the opposite side shows no border line at all (none within `_FAR_SIDE` of that edge):
the box was cut off-centre, losing its far side and maybe part of the digit. The held-out
real boxes cut a fifth of their side right and down were read 66.97 % right with 18 of 1,768
wrong at p >= 0.9 (`bench/digit_shifts.py`, 2026-11-22); 96.2 % of them are found so (cut a
fifth to the left, 72.9 %). Of the 8,550 c1-real crops as cut, 2 are."""
_FAR_SIDE = 0.3
_BORDER_LEVEL = 0.7
"""Dark enough for a border line: below the darkest 2 % plus this share of the way to the
paper (a printed border is often lighter than a black pen's ink)."""
_LINE = 0.65
"""A border line runs dark along at least this share of the crop's side (at half, a bold
digit's stem passed for one when the printed border was lighter than the ink)."""


def cut_off_centre(crop: NDArray[np.uint8]) -> bool:
    """Whether ``crop`` (grey or BGR uint8) shows its box's border set in from one edge with
    paper beyond it and no border near the opposite edge, the set-in line met at its end by
    a border line across it, as at a box's corner (a digit's stem meets none)."""
    if crop.ndim not in (2, 3) or min(crop.shape[:2]) < _MIN_SIDE:
        return False
    gray = gray_of(np.asarray(crop, dtype=np.uint8))
    height, width = gray.shape
    ink, paper = (float(v) for v in np.percentile(gray, [2.0, 75.0]))
    if paper - ink < _MIN_CONTRAST:
        return False
    dark = (gray < ink + _BORDER_LEVEL * (paper - ink)).astype(np.uint8)
    thick = cv2.dilate(dark, np.ones((3, 3), np.uint8))
    across = np.ones((1, max(3, int(_LINE * width))), np.uint8)
    down = np.ones((max(3, int(_LINE * height)), 1), np.uint8)
    horizontal = cv2.morphologyEx(thick, cv2.MORPH_OPEN, across).astype(bool)
    vertical = cv2.morphologyEx(thick, cv2.MORPH_OPEN, down).astype(bool)
    return _set_in(vertical, horizontal) or _set_in(horizontal.T, vertical.T)


def _set_in(lines: NDArray[np.bool_], across: NDArray[np.bool_]) -> bool:
    """For lines running down the rows of `lines` (columns of the crop, or rows transposed):
    whether one is set in from the left or right edge with none near the other edge, and a
    line of `across` (running along the columns) ends within a few pixels of it."""
    size = lines.shape[1]
    positions = np.flatnonzero(lines.any(axis=0))
    ends = [
        (int(np.argmax(row)), size - 1 - int(np.argmax(row[::-1]))) for row in across if row.any()
    ]
    if not len(positions) or not ends:
        return False
    first, last = int(positions[0]), int(positions[-1])
    near = max(3.0, 0.06 * size)
    if OFF_CENTRE_MARGIN * size <= first < size / 2 and last < (1 - _FAR_SIDE) * size:
        return any(abs(start - first) <= near for start, _ in ends)
    if size / 2 <= last <= size - 1 - OFF_CENTRE_MARGIN * size and first >= _FAR_SIDE * size:
        return any(abs(end - last) <= near for _, end in ends)
    return False
