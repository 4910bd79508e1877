"""Page hypotheses: four fiducial candidates that could be a page's corners, in some rotation.

Two candidates can be corners of one page only if their sizes are alike and their distance
fits the template (measured in fiducial sizes); four must fit pairwise, form a convex
quadrilateral, and map the template with sizes that agree with the perspective. Every
rotation is a separate hypothesis: the AprilTag decides between them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.fiducials import FiducialCandidate
from rekap.reading.geometry import FloatArray, local_scale, local_steps
from rekap.reading.template import PageTemplate

COMFORTABLE_PX_PER_MM = 1.5
"""Pages photographed smaller than this are tried last (real pages fill most photos)."""
MAX_ANISOTROPY = 2.0


@dataclass(frozen=True, eq=False)
class PageHypothesis:
    score: float
    """Lower is more plausible."""
    homography: FloatArray
    """Template millimetres -> photo pixels, from the four chosen fiducials."""
    chosen: tuple[FiducialCandidate | None, ...]
    """Per template fiducial, the candidate matched to it (None: not among them)."""


def points_of(candidates: Sequence[FiducialCandidate]) -> FloatArray:
    return np.array([(c.x, c.y) for c in candidates], dtype=np.float64).reshape(-1, 2)


def anchors_of(template: PageTemplate) -> FloatArray:
    return np.array([f.anchor for f in template.fiducials], dtype=np.float64)


def square_side_mm(template: PageTemplate) -> float:
    """Side of one of the two squares of a fiducial."""
    return float(np.mean([f.size for f in template.fiducials])) / 2.0


def anisotropy(homography: FloatArray, template: PageTemplate) -> float:
    """How unequally the map stretches two directions at the page centre (1 = evenly)."""
    (a, c), (b, d) = local_steps(homography, np.array(template.page_size) / 2)
    # the singular values of [[a, b], [c, d]], in closed form
    total = a * a + b * b + c * c + d * d
    gap = math.sqrt(max(total * total - 4.0 * (a * d - b * c) ** 2, 0.0))
    largest = math.sqrt((total + gap) / 2.0)
    smallest = math.sqrt(max(total - gap, 0.0) / 2.0)
    return largest / max(smallest, 1e-9)


def _fitting_pairs(
    candidates: Sequence[FiducialCandidate], template: PageTemplate
) -> NDArray[np.bool_]:
    anchors = anchors_of(template)
    square_mm = square_side_mm(template)
    spans = [float(np.hypot(*(a - b))) for a, b in itertools.combinations(anchors, 2)]
    low, high = 0.4 * min(spans) / square_mm, 2.5 * max(spans) / square_mm
    points = points_of(candidates)
    sides = np.array([c.side for c in candidates])
    mean_side = (sides[:, None] + sides[None, :]) / 2
    distance = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    size_ratio = np.maximum(sides[:, None], sides[None, :]) / np.minimum(sides[:, None], sides)
    fits: NDArray[np.bool_] = (
        (distance / mean_side > low) & (distance / mean_side < high) & (size_ratio < 2.5)
    )
    return fits


def _quadruples(fits: NDArray[np.bool_]) -> list[tuple[int, ...]]:
    """All sets of four candidates that fit pairwise."""
    found: list[tuple[int, ...]] = []

    def extend(chosen: tuple[int, ...], pool: NDArray[np.intp]) -> None:
        if len(chosen) == 4:
            found.append(chosen)
            return
        for index in pool:
            later = pool[pool > index]
            extend((*chosen, int(index)), later[fits[index, later]])

    extend((), np.arange(fits.shape[0]))
    return found


def _is_convex(points: FloatArray) -> bool:
    edges = np.roll(points, -1, axis=0) - points
    following = np.roll(edges, -1, axis=0)
    cross = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    return bool(np.all(cross > 0))


def _hypothesis(
    candidates: Sequence[FiducialCandidate], template: PageTemplate, chosen: Sequence[int]
) -> PageHypothesis | None:
    anchors = anchors_of(template)
    points = points_of(candidates)[list(chosen)]
    homography = cv2.getPerspectiveTransform(
        anchors.astype(np.float32), points.astype(np.float32)
    ).astype(np.float64)
    (a, b), (c, d) = homography[0, :2].tolist(), homography[1, :2].tolist()
    try:
        if a * d - b * c <= 0 or anisotropy(homography, template) > MAX_ANISOTROPY:
            return None
        square_mm = square_side_mm(template)
        errors = [
            abs(math.log(candidates[k].side / (local_scale(homography, anchor) * square_mm)))
            for k, anchor in zip(chosen, anchors, strict=True)
        ]
        scale = local_scale(homography, np.array(template.page_size) / 2)
        small = 2.0 * max(0.0, math.log(COMFORTABLE_PX_PER_MM / scale))
    except (ZeroDivisionError, ValueError):  # a degenerate map (a point sent to infinity)
        return None
    if not all(error <= math.log(2.0) for error in errors):  # a NaN fails too
        return None
    quality = sum(candidates[k].score for k in chosen) / len(chosen)
    score = sum(errors) / len(errors) + quality + small
    return PageHypothesis(score, homography, tuple(candidates[c] for c in chosen))


def page_hypotheses(
    candidates: Sequence[FiducialCandidate], template: PageTemplate
) -> list[PageHypothesis]:
    """Pages whose four corner fiducials are among `candidates`, most plausible first."""
    if len(candidates) < 4:
        return []
    points = points_of(candidates)
    hypotheses = []
    for combo in _quadruples(_fitting_pairs(candidates, template)):
        quad = points[list(combo)]
        centre = quad.mean(axis=0)
        order = np.argsort(np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0]))
        if not _is_convex(quad[order]):
            continue
        ordered = [combo[int(i)] for i in order]
        for turn in range(4):
            chosen = [ordered[(k + turn) % 4] for k in range(4)]
            hypothesis = _hypothesis(candidates, template, chosen)
            if hypothesis is not None:
                hypotheses.append(hypothesis)
    hypotheses.sort(key=lambda h: h.score)
    return hypotheses
