"""Locate stage: which page is this, and where is it in the photo?

1. Find fiducial candidates (pairs of diagonal squares) anywhere in the photo.
2. Form page hypotheses from four candidates whose sizes and spacing fit the template, in
   each of the four rotations, and confirm one by finding the AprilTag where it predicts.
   The tag's id names the page; its corners must agree with the hypothesis.
3. Fallback when a fiducial is hidden or cut off: find the tag in the whole photo and
   match at least three fiducials to it.
4. Fit the homography (template mm -> photo pixels) to all fiducials and tag corners
   found, and drop a fiducial that disagrees with the others.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.apriltag import (
    TagDetection,
    detect_tag_in_region,
    detect_tags,
    detect_tags_near,
)
from rekap.reading.decode import DecodedImage
from rekap.reading.fiducials import FiducialCandidate, find_fiducial_candidates
from rekap.reading.geometry import FloatArray, local_scale, project
from rekap.reading.problem import Problem
from rekap.reading.template import Box, PageTemplate

MAX_RESIDUAL_MM = 4.0
"""A fiducial further than this from where the others put it is not used."""
TAG_SEARCH_LONG_SIDE = 1600
MAX_TAG_ATTEMPTS = 8
COMFORTABLE_PX_PER_MM = 1.5
"""Pages photographed smaller than this are tried last (real pages fill most photos)."""


@dataclass(frozen=True, eq=False)
class PageLocation:
    """A page found in a photo: its template and where template millimetres fall."""

    template: PageTemplate
    homography: FloatArray
    """3x3, template millimetres -> pixels of the decoded image."""
    image_size: tuple[int, int]
    """(width, height) of the decoded image."""
    fiducials_used: tuple[str, ...]
    residual_mm: float
    """Largest distance between a found mark and where the fitted homography puts it."""
    px_per_mm: float
    """Decoded pixels per template millimetre, at the page centre."""
    rotation_degrees: int
    """How the page is turned in the photo: 0, 90, 180 or 270, clockwise."""
    notes: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class _Hypothesis:
    score: float
    homography: FloatArray
    chosen: tuple[FiducialCandidate | None, ...]
    """Per template fiducial, the candidate it was matched to (None: not among them)."""


def _points(candidates: Sequence[FiducialCandidate]) -> FloatArray:
    return np.array([(c.x, c.y) for c in candidates], dtype=np.float64)


def _anchors(template: PageTemplate) -> FloatArray:
    return np.array([f.anchor for f in template.fiducials], dtype=np.float64)


def _square_side_mm(template: PageTemplate) -> float:
    return float(np.mean([f.size for f in template.fiducials])) / 2.0


def _is_convex(points: FloatArray) -> bool:
    edges = np.roll(points, -1, axis=0) - points
    following = np.roll(edges, -1, axis=0)
    cross = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    return bool(np.all(cross > 0))


def _fitting_pairs(
    candidates: Sequence[FiducialCandidate], template: PageTemplate
) -> NDArray[np.bool_]:
    """Which two candidates could be two fiducials of one page, by size and spacing."""
    anchors = _anchors(template)
    square_mm = _square_side_mm(template)
    spans = [float(np.hypot(*(a - b))) for a, b in itertools.combinations(anchors, 2)]
    low, high = 0.4 * min(spans) / square_mm, 2.5 * max(spans) / square_mm
    points = _points(candidates)
    sides = np.array([c.side for c in candidates])
    mean_side = (sides[:, None] + sides[None, :]) / 2
    distance = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    size_ratio = np.maximum(sides[:, None], sides[None, :]) / np.minimum(sides[:, None], sides)
    fits: NDArray[np.bool_] = (
        (distance / mean_side > low) & (distance / mean_side < high) & (size_ratio < 2.5)
    )
    return fits


def _cliques(fits: NDArray[np.bool_], size: int) -> list[tuple[int, ...]]:
    """All sets of `size` candidates that fit pairwise."""
    found: list[tuple[int, ...]] = []

    def extend(chosen: tuple[int, ...], pool: NDArray[np.intp]) -> None:
        if len(chosen) == size:
            found.append(chosen)
            return
        for index in pool:
            later = pool[pool > index]
            extend((*chosen, int(index)), later[fits[index, later]])

    extend((), np.arange(fits.shape[0]))
    return found


def _hypothesis(
    candidates: Sequence[FiducialCandidate],
    template: PageTemplate,
    slots: Sequence[int],
    chosen: Sequence[int],
) -> _Hypothesis | None:
    """Map template fiducials `slots` onto candidates `chosen`; None if sizes disagree."""
    anchors = _anchors(template)[list(slots)].astype(np.float32)
    points = _points(candidates)[list(chosen)].astype(np.float32)
    if len(slots) == 4:
        homography = cv2.getPerspectiveTransform(anchors, points).astype(np.float64)
    else:
        affine = cv2.getAffineTransform(anchors, points).astype(np.float64)
        homography = np.vstack([affine, [0.0, 0.0, 1.0]])
    if np.linalg.det(homography[:2, :2]) <= 0 or _anisotropy(homography, template) > 2.0:
        return None
    square_mm = _square_side_mm(template)
    errors = [
        abs(np.log(candidates[c].side / (local_scale(homography, a) * square_mm)))
        for c, a in zip(chosen, _anchors(template)[list(slots)], strict=True)
    ]
    if max(errors) > np.log(2.0):
        return None
    by_slot: list[FiducialCandidate | None] = [None] * len(template.fiducials)
    for slot, c in zip(slots, chosen, strict=True):
        by_slot[slot] = candidates[c]
    quality = float(np.mean([candidates[c].score for c in chosen]))
    scale = local_scale(homography, np.array(template.page_size) / 2)
    small = 2.0 * max(0.0, float(np.log(COMFORTABLE_PX_PER_MM / scale)))
    return _Hypothesis(float(np.mean(errors)) + quality + small, homography, tuple(by_slot))


def _anisotropy(homography: FloatArray, template: PageTemplate) -> float:
    """How unequally the map stretches two directions at the page centre (1 = evenly)."""
    centre = np.array(template.page_size) / 2
    mapped = project(homography, centre + np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    jacobian = np.column_stack([mapped[1] - mapped[0], mapped[2] - mapped[0]])
    singular = np.linalg.svd(jacobian, compute_uv=False)
    return float(singular[0] / max(singular[1], 1e-9))


def _clockwise(points: FloatArray) -> NDArray[np.intp]:
    centre = points.mean(axis=0)
    order: NDArray[np.intp] = np.argsort(
        np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    )
    return order


def _page_hypotheses(
    candidates: Sequence[FiducialCandidate], template: PageTemplate, corners: int
) -> list[_Hypothesis]:
    """Pages spanned by `corners` (4 or 3) candidates, in every rotation, best first."""
    if len(candidates) < corners:
        return []
    slot_count = len(template.fiducials)
    hypotheses = []
    for combo in _cliques(_fitting_pairs(candidates, template), corners):
        points = _points(candidates)[list(combo)]
        order = _clockwise(points)
        if corners == 4 and not _is_convex(points[order]):
            continue
        ordered = [combo[int(i)] for i in order]
        for missing in range(slot_count) if corners < slot_count else [None]:
            slots = [s for s in range(slot_count) if s != missing]
            for turn in range(corners):
                chosen = [ordered[(k + turn) % corners] for k in range(corners)]
                hypothesis = _hypothesis(candidates, template, slots, chosen)
                if hypothesis is not None:
                    hypotheses.append(hypothesis)
    hypotheses.sort(key=lambda h: h.score)
    return hypotheses


def _tag_region(template: PageTemplate, margin_ratio: float) -> Box:
    corners = np.array(template.apriltag.corners)
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    margin = margin_ratio * max(x1 - x0, y1 - y0)
    return (x0 - margin, y0 - margin, x1 + margin, y1 + margin)


def _tag_agrees(tag: TagDetection, template: PageTemplate, homography: FloatArray) -> bool:
    """The tag's corners, in order, fall near the template's tag corners."""
    inverse = np.linalg.inv(homography)
    found = project(inverse, np.array(tag.corners))
    expected = np.array(template.apriltag.corners)
    size = float(np.ptp(expected[:, 0]))
    return bool(np.max(np.hypot(*(found - expected).T)) < 0.3 * size)


def _by_tag(templates: Sequence[PageTemplate]) -> dict[int, PageTemplate]:
    return {t.apriltag.id: t for t in templates}


def _confirm_with_tag(
    gray: NDArray[np.uint8],
    hypotheses: list[_Hypothesis],
    templates: Sequence[PageTemplate],
    rectify: bool,
) -> tuple[PageTemplate, _Hypothesis, TagDetection] | int | None:
    """The first hypothesis that finds a known tag where it predicts one; otherwise the
    id of an unknown tag seen, or None.

    A four-fiducial hypothesis knows the perspective, so its tag region is rectified and
    searched alone. A three-fiducial one does not: a wide window of the photo around the
    predicted tag is searched, and windows already searched are not searched again."""
    known = _by_tag(templates)
    reference = templates[0]
    tag_centre = np.array(reference.apriltag.corners).mean(axis=0)
    searched: list[tuple[FloatArray, float, list[TagDetection]]] = []
    unknown: int | None = None
    attempts = MAX_TAG_ATTEMPTS if rectify else 5 * MAX_TAG_ATTEMPTS
    for hypothesis in hypotheses[:attempts]:
        if rectify:
            tags = detect_tag_in_region(gray, hypothesis.homography, _tag_region(reference, 0.5))
        else:
            centre = project(hypothesis.homography, tag_centre[None, :])[0]
            radius = 0.3 * local_scale(hypothesis.homography, tag_centre) * min(reference.page_size)
            seen = [t for c, r, t in searched if np.hypot(*(c - centre)) < 0.5 * r]
            if seen:
                tags = seen[0]
            elif len(searched) < MAX_TAG_ATTEMPTS:
                tags = detect_tags_near(gray, (float(centre[0]), float(centre[1])), radius)
                searched.append((centre, radius, tags))
            else:
                continue
        for tag in tags:
            template = known.get(tag.id)
            if template is None:
                unknown = tag.id
                continue
            if rectify and _tag_agrees(tag, template, hypothesis.homography):
                return template, hypothesis, tag
            if not rectify:
                homography, residual = _fit(template, list(hypothesis.chosen), tag)
                if residual < MAX_RESIDUAL_MM and _anisotropy(homography, template) < 2.0:
                    return template, _Hypothesis(residual, homography, hypothesis.chosen), tag
    return unknown


def _find_tag_anywhere(gray: NDArray[np.uint8]) -> list[TagDetection]:
    factor = max(1.0, max(gray.shape) / TAG_SEARCH_LONG_SIDE)
    small = gray
    if factor > 1.0:
        size = (round(gray.shape[1] / factor), round(gray.shape[0] / factor))
        small = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return [
        TagDetection(t.id, tuple((x * factor, y * factor) for x, y in t.corners))
        for t in detect_tags(small)
    ]


def _match_to_tag(
    candidates: Sequence[FiducialCandidate], template: PageTemplate, tag: TagDetection
) -> list[FiducialCandidate | None]:
    """Assign candidates to fiducials using the tag alone (at least three must fit)."""
    tag_corners = np.array(template.apriltag.corners)
    from_tag = cv2.getPerspectiveTransform(
        tag_corners.astype(np.float32), np.array(tag.corners, dtype=np.float32)
    ).astype(np.float64)
    tag_centre = np.array(tag.corners).mean(axis=0)
    expected_side = local_scale(from_tag, tag_corners.mean(axis=0)) * _square_side_mm(template)
    options: list[list[FiducialCandidate | None]] = []
    for anchor in _anchors(template):
        predicted = project(from_tag, anchor[None, :])[0] - tag_centre
        slot: list[FiducialCandidate | None] = [None]
        for c in candidates:
            offset = np.array([c.x, c.y]) - tag_centre
            cosine = offset @ predicted / (np.linalg.norm(offset) * np.linalg.norm(predicted))
            length = np.linalg.norm(offset) / np.linalg.norm(predicted)
            sized = 0.4 < c.side / expected_side < 2.5
            if cosine > np.cos(np.deg2rad(30)) and 0.4 < length < 2.5 and sized:
                slot.append(c)
        options.append(slot)
    best: tuple[int, float, list[FiducialCandidate | None]] | None = None
    for choice in itertools.product(*options):
        used = [i for i, c in enumerate(choice) if c is not None]
        if len(used) < 3:
            continue
        _, residual = _fit(template, list(choice), tag)
        if residual > MAX_RESIDUAL_MM:
            continue
        key = (len(used), -residual)
        if best is None or key > (best[0], -best[1]):
            best = (len(used), residual, list(choice))
    return best[2] if best else [None] * len(template.fiducials)


def _fit(
    template: PageTemplate, chosen: list[FiducialCandidate | None], tag: TagDetection
) -> tuple[FloatArray, float]:
    """Least-squares homography from fiducials and tag corners, and its worst residual (mm)."""
    source = [a for a, c in zip(_anchors(template), chosen, strict=True) if c is not None]
    target = [(c.x, c.y) for c in chosen if c is not None]
    source += [np.array(p) for p in template.apriltag.corners]
    target += list(tag.corners)
    src, dst = np.array(source, dtype=np.float64), np.array(target, dtype=np.float64)
    found, _ = cv2.findHomography(src, dst, 0)
    if found is None:
        return np.eye(3), float("inf")
    homography = np.asarray(found, dtype=np.float64)
    back = project(np.linalg.inv(homography), dst)
    return homography, float(np.max(np.hypot(*(back - src).T)))


def _refit_dropping_outliers(
    template: PageTemplate, chosen: list[FiducialCandidate | None], tag: TagDetection
) -> tuple[FloatArray, float, list[FiducialCandidate | None]]:
    homography, residual = _fit(template, chosen, tag)
    while residual > MAX_RESIDUAL_MM and sum(c is not None for c in chosen) > 3:
        trials = []
        for i, c in enumerate(chosen):
            if c is not None:
                fewer = [None if j == i else k for j, k in enumerate(chosen)]
                trials.append((_fit(template, fewer, tag), fewer))
        (homography, residual), chosen = min(trials, key=lambda t: t[0][1])
    return homography, residual, chosen


def _rotation_degrees(homography: FloatArray, template: PageTemplate) -> int:
    centre = np.array(template.page_size) / 2
    ends = project(homography, centre + np.array([[0.0, 0.0], [10.0, 0.0]]))
    dx, dy = ends[1] - ends[0]
    return round(float(np.degrees(np.arctan2(dy, dx))) / 90.0) % 4 * 90


def _notes(
    template: PageTemplate,
    homography: FloatArray,
    chosen: list[FiducialCandidate | None],
    size: tuple[int, int],
) -> tuple[str, ...]:
    notes = []
    for fiducial, candidate in zip(template.fiducials, chosen, strict=True):
        if candidate is None:
            x, y = project(homography, np.array([fiducial.anchor]))[0]
            inside = 0 <= x < size[0] and 0 <= y < size[1]
            why = "not found (hidden, glare or damage)" if inside else "outside the photo"
            notes.append(f"{fiducial.name} fiducial {why}; located from the others and the tag")
    return tuple(notes)


def locate_page(
    image: DecodedImage, templates: Sequence[PageTemplate]
) -> PageLocation | Problem | None:
    """Find one of `templates` in the photo. None when no page marker was found at all
    (the caller decides whether the photo is too dark, too blurred or not a form)."""
    gray = image.gray
    candidates = find_fiducial_candidates(gray)
    reference = templates[0]
    confirmed = _confirm_with_tag(
        gray, _page_hypotheses(candidates, reference, 4), templates, rectify=True
    )
    if not isinstance(confirmed, tuple):
        three = _page_hypotheses(candidates, reference, 3)
        retried = _confirm_with_tag(gray, three, templates, rectify=False)
        confirmed = retried if retried is not None else confirmed
    if isinstance(confirmed, tuple):
        template, hypothesis, tag = confirmed
        chosen: list[FiducialCandidate | None] = list(hypothesis.chosen)
    else:
        known = _by_tag(templates)
        tags = _find_tag_anywhere(gray)
        ours = [t for t in tags if t.id in known]
        if not ours:
            unknown = confirmed if confirmed is not None else (tags[0].id if tags else None)
            if unknown is None:
                return None
            return Problem("not_a_form", f"AprilTag id {unknown} is not a page of this form")
        tag = ours[0]
        template = known[tag.id]
        chosen = _match_to_tag(candidates, template, tag)
        if sum(c is not None for c in chosen) < 3:
            return Problem(
                "page_incomplete",
                f"page {template.page} found (AprilTag {tag.id}) but fewer than three corner "
                "fiducials are visible, so it cannot be located reliably",
                page=template.page,
            )
    homography, residual, chosen = _refit_dropping_outliers(template, chosen, tag)
    if residual > MAX_RESIDUAL_MM:
        return Problem(
            "page_incomplete",
            f"page {template.page}: fiducials and tag disagree by {residual:.1f} mm "
            "(folded, curled or a different layout)",
            page=template.page,
        )
    size = (gray.shape[1], gray.shape[0])
    return PageLocation(
        template=template,
        homography=homography,
        image_size=size,
        fiducials_used=tuple(
            f.name for f, c in zip(template.fiducials, chosen, strict=True) if c is not None
        ),
        residual_mm=residual,
        px_per_mm=local_scale(homography, np.array(template.page_size) / 2),
        rotation_degrees=_rotation_degrees(homography, template),
        notes=_notes(template, homography, chosen, size),
    )
