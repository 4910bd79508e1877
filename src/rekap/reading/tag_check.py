"""Confirm a page hypothesis by reading the AprilTag where it says the tag is.

With four fiducials the perspective is known, so the tag's 8 x 8 cells can be sampled
directly through the homography and compared with the few tags the templates name: far
cheaper than searching the photo for markers. The tag's exact place is then found by a
small search (a few millimetres), which both refines the homography and measures how well
the tag agrees with the fiducials.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.apriltag import (
    CELLS,
    TagDetection,
    detect_tag_in_region,
    match_tag,
    read_cells_batch,
    sample_cells_shifted,
    tag_cells,
)
from rekap.reading.geometry import FloatArray, project
from rekap.reading.template import Box, PageTemplate

COARSE_STEPS_MM = (0.0, -2.0, 2.0, -4.0, 4.0)
"""Where to look for the tag around the predicted place: cells are 4 mm and are sampled in
their middle half, so one of these shifts falls within 1 mm of any tag within 5 mm."""
FINE_STEPS_MM = (-0.5, 0.0, 0.5)


@dataclass(frozen=True)
class TagCheck:
    """What the tag region of a hypothesis holds."""

    tag: TagDetection | None
    """A tag of one of the templates, with its corners in photo pixels."""
    unknown_id: int | None = None
    """The id of a tag that is not one of the templates' (another form)."""
    shift_mm: float = 0.0
    """How far the tag sits from where the fiducials put it."""


def _marker_to_template(template: PageTemplate) -> FloatArray:
    square = np.array([[0, 0], [CELLS, 0], [CELLS, CELLS], [0, CELLS]], dtype=np.float32)
    corners = np.array(template.apriltag.corners, dtype=np.float32)
    return np.asarray(cv2.getPerspectiveTransform(square, corners), dtype=np.float64)


def _contrast(levels: FloatArray, pattern: NDArray[np.bool_]) -> FloatArray:
    """Per sampled shift: how much lighter the tag's white cells are than its black ones."""
    result: FloatArray = levels[:, ~pattern].mean(axis=1) - levels[:, pattern].mean(axis=1)
    return result


def _grid(steps: tuple[float, ...], centre: tuple[float, float]) -> FloatArray:
    shifts = np.array([(dx, dy) for dx in steps for dy in steps]) + np.array(centre)
    order = np.argsort(np.abs(shifts - np.array(centre)).sum(axis=1), kind="stable")
    grid: FloatArray = shifts[order]
    return grid


def _cells_lazily(
    gray: NDArray[np.uint8], homography: FloatArray, marker: FloatArray, shifts: FloatArray
) -> Iterator[NDArray[np.bool_] | None]:
    """The tag's cells read at each shift in turn (None: no tag there): the first shift
    alone (where a page located from four fiducials almost always has its tag), the others
    only if needed."""
    for part in (shifts[:1], shifts[1:]):
        yield from read_cells_batch(sample_cells_shifted(gray, homography, marker, part))


def _read_near(
    gray: NDArray[np.uint8], homography: FloatArray, marker: FloatArray, tag_ids: list[int]
) -> tuple[int | None, tuple[float, float], bool]:
    """The templates' tag id read at the best coarse shift, that shift, and whether a tag
    of some other id was seen instead."""
    shifts = _grid(COARSE_STEPS_MM, (0.0, 0.0))
    best: tuple[int, float, int, tuple[float, float]] | None = None
    other = False
    for shift, cells in zip(shifts, _cells_lazily(gray, homography, marker, shifts), strict=True):
        if cells is None:
            continue
        tag_id, errors = match_tag(cells, tag_ids)
        if tag_id is None:
            other = True
            continue
        key = (errors, float(np.abs(shift).sum()), tag_id, (float(shift[0]), float(shift[1])))
        best = key if best is None or key[:2] < best[:2] else best
        if errors == 0:
            break
    if best is None:
        return None, (0.0, 0.0), other
    return best[2], best[3], other


def _refine(
    gray: NDArray[np.uint8],
    homography: FloatArray,
    marker: FloatArray,
    pattern: NDArray[np.bool_],
    start: tuple[float, float],
) -> tuple[float, float]:
    """The shift near `start` (mm) that best separates the tag's black and white cells."""
    shifts = _grid(FINE_STEPS_MM, start)
    scores = _contrast(sample_cells_shifted(gray, homography, marker, shifts), pattern)
    best = shifts[int(np.argmax(scores))]
    return (float(best[0]), float(best[1]))


def _region(template: PageTemplate) -> Box:
    corners = np.array(template.apriltag.corners)
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    margin = 0.5 * max(x1 - x0, y1 - y0)
    return (x0 - margin, y0 - margin, x1 + margin, y1 + margin)


def check_tag(
    gray: NDArray[np.uint8], homography: FloatArray, templates: Sequence[PageTemplate]
) -> TagCheck:
    """Read the tag where `homography` (from a hypothesis) puts the templates' tag."""
    reference = templates[0]
    by_id = {t.apriltag.id: t for t in templates}
    tag_id, shift, other = _read_near(
        gray, homography, _marker_to_template(reference), sorted(by_id)
    )
    if tag_id is None:
        if not other:
            return TagCheck(None)
        seen = detect_tag_in_region(gray, homography, _region(reference))
        return TagCheck(None, unknown_id=seen[0].id if seen else None)
    template = by_id[tag_id]
    marker = _marker_to_template(template)
    shift = _refine(gray, homography, marker, tag_cells(tag_id), shift)
    moved = np.array(template.apriltag.corners) + np.array(shift)
    corners = project(homography, moved)
    tag = TagDetection(tag_id, tuple((float(x), float(y)) for x, y in corners))
    return TagCheck(tag, shift_mm=float(np.hypot(*shift)))
