"""Locate stage: which page is this, and where is it in the photo?

1. Find fiducial candidates (pairs of diagonal squares): first in the photo's four
   corners, where they are when the page fills most of the photo, then anywhere.
2. Form page hypotheses from four candidates (every rotation), and confirm the first whose
   tag region holds one of the templates' AprilTags: the tag's id names the page.
3. Fallback when a fiducial is hidden or cut off: look for the tag next to each candidate
   (the tag is printed near a corner), then in the whole photo, and match at least three
   fiducials to it.
4. Fit the homography (template mm -> photo pixels) to all fiducials and tag corners
   found, and drop a fiducial that disagrees with the others.
5. Check the fit against marks it never saw: the digit boxes' printed frames must lie where
   it puts them (`rekap.reading.frame_check`); a hypothesis that fails is passed over.
6. Refuse the photo when a second page of the form lies clear of the located one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.apriltag import TagDetection, detect_tags, detect_tags_near
from rekap.reading.decode import DecodedImage
from rekap.reading.fiducials import (
    MAX_CANDIDATES,
    FiducialCandidate,
    find_fiducial_candidates,
    threshold_block,
)
from rekap.reading.frame_check import FrameCheck, check_frames
from rekap.reading.geometry import FloatArray, local_scale, project
from rekap.reading.hypotheses import anchors_of, page_hypotheses, points_of, square_side_mm
from rekap.reading.problem import Problem
from rekap.reading.tag_check import check_tag
from rekap.reading.template import PageTemplate

MAX_RESIDUAL_MM = 4.0
"""A fiducial further than this from where the others put it is not used."""
TAG_SEARCH_LONG_SIDE = 1600
MAX_TAG_QUADS = 1200
"""The tag is not looked for in the whole photo when it holds more four-sided outlines than
this (graph paper, a grid of boxes): the detector costs ~5 ms an outline there (6,600 took
34 s), while form photos measured hold at most ~250 (0.6 s)."""
MAX_TAG_ATTEMPTS = 8
CORNER_SHARE = 1 / 3
"""Fiducials are first looked for in the photo's four corners, each this share of its
width and height: where they are when the page fills most of the photo."""
LOCATE_LONG_SIDE = 1200
"""Next, fiducials are looked for in a copy this size (enough when the page fills most of
the photo); the full decoded image is searched only when that fails too."""
ENLARGE_BELOW = 1500
ENLARGE_FACTOR = 2
"""A photo decoded at full size whose long side is under ENLARGE_BELOW pixels (a copy sent
through a messaging app) is, when four fiducials and the tag are not found otherwise,
searched again ENLARGE_FACTOR times larger: its fiducial squares may be only 4-6 pixels."""
OUTSIDE_MM = 30.0
"""Fiducial candidates further than this outside the located page may be another page's."""
SECOND_TAG_WINDOWS = 3
"""A second page's tag is looked for next to at most this many candidates clear of the
located page (a few milliseconds each)."""
TAG_WINDOW_SIDES = 16.0
"""The tag is printed within this many fiducial square sides of the top-right fiducial."""


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


Chosen = list[FiducialCandidate | None]


def _by_tag(templates: Sequence[PageTemplate]) -> dict[int, PageTemplate]:
    return {t.apriltag.id: t for t in templates}


@dataclass(frozen=True, eq=False)
class _Fit:
    """A page hypothesis fitted to its fiducials and tag, and checked against its frames."""

    template: PageTemplate
    chosen: Chosen
    tag: TagDetection
    homography: FloatArray
    residual: float
    frames: FrameCheck

    @property
    def sound(self) -> bool:
        return self.residual <= MAX_RESIDUAL_MM and self.frames.passed


def _fit_page(
    gray: NDArray[np.uint8], template: PageTemplate, chosen: Chosen, tag: TagDetection
) -> _Fit:
    homography, residual, chosen = _refit_dropping_outliers(template, chosen, tag)
    frames = check_frames(gray, homography, template)
    return _Fit(template, chosen, tag, homography, residual, frames)


def _confirmed(
    gray: NDArray[np.uint8],
    candidates: Sequence[FiducialCandidate],
    templates: Sequence[PageTemplate],
) -> _Fit | int | None:
    """The first four-fiducial hypothesis whose tag is one of the templates' and whose fit
    finds the page's printed frames where it puts them (else the first whose tag is, to
    report); else the id of another form's tag seen on the way, or None. The tag lies next
    to one fiducial, so a wrong mark taken for a far one still reads it: only the frames
    tell such a hypothesis from the right one."""
    unknown: int | None = None
    unsound: _Fit | None = None
    for hypothesis in page_hypotheses(candidates, templates[0])[:MAX_TAG_ATTEMPTS]:
        check = check_tag(gray, hypothesis.homography, templates)
        if check.tag is not None:
            template = _by_tag(templates)[check.tag.id]
            fit = _fit_page(gray, template, list(hypothesis.chosen), check.tag)
            if fit.sound:
                return fit
            unsound = unsound or fit
        unknown = check.unknown_id if check.unknown_id is not None else unknown
    return unsound or unknown


def _tags_near_candidates(
    gray: NDArray[np.uint8], candidates: Sequence[FiducialCandidate]
) -> list[TagDetection]:
    """Tags found in windows around the best candidates (any may be the tag's corner)."""
    found: list[TagDetection] = []
    for candidate in candidates[:MAX_TAG_ATTEMPTS]:
        radius = TAG_WINDOW_SIDES * candidate.side
        found += detect_tags_near(gray, (candidate.x, candidate.y), radius)
        if found:
            break
    return found


def _find_tag_anywhere(gray: NDArray[np.uint8]) -> list[TagDetection]:
    factor = max(1.0, max(gray.shape) / TAG_SEARCH_LONG_SIDE)
    small = gray
    if factor > 1.0:
        size = (round(gray.shape[1] / factor), round(gray.shape[0] / factor))
        small = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    if _quadrilaterals(small) > MAX_TAG_QUADS:
        return []
    return [
        TagDetection(t.id, tuple((x * factor, y * factor) for x, y in t.corners))
        for t in detect_tags(small)
    ]


def _quadrilaterals(gray: NDArray[np.uint8]) -> int:
    """Convex four-sided outlines in the image: what the tag detector examines one by one."""
    binary = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 13, 7
    )
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    count = 0
    for contour in contours:
        length = cv2.arcLength(contour, True) if len(contour) >= 4 else 0.0
        if length >= 40.0:
            outline = cv2.approxPolyDP(contour, 0.05 * length, True)
            count += len(outline) == 4 and cv2.isContourConvex(outline)
    return count


def _slots(
    candidates: Sequence[FiducialCandidate], template: PageTemplate, tag: TagDetection
) -> list[Chosen]:
    """For each fiducial, ``None`` and the candidates lying where the tag predicts it."""
    tag_corners = np.array(template.apriltag.corners)
    from_tag = _affine(tag_corners, np.array(tag.corners, dtype=np.float64))
    tag_centre = np.array(tag.corners).mean(axis=0)
    expected_side = local_scale(from_tag, tag_corners.mean(axis=0)) * square_side_mm(template)
    options: list[Chosen] = []
    for anchor in anchors_of(template):
        predicted = project(from_tag, anchor[None, :])[0] - tag_centre
        slot: Chosen = [None]
        for c in candidates:
            offset = np.array([c.x, c.y]) - tag_centre
            cosine = offset @ predicted / (np.linalg.norm(offset) * np.linalg.norm(predicted))
            length = np.linalg.norm(offset) / np.linalg.norm(predicted)
            sized = 0.4 < c.side / expected_side < 2.5
            if cosine > np.cos(np.deg2rad(30)) and 0.4 < length < 2.5 and sized:
                slot.append(c)
        options.append(slot)
    return options


def _match_to_tag(options: Sequence[Chosen], template: PageTemplate, tag: TagDetection) -> Chosen:
    """Assign candidates to fiducials using the tag alone (at least three must fit)."""
    best: tuple[int, float, Chosen] | None = None
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


def _affine(source: FloatArray, target: FloatArray) -> FloatArray:
    """The affine map (as 3x3) that fits `source` points to `target` best, least squares.
    From the tag's four corners alone a perspective map is too unstable to carry to the
    page's far corners (a corner off by a pixel moves them by tens); an affine one is not,
    and the windows around each predicted fiducial absorb the perspective it leaves out."""
    design = np.hstack([source, np.ones((len(source), 1))])
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return np.vstack([solution.T, [0.0, 0.0, 1.0]])


def _fit(template: PageTemplate, chosen: Chosen, tag: TagDetection) -> tuple[FloatArray, float]:
    """Least-squares homography from fiducials and tag corners, and its worst residual (mm)."""
    source = [a for a, c in zip(anchors_of(template), chosen, strict=True) if c is not None]
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
    template: PageTemplate, chosen: Chosen, tag: TagDetection
) -> tuple[FloatArray, float, Chosen]:
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
    chosen: Chosen,
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


def _locate_by_tag(
    gray: NDArray[np.uint8],
    candidates: Sequence[FiducialCandidate],
    templates: Sequence[PageTemplate],
    unknown: int | None,
) -> tuple[PageTemplate, Chosen, TagDetection] | Problem | None:
    """Fallback: find the tag first (near candidates, then anywhere), then >= 3 fiducials."""
    known = _by_tag(templates)
    tags = _tags_near_candidates(gray, candidates)
    if not any(t.id in known for t in tags):
        tags += _find_tag_anywhere(gray)
    ours = [t for t in tags if t.id in known]
    if not ours:
        other = unknown if unknown is not None else (tags[0].id if tags else None)
        if other is None:
            return None
        return Problem("not_a_form", f"AprilTag id {other} is not a page of this form")
    tag = ours[0]
    template = known[tag.id]
    options = _slots(candidates, template, tag)
    chosen = _match_to_tag(options, template, tag)
    if sum(c is not None for c in chosen) < 3:
        missing = [
            f.name.replace("_", " ")
            for f, slot in zip(template.fiducials, options, strict=True)
            if len(slot) == 1
        ]
        seen = f"not found: {', '.join(missing)}" if missing else "those found do not fit the tag"
        return Problem(
            "page_incomplete",
            f"page {template.page} found (AprilTag {tag.id}) but fewer than three corner "
            f"fiducials are visible ({seen}), so it cannot be located reliably: photograph "
            "the whole page again, flat, with all four corners in the frame and nothing over "
            "them",
            page=template.page,
        )
    return template, chosen, tag


def _small_copy(gray: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], float] | None:
    """A copy of about LOCATE_LONG_SIDE pixels and its scale; None if no copy is needed."""
    factor = LOCATE_LONG_SIDE / max(gray.shape)
    if factor > 0.8:
        return None
    size = (round(gray.shape[1] * factor), round(gray.shape[0] * factor))
    small = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return small, factor


def _enlarged(gray: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The photo ENLARGE_FACTOR times larger: a small photo's fiducial squares are then
    large enough to survive the search's opening and size limits."""
    size = (gray.shape[1] * ENLARGE_FACTOR, gray.shape[0] * ENLARGE_FACTOR)
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)


def _scaled(candidates: Sequence[FiducialCandidate], factor: float) -> list[FiducialCandidate]:
    """Candidates found in a copy scaled by `factor`, in the photo's pixels."""
    return [
        replace(c, x=(c.x + 0.5) / factor - 0.5, y=(c.y + 0.5) / factor - 0.5, side=c.side / factor)
        for c in candidates
    ]


def _corner_parts(shape: tuple[int, ...]) -> list[tuple[slice, slice]]:
    """The four corner parts of an image of `shape`, as (rows, columns)."""
    height, width = shape[:2]
    rows, columns = round(height * CORNER_SHARE), round(width * CORNER_SHARE)
    return [
        (slice(top, top + rows), slice(left, left + columns))
        for top in (0, height - rows)
        for left in (0, width - columns)
    ]


def _far_from_cuts(
    candidate: FiducialCandidate, part: tuple[slice, slice], shape: tuple[int, ...]
) -> bool:
    """Whether a candidate (photo pixels) found in a `part` of the photo lies so far inside
    each edge that cuts through the photo that it is found there exactly as in the whole
    photo: beyond the threshold's neighbourhood and the clutter rings around it."""
    margin = threshold_block(shape) // 2 + 3.0 * candidate.side + 4.0
    for span, position, size in zip(part, (candidate.y, candidate.x), shape[:2], strict=True):
        start, stop = int(span.start), int(span.stop)
        if start > 0 and position < start + margin:
            return False
        if stop < size and position >= stop - margin:
            return False
    return True


def _candidates_in_corners(gray: NDArray[np.uint8]) -> list[FiducialCandidate]:
    """Candidates found in the four corners of the photo (photo pixels), best first; none
    as soon as one corner holds none: the four fiducials of a page large enough to read
    lie one in each corner when the page fills the photo, and when it does not, the
    whole photo is searched next anyway (of 261 photos measured, every one whose page the
    corners confirmed had a candidate in each corner, and every other had an empty one)."""
    found: list[FiducialCandidate] = []
    for part in _corner_parts(gray.shape):
        rows, columns = part
        moved = [
            replace(c, x=c.x + columns.start, y=c.y + rows.start)
            for c in find_fiducial_candidates(gray[part], gray.shape)
        ]
        kept = [c for c in moved if _far_from_cuts(c, part, gray.shape)]
        if not kept:
            return []
        found.extend(kept)
    found.sort(key=lambda c: c.score)
    return found[:MAX_CANDIDATES]


def _searches(gray: NDArray[np.uint8], enlarge: bool) -> Iterator[list[FiducialCandidate]]:
    """Candidates to try in turn, in photo pixels: from the corners, then the whole, of a
    copy of about LOCATE_LONG_SIDE pixels (of the photo itself when it is no larger than
    that), then of the whole photo when a copy was searched; last, with `enlarge`, of a
    small photo enlarged."""
    copy = _small_copy(gray)
    if copy is None:
        yield _candidates_in_corners(gray)
        yield list(find_fiducial_candidates(gray))
        if enlarge and max(gray.shape) < ENLARGE_BELOW:
            yield _scaled(find_fiducial_candidates(_enlarged(gray)), ENLARGE_FACTOR)
        return
    small, factor = copy
    yield _scaled(_candidates_in_corners(small), factor)
    yield _scaled(find_fiducial_candidates(small), factor)
    yield list(find_fiducial_candidates(gray))


def _first_confirmed(
    gray: NDArray[np.uint8], templates: Sequence[PageTemplate], enlarge: bool
) -> tuple[_Fit | int | None, list[FiducialCandidate]]:
    """The first page confirmed by four fiducials, its tag and its frames (else the first
    confirmed by its fiducials and tag alone), and the candidates of the search that found
    it (of the last search when none did: for the fallbacks)."""
    found: _Fit | int | None = None
    kept: list[FiducialCandidate] = []
    for kept in _searches(gray, enlarge):
        confirmed = _confirmed(gray, kept, templates)
        if isinstance(confirmed, _Fit) and confirmed.sound:
            return confirmed, kept
        found = found if isinstance(found, _Fit) else confirmed
    return found, kept


def _outside(candidates: Sequence[FiducialCandidate], fit: _Fit) -> list[FiducialCandidate]:
    """Candidates lying clear of the located page (further out than OUTSIDE_MM)."""
    if not candidates:
        return []
    back = project(np.linalg.inv(fit.homography), points_of(candidates))
    width, height = fit.template.page_size
    clear = (
        (back[:, 0] < -OUTSIDE_MM)
        | (back[:, 0] > width + OUTSIDE_MM)
        | (back[:, 1] < -OUTSIDE_MM)
        | (back[:, 1] > height + OUTSIDE_MM)
        | ~np.isfinite(back).all(axis=1)
    )
    return [c for c, outside in zip(candidates, clear, strict=True) if outside]


def _fiducial_sized(candidates: Sequence[FiducialCandidate], fit: _Fit) -> list[FiducialCandidate]:
    """Candidates about as large as the located page's fiducials."""
    side = square_side_mm(fit.template) * local_scale(
        fit.homography, np.array(fit.template.page_size) / 2
    )
    return [c for c in candidates if 0.5 < c.side / side < 2.0]


def _second_page(
    gray: NDArray[np.uint8],
    candidates: Sequence[FiducialCandidate],
    fit: _Fit,
    templates: Sequence[PageTemplate],
) -> bool:
    """Whether another page of the form lies beside the located one: four of the
    candidates clear of the located page form a page whose tag is one of the templates',
    or one of the templates' tags lies clear of it next to such a candidate (a page one of
    whose fiducials was not found). Costs nothing when no candidate lies clear of the page."""
    others = _fiducial_sized(_outside(candidates, fit), fit)
    for hypothesis in page_hypotheses(others, templates[0])[:MAX_TAG_ATTEMPTS]:
        if check_tag(gray, hypothesis.homography, templates).tag is not None:
            return True
    known = _by_tag(templates)
    back = np.linalg.inv(fit.homography)
    width, height = fit.template.page_size
    for candidate in others[:SECOND_TAG_WINDOWS]:
        radius = TAG_WINDOW_SIDES * candidate.side
        for tag in detect_tags_near(gray, (candidate.x, candidate.y), radius):
            x, y = project(back, np.array(tag.corners).mean(axis=0))[0]
            if tag.id in known and not (0 <= x <= width and 0 <= y <= height):
                return True
    return False


def _unsound(fit: _Fit) -> Problem:
    page = fit.template.page
    if fit.residual > MAX_RESIDUAL_MM:
        return Problem(
            "page_incomplete",
            f"page {page}: fiducials and tag disagree by {fit.residual:.1f} mm "
            "(folded, curled or a different layout)",
            page=page,
        )
    return Problem(
        "page_incomplete",
        f"page {page} found (AprilTag {fit.tag.id}) but its printed boxes are not where its "
        f"corner fiducials put them ({fit.frames.in_place} of {fit.frames.fields} fields "
        "found in place): a mark was taken for a fiducial, or the page is folded; "
        "photograph the whole page again, flat, with all four corners in the frame",
        page=page,
    )


def locate_page(
    image: DecodedImage, templates: Sequence[PageTemplate], *, thorough: bool = True
) -> PageLocation | Problem | None:
    """Find one of `templates` in the photo. None when no page marker was found at all
    (the caller decides whether the photo is too dark, too blurred or not a form).
    Without `thorough`, only the fast way is tried: four fiducials and the tag."""
    gray = image.gray
    # a photo decoded reduced is decoded larger by the caller before it is enlarged here
    confirmed, candidates = _first_confirmed(gray, templates, image.reduction == 1)
    fit = confirmed if isinstance(confirmed, _Fit) else None
    if (fit is None or not fit.sound) and not thorough:
        return None if fit is None else _unsound(fit)
    if fit is None or not fit.sound:
        unknown = None if isinstance(confirmed, _Fit) else confirmed
        fallback = _locate_by_tag(gray, candidates, templates, unknown)
        if fallback is None or isinstance(fallback, Problem):
            return _unsound(fit) if fit is not None else fallback
        by_tag = _fit_page(gray, *fallback)
        fit = by_tag if by_tag.sound or fit is None else fit
        if not fit.sound:
            return _unsound(fit)
    elif _second_page(gray, candidates, fit, templates):
        return Problem("unreadable", "two pages in one photo: photograph each page on its own")
    template, homography, chosen = fit.template, fit.homography, fit.chosen
    size = (gray.shape[1], gray.shape[0])
    return PageLocation(
        template=template,
        homography=homography,
        image_size=size,
        fiducials_used=tuple(
            f.name for f, c in zip(template.fiducials, chosen, strict=True) if c is not None
        ),
        residual_mm=fit.residual,
        px_per_mm=local_scale(homography, np.array(template.page_size) / 2),
        rotation_degrees=_rotation_degrees(homography, template),
        notes=_notes(template, homography, chosen, size),
    )
