"""Find corner-fiducial candidates: two dark squares of equal size, placed diagonally.

On the printed plano form the two squares touch at one corner; on a screen or after blur
they may merge into one blob, or print with a small gap. Both cases are handled: single
square blobs are paired by size, distance and direction, and a blob that looks like two
merged squares is split by erosion. The anchor of a candidate is the midpoint of the two
squares' centres, which is where the template's fiducial anchor lies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

MAX_CANDIDATES = 24
MAX_PAIRS = 400
"""Only the best-scoring pairs of squares are sorted out further (crowds, duplicates): a
form photo gives at most ~70 (measured on 199 searches of real and simulated photos); graph
paper or a grid of squares gives thousands, which took minutes in the quadratic steps."""
MAX_SQUARES = 2_000
"""Squares paired at most, the largest kept: a page photo shows a few dozen (37 at most in
the corpus), while a photo of a dotted or checked pattern can show tens of thousands, whose
pairing would take minutes (it looks at every square near each)."""
CLUTTER_WEIGHT = 0.5
CROWD_RADIUS = 6.0
CROWD_SIZE = 0.5


@dataclass(frozen=True)
class FiducialCandidate:
    x: float
    y: float
    side: float
    """Side of one of the two squares, in pixels."""
    score: float
    """Lower is more fiducial-like (0 is perfect)."""


@dataclass(frozen=True)
class _Square:
    x: float
    y: float
    side: float
    angle: float | None
    """Orientation of the square's edges, radians modulo pi/2; None when the square was
    split from a merged blob (too eroded to tell)."""
    partner: int | None = None
    """For a square split from a merged blob: an id shared with its other half."""


def threshold_block(shape: tuple[int, ...]) -> int:
    """Side of the neighbourhood whose mean sets the ink threshold, for an image of `shape`."""
    return max(15, (max(shape) // 25) | 1)


def binarize(
    gray: NDArray[np.uint8], reference: tuple[int, ...] | None = None
) -> NDArray[np.uint8]:
    """Dark ink as 255, with a threshold that follows uneven lighting. `reference`: the
    shape of the whole photo when `gray` is a part of it (the threshold follows the photo)."""
    block = threshold_block(reference or gray.shape)
    binary = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12
    )
    return np.asarray(binary, dtype=np.uint8)


def _split_merged(mask: NDArray[np.uint8], x0: int, y0: int) -> list[_Square]:
    """Two touching (or blur-joined) squares come apart after some steps of erosion."""
    side = min(mask.shape)
    kernel = np.ones((3, 3), np.uint8)
    most = max(1, round(side * 0.3))
    eroded = cv2.copyMakeBorder(mask, *(most + 1,) * 4, cv2.BORDER_CONSTANT, value=0)
    steps = 0
    while steps < most:
        steps += 1
        eroded = cv2.erode(eroded, kernel)
        count, labels, stats, centroids = cv2.connectedComponentsWithStats(eroded, connectivity=8)
        if count < 2:
            return []
        areas = stats[1:, cv2.CC_STAT_AREA]
        big = np.flatnonzero(areas >= 0.2 * float(areas.max())) + 1
        if len(big) > 2:
            return []
        if len(big) == 2:
            break
    else:
        return []
    halves = [float(stats[i, cv2.CC_STAT_AREA]) for i in big]
    box_areas = [float(stats[i, cv2.CC_STAT_WIDTH] * stats[i, cv2.CC_STAT_HEIGHT]) for i in big]
    if min(area / box for area, box in zip(halves, box_areas, strict=True)) < 0.45:
        return []
    grown = [cv2.dilate((labels == i).astype(np.uint8), kernel, iterations=steps) for i in big]
    # the halves are compared as grown back: erosion shrinks a small square (a far corner
    # of a photo taken at an angle) far more, in proportion, than its larger neighbour
    sizes = [float(g.sum()) for g in grown]
    if min(sizes) / max(sizes) < 0.5:
        return []
    squares = []
    for index, size in zip(big, sizes, strict=True):
        cx, cy = centroids[index]
        squares.append(
            _Square(
                x=x0 + float(cx) - most - 1,
                y=y0 + float(cy) - most - 1,
                side=float(np.sqrt(size)),
                angle=None,
                partner=x0 * 100_003 + y0,
            )
        )
    return squares


def _hole_area(contours: Sequence[NDArray[Any]], links: NDArray[np.int32], index: int) -> float:
    total, child = 0.0, int(links[index][2])
    while child != -1:
        total += float(cv2.contourArea(contours[child]))
        child = int(links[child][0])
    return total


def _plausible_outlines(
    contours: Sequence[NDArray[Any]], links: NDArray[np.int32], limit: float
) -> NDArray[np.intp]:
    """Indices of the outer contours whose bounding box could hold a fiducial square (or a
    merged pair): checked for all contours at once, since most are text and handwriting."""
    lengths = np.array([len(c) for c in contours], dtype=np.intp)
    points = np.concatenate(contours).reshape(-1, 2)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    low = np.minimum.reduceat(points, starts, axis=0)
    high = np.maximum.reduceat(points, starts, axis=0)
    width, height = (high - low + 1).T
    aspect = width / height
    keep = (
        (links[:, 3] == -1)
        & (lengths >= 4)
        & (width >= 5)
        & (height >= 5)
        & (width <= limit)
        & (height <= limit)
        & (aspect > 0.3)
        & (aspect < 3.3)
    )
    return np.flatnonzero(keep)


def _collect_squares(binary: NDArray[np.uint8], limit: float) -> list[_Square]:
    """Solid dark squares (and halves of merged square pairs), from contours. A small
    opening first removes thin strokes (text, rules, box borders), so few contours are left
    to examine; tracing contours is several times faster than labelling components."""
    opened = cv2.morphologyEx(binary, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, hierarchy = cv2.findContours(opened, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None or not contours:
        return []
    links = hierarchy[0]
    squares: list[_Square] = []
    for found in _plausible_outlines(contours, links, limit):
        index = int(found)
        contour = contours[index]
        x0, y0, w, h = cv2.boundingRect(contour)
        area = float(cv2.contourArea(contour))
        (cx, cy), (rw, rh), degrees = cv2.minAreaRect(contour)
        if area <= 0 or rw <= 0 or rh <= 0:
            continue
        if links[index][2] != -1 and _hole_area(contours, links, index) > 0.1 * area:
            continue
        rect_fill, aspect = area / (rw * rh), rw / rh
        halves: list[_Square] = []
        if 0.3 < rect_fill <= 0.85 and w >= 9 and h >= 9 and 0.45 < w / h < 2.2:
            mask = np.zeros((h, w), np.uint8)
            cv2.drawContours(mask, [contour], 0, 1, thickness=-1, offset=(-x0, -y0))
            halves = _split_merged(mask, x0, y0)
            squares.extend(halves)
        if not halves and rect_fill > 0.75 and 0.6 < aspect < 1.6:
            side = float(np.sqrt(area)) + 1.0
            angle = float(np.deg2rad(degrees) % (np.pi / 2))
            squares.append(_Square(float(cx), float(cy), side, angle))
    return squares


def largest(squares: list[_Square], limit: int = MAX_SQUARES) -> list[_Square]:
    """The ``limit`` largest squares (all of them when there are no more)."""
    if len(squares) <= limit:
        return squares
    return sorted(squares, key=lambda square: square.side, reverse=True)[:limit]


def _angle_gap(a: float, b: float) -> float:
    """Distance between two angles modulo pi/2."""
    d = abs(a - b) % (np.pi / 2)
    return float(min(d, np.pi / 2 - d))


def _pair(first: _Square, second: _Square) -> FiducialCandidate | None:
    ratio = first.side / second.side
    if not 0.67 < ratio < 1.5:
        return None
    side = (first.side + second.side) / 2
    dx, dy = second.x - first.x, second.y - first.y
    distance = float(np.hypot(dx, dy))
    merged = first.partner is not None
    if not (0.8 if merged else 1.15) * side < distance < 2.6 * side:
        return None
    if first.partner is not None or second.partner is not None:
        if first.partner != second.partner:
            return None
        diagonal = parallel = 0.0
    else:
        assert first.angle is not None and second.angle is not None
        direction = float(np.arctan2(dy, dx))
        diagonal = _angle_gap(direction, first.angle + np.pi / 4)
        parallel = _angle_gap(first.angle, second.angle)
        if diagonal > np.deg2rad(20) or parallel > np.deg2rad(20):
            return None
    score = abs(np.log(ratio)) + diagonal + parallel + abs(distance / side - 1.414) * 0.3
    return FiducialCandidate(
        x=(first.x + second.x) / 2, y=(first.y + second.y) / 2, side=side, score=float(score)
    )


def _clutter(binary: NDArray[np.uint8], candidate: FiducialCandidate) -> float:
    """Share of dark pixels on two circles around the pair, where a fiducial has paper."""
    angles = np.linspace(0.0, 2 * np.pi, 48, endpoint=False)
    radii = np.array([1.9, 2.5])[:, None] * candidate.side
    xs = np.rint(candidate.x + radii * np.cos(angles)).astype(int).ravel()
    ys = np.rint(candidate.y + radii * np.sin(angles)).astype(int).ravel()
    height, width = binary.shape
    inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
    if not inside.any():
        return 1.0
    return float(np.mean(binary[ys[inside], xs[inside]] > 0))


def find_fiducial_candidates(
    gray: NDArray[np.uint8], reference: tuple[int, ...] | None = None
) -> tuple[FiducialCandidate, ...]:
    """The most fiducial-like pairs of squares in a photo, best first. `reference`: the
    shape of the whole photo when `gray` is a part of it; the thresholds and size limits
    then follow the photo, so a mark far from the part's cut edges is found exactly as in
    the whole photo."""
    shape = reference or gray.shape
    binary = binarize(gray, shape)
    squares = largest(_collect_squares(binary, max(shape) / 12))
    if len(squares) < 2:
        return ()
    points = np.array([(s.x, s.y) for s in squares])
    sides = np.array([s.side for s in squares])
    candidates: list[FiducialCandidate] = []
    for i, square in enumerate(squares):
        near = np.hypot(points[:, 0] - square.x, points[:, 1] - square.y) < 2.7 * sides[i]
        for j in np.flatnonzero(near):
            if j > i:
                candidate = _pair(square, squares[int(j)])
                if candidate is None:
                    continue
                score = candidate.score + CLUTTER_WEIGHT * _clutter(binary, candidate)
                candidates.append(replace(candidate, score=score))
    candidates.sort(key=lambda c: c.score)
    return tuple(_isolated(_deduplicate(candidates[:MAX_PAIRS]))[:MAX_CANDIDATES])


def _isolated(candidates: list[FiducialCandidate]) -> list[FiducialCandidate]:
    """Drop candidates in crowds (bold text): a fiducial stands alone on the paper. Only a
    neighbour at least CROWD_SIZE times a candidate's size crowds it: a speck of text
    beside a fiducial does not hide the fiducial (the speck itself is dropped)."""
    if not candidates:
        return []
    xs = np.array([c.x for c in candidates])
    ys = np.array([c.y for c in candidates])
    sides = np.array([c.side for c in candidates])
    kept = []
    for i, c in enumerate(candidates):
        near = np.hypot(xs - c.x, ys - c.y) < CROWD_RADIUS * np.maximum(sides, c.side)
        crowd = near & (sides >= CROWD_SIZE * c.side)
        crowd[i] = False
        if not crowd.any():
            kept.append(c)
    return kept


def _deduplicate(candidates: list[FiducialCandidate]) -> list[FiducialCandidate]:
    kept: list[FiducialCandidate] = []
    for candidate in candidates:
        if all(math.hypot(candidate.x - k.x, candidate.y - k.y) > k.side for k in kept):
            kept.append(candidate)
    return kept
