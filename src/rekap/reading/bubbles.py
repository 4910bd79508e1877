"""Read bubble grids: which bubble of each column is blackened.

Works on an upright crop of one grid (rectified from the photo by the cut stage, or any
crop with a known approximate layout). Steps, per column of ten bubbles:
1. align: shift the expected centres (and stretch their pitch slightly) to where the
   printed rings are, by correlating with a ring pattern (searched on a half-size copy,
   then refined by a pixel at full size); never by a whole pitch;
2. measure: the darkness inside each ring, between the paper and the ink of this crop;
3. calibrate against the column: most bubbles of a column are empty, so the column's
   median darkness is the printed digit's own ink, and a mark stands out above it;
4. turn the excess darkness into a probability per digit, and for "no mark".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from rekap.reading.geometry import FloatArray

NONE = 10
"""Index of "no bubble marked" in a column's probabilities (after digits 0..9)."""
MARK_THRESHOLD = 0.3
"""Excess darkness (share of the bubble's inside, above the column's median) at which a
bubble is as likely marked as not."""
MARK_SOFTNESS = 0.06
SAMPLE_RATIO = 0.8
"""Darkness is measured in a disc of this share of the ring's inner radius."""
PITCH_STRETCH = (0.95, 1.0, 1.05)
_STRETCHES = np.array([[1.0, stretch] for stretch in PITCH_STRETCH])


@dataclass(frozen=True)
class BubbleColumnReading:
    position: int
    darkness: tuple[float, ...]
    """Per digit 0..9: share of the inside that is dark, above the column's median."""
    probabilities: tuple[float, ...]
    """Per digit 0..9, then "no bubble marked" (index 10); sums to 1."""
    marked: tuple[int, ...]
    """Digits whose bubble looks blackened (none, one, or several)."""

    @property
    def best(self) -> int | None:
        """The most probable digit, or None when "no mark" is most probable."""
        index = int(np.argmax(self.probabilities))
        return None if index == NONE else index


@dataclass(frozen=True)
class BubbleGridReading:
    columns: tuple[BubbleColumnReading, ...]

    def digits(self) -> str:
        """The grid as text, one character per column: the digit, '-' none, '?' several."""
        out = []
        for column in self.columns:
            if len(column.marked) > 1:
                out.append("?")
            else:
                best = column.best
                out.append("-" if best is None else str(best))
        return "".join(out)


@lru_cache(maxsize=16)
def _ring_pattern(radius: float) -> NDArray[np.float32]:
    half = int(np.ceil(radius * 1.5))
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1]
    distance = np.hypot(xx, yy)
    thickness = max(1.0, 0.15 * radius)
    pattern = np.where(np.abs(distance - radius) <= thickness, 0.0, 1.0)
    pattern = pattern.astype(np.float32)
    pattern.flags.writeable = False
    return pattern


def _ring_response(crop: NDArray[np.uint8], radius: float) -> tuple[FloatArray, int]:
    pattern = _ring_pattern(radius)
    half = pattern.shape[0] // 2
    padded = cv2.copyMakeBorder(crop, half, half, half, half, cv2.BORDER_REPLICATE)
    response = cv2.matchTemplate(padded.astype(np.float32), pattern, cv2.TM_CCOEFF_NORMED)
    return np.asarray(response, dtype=np.float64), half


def _reach(centres: FloatArray, radius: float) -> int:
    """How far (pixels) a column's centres may move to meet the printed rings."""
    count = len(centres)
    pitch = float(centres[-1, 1] - centres[0, 1]) / (count - 1) if count > 1 else 2 * radius
    return int(max(1, min(0.4 * pitch, 2.0 * radius)))


def _padded_response(response: FloatArray, radius: float) -> tuple[FloatArray, int]:
    """The response padded with -1 by more than any column's reach, and that padding."""
    pad = int(max(1, 2.0 * radius))
    padded = cv2.copyMakeBorder(response, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=-1.0)
    return np.asarray(padded, dtype=np.float64), pad


def _align(
    padded: FloatArray, pad: int, shape: tuple[int, ...], columns: FloatArray, radius: float
) -> FloatArray:
    """The shift and pitch of each column's centres (columns, 10, 2) that best match the
    printed rings, on a response padded once for all columns of a grid: every stretch of
    the pitch, each shifted by up to the column's reach, scored by the summed response."""
    reaches = {_reach(column, radius) for column in columns}
    if len(reaches) > 1:  # columns of unequal pitch: one at a time
        return np.concatenate([_align(padded, pad, shape, c[None], radius) for c in columns])
    reach = reaches.pop()
    side = 2 * reach + 1
    height, width = shape
    middle = columns.mean(axis=1, keepdims=True)
    # (columns, stretches, bubbles, 2)
    stretched = middle[:, None] + (columns - middle)[:, None] * _STRETCHES[None, :, None, :]
    # indexed bubble first: the sum over bubbles adds in the same order for every column
    ordered = stretched.transpose(2, 0, 1, 3)
    xs = np.clip(np.rint(ordered[..., 0]).astype(int), 0, width - 1) + (pad - reach)
    ys = np.clip(np.rint(ordered[..., 1]).astype(int), 0, height - 1) + (pad - reach)
    windows = sliding_window_view(padded, (side, side))
    totals = windows[ys, xs].sum(axis=0).reshape(len(columns), -1)
    best = totals.argmax(axis=1)
    stretch, peak = np.divmod(best, side * side)
    dy, dx = np.divmod(peak, side)
    moves = np.stack([dx - reach, dy - reach], axis=1).astype(np.float64)
    aligned: FloatArray = stretched[np.arange(len(columns)), stretch] + moves[:, None, :]
    return aligned


@lru_cache(maxsize=16)
def _ring_offsets(radius: float) -> tuple[NDArray[np.intp], NDArray[np.intp], float, float]:
    """The ring pattern's dark (ring) cells as (rows, columns) from its top-left corner, and
    the pattern's sum and the sum of its squared deviations from its mean."""
    pattern = _ring_pattern(radius)
    rows, columns = np.nonzero(pattern == 0.0)
    rows.flags.writeable = False
    columns.flags.writeable = False
    total = float(pattern.sum())
    spread = float(((pattern - pattern.mean()) ** 2).sum())
    return rows, columns, total, spread


def _ring_scores(crop: NDArray[np.uint8], points: NDArray[np.intp], radius: float) -> FloatArray:
    """The ring response (as `_ring_response`, the normalised correlation coefficient) at
    each (x, y) of `points` (..., 2) only; -1 outside the crop, as the padded response has
    there. The pattern is 1 but on its ring, so a window's correlation with it needs only
    the window's sums (from integral images) and its sum over the ring's few cells."""
    pattern = _ring_pattern(radius)
    side = pattern.shape[0]
    half = side // 2
    padded = cv2.copyMakeBorder(crop, half, half, half, half, cv2.BORDER_REPLICATE)
    tables = cv2.integral2(padded, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)
    sums, squares = (np.asarray(table, dtype=np.float64) for table in tables)
    height, width = crop.shape
    flat = points.reshape(-1, 2)
    inside = (flat[:, 0] >= 0) & (flat[:, 0] < width) & (flat[:, 1] >= 0) & (flat[:, 1] < height)
    xs, ys = np.clip(flat[:, 0], 0, width - 1), np.clip(flat[:, 1], 0, height - 1)

    def window(table: NDArray[np.float64]) -> FloatArray:
        total: FloatArray = (
            table[ys + side, xs + side]
            - table[ys, xs + side]
            - table[ys + side, xs]
            + table[ys, xs]
        )
        return total

    rows, columns, pattern_sum, pattern_spread = _ring_offsets(radius)
    stride = padded.shape[1]
    cells = (ys * stride + xs)[:, None] + (rows * stride + columns)[None, :]
    on_ring = np.take(padded, cells).sum(axis=1, dtype=np.float64)
    count = float(pattern.size)
    window_sum = window(sums)
    # the pattern is 1 off its ring: sum(pattern * window) = window's sum - its ring's sum
    products = window_sum - on_ring - pattern_sum * window_sum / count
    spread = np.maximum(window(squares) - window_sum * window_sum / count, 0.0) * pattern_spread
    scores = np.where(spread > 1e-6, products / np.sqrt(np.maximum(spread, 1e-6)), 0.0)
    return np.where(inside, scores, -1.0).reshape(points.shape[:-1])


def _align_grid(
    crop: NDArray[np.uint8], columns: Sequence[FloatArray], radius: float
) -> list[FloatArray]:
    """Each column aligned coarse to fine: the full search (`_align`) on a copy of the crop
    at half its size, then the best of the nine one-pixel moves of that at full size. (The
    crop is cut at a fixed scale, often above the photo's own: the full-size search cost
    most of the bubbles' time.)"""
    height, width = crop.shape
    if min(height, width) < 2:  # no half-size copy: nothing to align against
        return [np.asarray(column, dtype=np.float64) for column in columns]
    # an even-sized copy halves exactly, so that full = 2 * half + 0.5 holds to the edge
    even = crop[: 2 * (height // 2), : 2 * (width // 2)]
    small = np.asarray(
        cv2.resize(even, (width // 2, height // 2), interpolation=cv2.INTER_AREA), np.uint8
    )
    response, _ = _ring_response(small, radius / 2)
    padded, pad = _padded_response(response, radius / 2)
    stacked = (np.stack(columns) - 0.5) / 2
    coarse = _align(padded, pad, response.shape, stacked, radius / 2) * 2 + 0.5
    moves = np.array([(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)], dtype=np.intp)
    starts = np.rint(coarse).astype(np.intp)  # (columns, bubbles, 2)
    points = starts[:, None, :, :] + moves[None, :, None, :]
    totals = _ring_scores(crop, points, radius).sum(axis=2)  # (columns, moves)
    best = moves[totals.argmax(axis=1)]
    return list(coarse + best[:, None, :])


def _paper_and_ink(crop: NDArray[np.uint8]) -> tuple[float, float]:
    sample = np.sort(crop[::3, ::3], axis=None)
    return float(sample[int(0.95 * (sample.size - 1))]), float(sample[sample.size // 100])


def _darkness(
    crop: NDArray[np.uint8], centres: FloatArray, radius: float, levels: tuple[float, float]
) -> FloatArray:
    """Share of the disc of `radius` around each centre that is dark, between the crop's
    paper and ink `levels`."""
    paper, ink = levels
    half = int(np.ceil(radius))
    offsets = np.arange(-half, half + 1)
    disc = np.hypot(offsets[:, None], offsets[None, :]) <= radius
    padded = cv2.copyMakeBorder(crop, half + 1, half + 1, half + 1, half + 1, cv2.BORDER_REPLICATE)
    height, width = crop.shape
    xs = np.clip(np.rint(centres[:, 0]).astype(int), 0, width - 1) + half + 1
    ys = np.clip(np.rint(centres[:, 1]).astype(int), 0, height - 1) + half + 1
    patches = padded[ys[:, None, None] + offsets[None, :, None], xs[:, None, None] + offsets]
    means = patches[:, disc].mean(axis=1)
    values: FloatArray = np.clip((paper - means) / max(paper - ink, 1.0), 0.0, 1.0)
    return values


def _column_probabilities(excess: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Per column (a row of `excess`): the probabilities of digits 0..9 and of no mark,
    and which bubbles look marked."""
    marked_p = 1.0 / (1.0 + np.exp(-(excess - MARK_THRESHOLD) / MARK_SOFTNESS))
    marked_p = np.clip(marked_p, 1e-4, 1 - 1e-4)
    empty = np.prod(1.0 - marked_p, axis=1, keepdims=True)
    masses = np.concatenate([empty / (1.0 - marked_p) * marked_p, empty], axis=1)
    explained = masses.sum(axis=1, keepdims=True)
    # Several marks: no single digit explains them; spread what is left evenly.
    masses = masses + (1.0 - np.minimum(explained, 1.0)) / masses.shape[1]
    probabilities: FloatArray = masses / masses.sum(axis=1, keepdims=True)
    return probabilities, marked_p > 0.5


def read_bubble_grid(
    crop: NDArray[np.uint8],
    columns: Sequence[FloatArray],
    inner_radius: float,
    *,
    align: bool = True,
) -> BubbleGridReading:
    """Read a grid from an upright crop. `columns` holds, per digit position, the expected
    (10, 2) centres of bubbles 0..9 in crop pixels; `inner_radius` is in crop pixels."""
    if not columns:
        return BubbleGridReading(columns=())
    expected = [np.asarray(column, dtype=np.float64) for column in columns]
    if align:
        expected = _align_grid(crop, expected, inner_radius)
    centres = np.stack(expected)
    levels = _paper_and_ink(crop)
    flat = _darkness(crop, centres.reshape(-1, 2), SAMPLE_RATIO * inner_radius, levels)
    columns_count, count = len(expected), len(expected[0])
    darkness = flat.reshape(columns_count, count)
    middle = np.sort(darkness, axis=1)[:, (count - 1) // 2 : count // 2 + 1].mean(axis=1)
    excess = darkness - middle[:, None]
    probabilities, marked = _column_probabilities(excess)
    return BubbleGridReading(
        columns=tuple(
            BubbleColumnReading(
                position=position,
                darkness=tuple(excess[position].tolist()),
                probabilities=tuple(probabilities[position].tolist()),
                marked=tuple(np.flatnonzero(marked[position]).tolist()),
            )
            for position in range(columns_count)
        )
    )
