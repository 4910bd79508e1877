"""Detect the page's AprilTag (family 36h10), in a whole photo or in one expected region."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.geometry import project
from rekap.reading.template import Box

FloatArray = NDArray[np.float64]
TAG_FAMILIES = {"36h10": cv2.aruco.DICT_APRILTAG_36h10}


@dataclass(frozen=True)
class TagDetection:
    id: int
    corners: tuple[tuple[float, float], ...]
    """Four image points in the marker's own order (its top-left corner first, clockwise)."""


@cache
def _detector(family: str, refine: bool) -> cv2.aruco.ArucoDetector:
    parameters = cv2.aruco.DetectorParameters()
    if refine:
        parameters.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    dictionary = cv2.aruco.getPredefinedDictionary(TAG_FAMILIES[family])
    return cv2.aruco.ArucoDetector(dictionary, parameters)


def _detections(corners: object, ids: object) -> list[TagDetection]:
    if ids is None:
        return []
    found = []
    for marker, tag_id in zip(corners, np.asarray(ids).ravel(), strict=True):  # type: ignore[call-overload]
        points = np.asarray(marker, dtype=np.float64).reshape(4, 2)
        found.append(TagDetection(int(tag_id), tuple((float(x), float(y)) for x, y in points)))
    return found


def detect_tags(gray: NDArray[np.uint8], family: str = "36h10") -> list[TagDetection]:
    """Every tag in the whole image (slow on busy pages: use `detect_tag_in_region` first)."""
    corners, ids, _ = _detector(family, refine=False).detectMarkers(gray)
    return _detections(corners, ids)


def detect_tags_near(
    gray: NDArray[np.uint8],
    centre: tuple[float, float],
    radius: float,
    family: str = "36h10",
    max_side: int = 480,
) -> list[TagDetection]:
    """Tags inside a square of the photo around `centre` (no rectification); corners in
    photo pixels. Used when the page's perspective is not known well enough to rectify."""
    height, width = gray.shape
    x0, y0 = max(0, int(centre[0] - radius)), max(0, int(centre[1] - radius))
    x1, y1 = min(width, int(centre[0] + radius)), min(height, int(centre[1] + radius))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return []
    crop = gray[y0:y1, x0:x1]
    factor = max(1.0, max(crop.shape) / max_side)
    if factor > 1.0:
        size = (round(crop.shape[1] / factor), round(crop.shape[0] / factor))
        crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    corners, ids, _ = _detector(family, refine=True).detectMarkers(crop)
    return [
        TagDetection(t.id, tuple((x0 + x * factor, y0 + y * factor) for x, y in t.corners))
        for t in _detections(corners, ids)
    ]


def detect_tag_in_region(
    gray: NDArray[np.uint8],
    template_to_image: FloatArray,
    region: Box,
    family: str = "36h10",
    px_per_mm: float = 4.0,
) -> list[TagDetection]:
    """Rectify one template region (mm) of the photo and look for a tag there only.

    Corners are returned in photo pixels."""
    x0, y0, x1, y1 = region
    width, height = round((x1 - x0) * px_per_mm), round((y1 - y0) * px_per_mm)
    crop_to_template = np.array(
        [[1 / px_per_mm, 0, x0], [0, 1 / px_per_mm, y0], [0, 0, 1]], dtype=np.float64
    )
    crop_to_image = template_to_image @ crop_to_template
    crop = cv2.warpPerspective(
        gray,
        crop_to_image,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    corners, ids, _ = _detector(family, refine=True).detectMarkers(crop)
    found = []
    for tag in _detections(corners, ids):
        points = np.array(tag.corners, dtype=np.float64).reshape(-1, 1, 2)
        mapped = cv2.perspectiveTransform(points, crop_to_image).reshape(4, 2)
        found.append(TagDetection(tag.id, tuple((float(x), float(y)) for x, y in mapped)))
    return found


CELLS = 8
"""A 36h10 tag is 6 x 6 data cells inside a one-cell black border."""
SAMPLES_PER_CELL = 3
MAX_BIT_ERRORS = 4
"""36h10 codes differ in at least 10 bits, so 4 wrong cells still name the tag safely."""


@cache
def tag_cells(tag_id: int, family: str = "36h10") -> NDArray[np.bool_]:
    """The tag's 8 x 8 cells, True where black, in the marker's own orientation."""
    dictionary = cv2.aruco.getPredefinedDictionary(TAG_FAMILIES[family])
    marker = cv2.aruco.generateImageMarker(dictionary, tag_id, CELLS * 10, None, 1)
    cells: NDArray[np.bool_] = np.asarray(marker)[5::10, 5::10] < 128
    return cells


@cache
def _cell_points() -> FloatArray:
    """Sample points in the middle half of each cell, in marker units, row by row (made
    once: every page hypothesis samples the tag at them)."""
    steps = 0.25 + 0.5 * (np.arange(SAMPLES_PER_CELL) + 0.5) / SAMPLES_PER_CELL
    axis = (np.arange(CELLS)[:, None] + steps[None, :]).ravel()
    u, v = np.meshgrid(axis, axis)
    points = np.stack([u.ravel(), v.ravel()], axis=1)
    points.flags.writeable = False
    return points


def sample_cells_shifted(
    gray: NDArray[np.uint8],
    page_to_image: FloatArray,
    marker_to_page: FloatArray,
    shifts: FloatArray,
) -> FloatArray:
    """Mean grey level in the middle of each of the 8 x 8 cells of the tag, for each
    `shift` (n, 2) of the tag on the page (mm): an (n, 8, 8) array, from one remap."""
    on_page = project(marker_to_page, _cell_points())
    moved = (on_page[None, :, :] + np.asarray(shifts)[:, None, :]).reshape(-1, 2)
    mapped = project(page_to_image, moved)
    side = CELLS * SAMPLES_PER_CELL
    count = len(shifts)
    map_x = mapped[:, 0].reshape(count * side, side).astype(np.float32)
    map_y = mapped[:, 1].reshape(count * side, side).astype(np.float32)
    samples = cv2.remap(gray, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    blocks = np.asarray(samples, dtype=np.float64).reshape(
        count, CELLS, SAMPLES_PER_CELL, CELLS, SAMPLES_PER_CELL
    )
    means: FloatArray = blocks.mean(axis=(2, 4))
    return means


def _border_mask() -> NDArray[np.bool_]:
    border = np.ones((CELLS, CELLS), dtype=bool)
    border[1:-1, 1:-1] = False
    return border


_BORDER = _border_mask()


def read_cells_batch(levels: FloatArray) -> list[NDArray[np.bool_] | None]:
    """`read_cells` for each tag of an (n, 8, 8) stack of samples, in one pass."""
    border = np.sort(levels[:, _BORDER], axis=1)
    black = border[:, border.shape[1] // 2]
    inner = np.sort(levels[:, ~_BORDER], axis=1)
    white = inner[:, int(0.9 * (inner.shape[1] - 1))]
    cells = levels < ((black + white) / 2)[:, None, None]
    framed = cells[:, _BORDER].mean(axis=1) >= 0.85
    readable = (white - black >= 25.0) & framed
    return [tag if ok else None for tag, ok in zip(cells, readable, strict=True)]


def read_cells(levels: FloatArray) -> NDArray[np.bool_] | None:
    """Black cells of a sampled tag, or None when the samples show no tag (no dark border,
    or too little contrast between the border and the lightest data cells)."""
    return read_cells_batch(levels[None])[0]


def match_tag(cells: NDArray[np.bool_], tag_ids: Sequence[int]) -> tuple[int | None, int]:
    """The tag id among `tag_ids` whose data cells differ least from `cells`, and by how
    many; None when even the best one differs in more than MAX_BIT_ERRORS cells."""
    best_id, best_errors = None, CELLS * CELLS
    for tag_id in tag_ids:
        errors = int(np.count_nonzero(cells[1:-1, 1:-1] != tag_cells(tag_id)[1:-1, 1:-1]))
        if errors < best_errors:
            best_id, best_errors = tag_id, errors
    return (best_id if best_errors <= MAX_BIT_ERRORS else None), best_errors
