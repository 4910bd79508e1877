"""Split the c1-real label "0" into a written zero, a crossed-out box (X) and an empty box.

The data set files every box whose value is 0 under label 0, whatever is in it. The page
reader needs the difference (an X marks an unused leading box; a written 0 is a digit), so
each label-0 crop is sorted by where its ink lies, inside the printed border:

1. blank  - almost no ink inside the border (< 2 % of the interior);
2. a zero is a loop: its ink encloses a hole (a background region not touching the
   interior's edge, >= 1 % of it) or, when the loop is left open, the centre stays empty;
3. an X has ink through the centre and no hole, or two strokes along both diagonals of
   its ink's bounding box (>= 90 % of their middle covered, which also catches a zero
   crossed out with an X);
4. a loop cut into three or more holes with ink in the centre is a crossed-out zero (X).

Checked by eye on contact sheets of all 1,007 label-0 crops; the handful the rule gets
wrong (faint Xs, a zero with a bar inside) are listed in `zero_class_overrides.csv`.
Pure numpy/OpenCV so that benchmarks and tests reproduce it without PyTorch.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

OVERRIDES_PATH = Path(__file__).with_name("zero_class_overrides.csv")

_SIDE = 64  # working resolution
_BORDER_FILL = 0.45  # a row/column this full of ink is the printed border
_MIN_INK_AREA = 8  # pixels; smaller specks are the dotted guide or noise
_BLANK_INK = 0.02
_MIN_HOLE = 0.01
_CENTRE_INK = 0.08
_DIAGONAL_COVER = 0.9


@dataclass(frozen=True)
class InkLayout:
    """Where the ink inside the border lies; the features the rule reads."""

    ink_fraction: float
    centre_ink: float
    hole_fractions: tuple[float, ...]  # enclosed background regions, largest first
    diagonal_cover: float  # the lesser coverage of the two diagonals' middles


def _ink_mask(gray: NDArray[np.uint8]) -> NDArray[np.uint8]:
    small = cv2.resize(gray, (_SIDE, _SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    background = cv2.GaussianBlur(cv2.dilate(small, np.ones((11, 11), np.uint8)), (0, 0), 3)
    darkening = np.clip(background - small, 0, None)
    inner = darkening[_SIDE // 6 : -_SIDE // 6, _SIDE // 6 : -_SIDE // 6]
    threshold = max(18.0, 0.4 * float(np.percentile(inner, 99.5)))
    mask = (darkening > threshold).astype(np.uint8)
    return _drop_small_components(mask, _MIN_INK_AREA)


def _drop_small_components(mask: NDArray[np.uint8], min_area: int) -> NDArray[np.uint8]:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= min_area]
    return np.isin(labels, keep).astype(np.uint8)


def _border_edge(profile: NDArray[np.float64], indices: range) -> int | None:
    """The inner edge of the outermost run of border-like rows or columns."""
    found = None
    for index in indices:
        if profile[index] > _BORDER_FILL:
            found = index
        elif found is not None:
            return found
    return found


def _interior(mask: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The mask inside the printed border (or a fixed inset where no border is seen)."""
    third = _SIDE // 3
    columns, rows = mask.mean(axis=0), mask.mean(axis=1)
    left = _border_edge(columns, range(0, third))
    right = _border_edge(columns, range(_SIDE - 1, _SIDE - third - 1, -1))
    top = _border_edge(rows, range(0, third))
    bottom = _border_edge(rows, range(_SIDE - 1, _SIDE - third - 1, -1))
    x0 = (left if left is not None else 3) + 3
    x1 = (right if right is not None else _SIDE - 4) - 3
    y0 = (top if top is not None else 3) + 3
    y1 = (bottom if bottom is not None else _SIDE - 4) - 3
    return mask[y0 : y1 + 1, x0 : x1 + 1]


def _holes(inside: NDArray[np.uint8]) -> tuple[float, ...]:
    height, width = inside.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats(1 - inside, connectivity=4)
    holes = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if x > 0 and y > 0 and x + w < width and y + h < height:
            holes.append(area / inside.size)
    return tuple(sorted(holes, reverse=True))


def _diagonal_cover(inside: NDArray[np.uint8]) -> float:
    ys, xs = np.nonzero(inside)
    if len(xs) < 10:
        return 0.0
    y0, y1 = np.percentile(ys, [2, 98])
    x0, x1 = np.percentile(xs, [2, 98])
    thick = cv2.dilate(inside, np.ones((3, 3), np.uint8))
    steps = np.linspace(0.3, 0.7, 21)

    def cover(start: float, end: float) -> float:
        rows = np.round(y0 + steps * (y1 - y0)).astype(int)
        cols = np.round(start + steps * (end - start)).astype(int)
        return float(thick[rows, cols].mean())

    return min(cover(x0, x1), cover(x1, x0))


def ink_layout(gray: NDArray[np.uint8]) -> InkLayout:
    """Measure a grey crop's ink inside its border."""
    inside = _interior(_ink_mask(gray))
    height, width = inside.shape
    strokes = _drop_small_components(inside, int(0.02 * inside.size))
    centre = strokes[
        int(height * 0.38) : int(height * 0.62) + 1, int(width * 0.38) : int(width * 0.62) + 1
    ]
    return InkLayout(
        ink_fraction=float(inside.mean()),
        centre_ink=float(centre.mean()),
        hole_fractions=_holes(inside),
        diagonal_cover=_diagonal_cover(inside),
    )


def classify_zero_box(layout: InkLayout) -> str:
    """'0', 'X' or 'blank' for a box labelled 0, by the rule in the module docstring."""
    if layout.ink_fraction < _BLANK_INK:
        return "blank"
    holes = [h for h in layout.hole_fractions if h >= _MIN_HOLE]
    crossed = layout.diagonal_cover >= _DIAGONAL_COVER
    centre_inked = layout.centre_ink > _CENTRE_INK
    if not holes:
        return "X" if centre_inked or crossed else "0"
    if crossed or (len(holes) >= 3 and centre_inked):
        return "X"
    return "0"


def load_overrides(path: Path = OVERRIDES_PATH) -> dict[str, str]:
    """File name -> label for the crops the rule gets wrong, corrected by eye."""
    with path.open(newline="") as handle:
        return {row["file"]: row["label"] for row in csv.DictReader(handle)}
