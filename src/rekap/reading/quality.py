"""Photo quality measures, used to say *why* no page could be found in a photo.

The smear of a photo (`measure_smear`) is the blur effect of Crete-Roffet, Dolmiere, Ladret
and Nicolas ("The Blur Effect: Perception and Estimation with a New No-Reference Perceptual
Blur Metric", SPIE Electronic Imaging 2007), taken along each of 8 directions instead of
across rows and columns: the photo is blurred again along the direction, and the share of
its variation along it that survives tells how blurred it already was (a sharp edge loses
most of its gradient, an edge already smeared loses little)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.fiducials import find_fiducial_candidates
from rekap.reading.hypotheses import page_hypotheses
from rekap.reading.locate import LOCATE_LONG_SIDE
from rekap.reading.percentiles import row_percentile
from rekap.reading.problem import Problem
from rekap.reading.template import PageTemplate, load_form_templates

MEASURE_LONG_SIDE = 1000
"""Sharpness is measured at this size so that it does not depend on the photo's size."""
TOO_DARK_BRIGHT_LEVEL = 60.0
TOO_BRIGHT_DARK_LEVEL = 200.0
MIN_CONTRAST = 40.0
SMALL_PHOTO_LONG_SIDE = 1000
"""A photo smaller than this on its long side (a copy sent through a messaging app) may
hold a page whose marks are too small to find; the reason then says so."""
MIN_SHARPNESS = 0.1
"""Sharp phone photos of a form measure 0.3-0.8; a Gaussian blur of 2 px (at 1000 px)
brings them below 0.15, where fiducials and the tag are no longer found."""


MIN_DIGIT_SHARPNESS = 2.0
"""Median sharpness of a page's digit boxes (`digit_box_sharpness`) below which the page is
refused as too blurred to read. Measured (2026-11-21, `bench/photo_conditions.py` and the
simulator): phone photos of forms, real and simulated, give 2.7-3.8; the same photos made
1600 pixels long and blurred with a Gaussian of sigma 2 give 1.8-2.2, and there the
classifier read blank boxes as 0 and 7 as 0 in tied fields, which the arithmetic could not
catch."""
_BOX_SIDE = 32

SMEAR_DIRECTIONS = 8
"""Directions the smear is measured along, 22.5 degrees apart."""
SMEAR_REBLUR_PX = 9
"""Length of the streak the photo is blurred again with (at the 1000 px measuring size)."""
SMEAR_EDGE_STEP = 0.05
"""Pixels whose gradient is at least this share of the contrast per pixel are measured."""
MIN_SMEAR = 0.5
"""A photo with no page found whose smear reaches this along a direction that carries a fair
share of its detail is called blurred by motion. Measured (2026-11-22) at 1000 px: 43 sharp
photos of forms (the 5 kawalc1 photos and 10 simulated pages, full size, 1,600 and 1,024 px)
0.15-0.34; sharp non-forms (text documents, noise, a grid of boxes, shapes) 0.12-0.39; photos
of forms streaked by 8-20 px (at 1000 px, a straight or a wandering path) that the reader did
not locate 0.28-0.91, 111 of 183 at or above it (the rest keep `not_a_form`)."""
MIN_SMEAR_SPREAD = 0.1
"""...and a motion smears one way more than the others: the smear must exceed the least
smeared direction (among those carrying detail) by this much. Soft, evenly blurred pictures
(clouds, a smooth ripple: spread 0.02-0.06) are left to `MIN_SHARPNESS`."""
MIN_CROSS_DETAIL = 0.15
"""...and the photo must have detail across every direction (least over most gradient, summed
over the measured pixels): stripes, blinds and grain (0.004-0.17 sharp; stripes turned 30
degrees 0.13, smear 0.64) have nearly none along their lines and must stay `not_a_form`;
streaked forms not located 0.06-0.87, most above 0.2."""
MIN_SMEAR_EDGES = 0.005
"""Share of the photo's pixels that must be measured: a plain surface gives none."""


@dataclass(frozen=True)
class ImageQuality:
    median_level: float
    dark_level: float
    """1st percentile of the grey levels (0 black .. 255 white)."""
    bright_level: float
    """99th percentile of the grey levels."""
    sharpness: float
    """Strong edges (99.5th percentile of the Laplacian) relative to the contrast."""
    smear: Smear | None = None


@dataclass(frozen=True)
class PageMarks:
    """What a photo in which no page was located shows of a page's printed marks, to say
    truly why it was not located."""

    corner_fiducials: bool
    """Four marks lie as the corner fiducials of a page do."""
    mirrored: bool
    """...but only in the photo's mirror image."""


@dataclass(frozen=True)
class Smear:
    """How the photo is blurred along directions (`measure_smear`)."""

    smear: float
    """The largest blur effect (0 sharp .. 1 no sharp detail) over the directions carrying at
    least 40 % of the most detailed direction's gradient."""
    spread: float
    """`smear` less the least blur effect over those directions."""
    cross_detail: float
    """The least detailed direction's summed gradient over the most detailed one's."""
    edges: float
    """Share of the pixels measured."""
    angle_degrees: float
    """The most smeared direction (0: along the rows, 90: down the columns)."""

    @property
    def motion_blurred(self) -> bool:
        return (
            self.edges >= MIN_SMEAR_EDGES
            and self.smear >= MIN_SMEAR
            and self.spread >= MIN_SMEAR_SPREAD
            and self.cross_detail >= MIN_CROSS_DETAIL
        )


def assess_quality(gray: NDArray[np.uint8]) -> ImageQuality:
    factor = MEASURE_LONG_SIDE / max(gray.shape)
    small = gray
    if factor < 1.0:
        small = np.asarray(
            cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA),
            dtype=np.uint8,
        )
    dark, median, bright = (float(v) for v in np.percentile(small, [1, 50, 99]))
    laplacian = np.abs(cv2.Laplacian(small, cv2.CV_32F))
    edges = float(np.percentile(laplacian, 99.5))
    return ImageQuality(
        median_level=median,
        dark_level=dark,
        bright_level=bright,
        sharpness=edges / max(bright - dark, 1.0),
        smear=measure_smear(small, bright - dark),
    )


def find_page_marks(
    gray: NDArray[np.uint8], templates: Sequence[PageTemplate] | None = None
) -> PageMarks:
    """Whether four of the photo's marks lie as a page's corner fiducials do, with the form's
    digit boxes printed where they put them (so that a page of text, whose letters may pass
    for fiducials, does not count), in the photo or in its mirror image. The marks are looked
    for as locating looks (in a copy of ``LOCATE_LONG_SIDE`` pixels, then in the photo); this
    is spent only on a photo whose page was not located (a few milliseconds at 3 MP, up to a
    second at 12 MP when nothing is found)."""
    pages = templates or load_form_templates()
    for mirrored, image in ((False, gray), (True, np.ascontiguousarray(gray[:, ::-1]))):
        factor = min(1.0, LOCATE_LONG_SIDE / max(image.shape))
        scales = [1.0] if factor > 0.8 else [factor, 1.0]
        for scale in scales:
            copy = image if scale == 1.0 else _resized(image, scale)
            to_photo = np.diag([1.0 / scale, 1.0 / scale, 1.0])
            hypotheses = page_hypotheses(find_fiducial_candidates(copy), pages[0])
            for hypothesis in hypotheses[:MAX_MARK_HYPOTHESES]:
                if _boxes_printed(image, to_photo @ hypothesis.homography, pages):
                    return PageMarks(corner_fiducials=True, mirrored=mirrored)
    return PageMarks(corner_fiducials=False, mirrored=False)


MAX_MARK_HYPOTHESES = 8
"""Page hypotheses tried for the boxes (as many as locating tries for the tag)."""
MIN_BOXES_PRINTED = 0.6
"""Share of a page's digit boxes whose printed border must be found where a hypothesis puts
it for its four marks to count as the page's corner fiducials."""
_BORDER_SAMPLES = 12


def _resized(gray: NDArray[np.uint8], factor: float) -> NDArray[np.uint8]:
    return np.asarray(
        cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), np.uint8
    )


def _ring(box: tuple[float, float, float, float], grow: float) -> NDArray[np.float64]:
    """Points (mm) along the outline of ``box`` grown by ``grow`` mm on every side."""
    x0, y0, x1, y1 = box[0] - grow, box[1] - grow, box[2] + grow, box[3] + grow
    t = (np.arange(_BORDER_SAMPLES) + 0.5) / _BORDER_SAMPLES
    xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    return np.concatenate(
        [
            np.stack([xs, np.full_like(xs, y0)], 1),
            np.stack([xs, np.full_like(xs, y1)], 1),
            np.stack([np.full_like(ys, x0), ys], 1),
            np.stack([np.full_like(ys, x1), ys], 1),
        ]
    )


def _boxes_printed(
    gray: NDArray[np.uint8], homography: NDArray[np.float64], pages: Sequence[PageTemplate]
) -> bool:
    """Whether, for one of ``pages``, most digit boxes' printed borders (``homography``: page
    mm to photo pixels) are darker than the paper on either side of them."""
    for page in pages:
        boxes = [box for field in page.fields for box in field.digit_boxes]
        if not boxes:
            continue
        rings = []
        for box in boxes:
            border = (np.array(box.outer) + np.array(box.inner)) / 2
            rings += [_ring(tuple(border), grow) for grow in (-2.0, 0.0, 1.2)]
        points = np.concatenate(rings).reshape(-1, 1, 2)
        photo = cv2.perspectiveTransform(points, homography).reshape(-1, 2).astype(np.float32)
        levels = cv2.remap(
            gray, photo[:, 0:1], photo[:, 1:2], cv2.INTER_LINEAR, borderValue=0
        ).reshape(len(boxes), 3, -1)
        inside, border, outside = (np.median(levels[:, k], axis=1) for k in range(3))
        paper = np.minimum(inside, outside).astype(np.float64)
        printed = (border.astype(np.float64) < 0.8 * paper) & (paper > 0)
        if float(printed.mean()) >= MIN_BOXES_PRINTED:
            return True
    return False


def _streak(angle: float) -> NDArray[np.float32]:
    """A straight streak of `SMEAR_REBLUR_PX` pixels at `angle` (radians), summing to 1."""
    size = SMEAR_REBLUR_PX | 1
    centre, half = size // 2, (SMEAR_REBLUR_PX - 1) / 2
    dx, dy = half * np.cos(angle), half * np.sin(angle)
    kernel = np.zeros((size, size), np.float32)
    start = (round(centre - dx), round(centre - dy))
    end = (round(centre + dx), round(centre + dy))
    cv2.line(kernel, start, end, 1.0, 1, cv2.LINE_AA)
    return np.asarray(kernel / float(kernel.sum()), np.float32)


def _gradient(image: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    dx = np.asarray(cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3), np.float32) / 8.0
    dy = np.asarray(cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3), np.float32) / 8.0
    return dx, dy


def measure_smear(small: NDArray[np.uint8], contrast: float) -> Smear:
    """The blur effect along `SMEAR_DIRECTIONS` directions of a photo made about 1000 px
    long, over the pixels with a gradient of at least `SMEAR_EDGE_STEP` of the contrast."""
    levels = small.astype(np.float32)
    dx, dy = _gradient(levels)
    m = SMEAR_REBLUR_PX
    inner = (slice(m, -m), slice(m, -m))
    measured = np.hypot(dx, dy)[inner] >= SMEAR_EDGE_STEP * max(contrast, 1.0)
    edges = float(measured.mean()) if measured.size else 0.0
    if not measured.any():
        return Smear(0.0, 0.0, 0.0, edges, 0.0)
    angles = np.arange(SMEAR_DIRECTIONS) * (np.pi / SMEAR_DIRECTIONS)
    blur = np.zeros(SMEAR_DIRECTIONS)
    detail = np.zeros(SMEAR_DIRECTIONS)
    for i, angle in enumerate(angles):
        c, s = float(np.cos(angle)), float(np.sin(angle))
        bx, by = _gradient(np.asarray(cv2.filter2D(levels, -1, _streak(angle)), np.float32))
        sharp = np.abs(c * dx + s * dy)[inner][measured]
        again = np.abs(c * bx + s * by)[inner][measured]
        detail[i] = float(sharp.sum())
        lost = float(np.maximum(sharp - again, 0.0).sum())
        blur[i] = 1.0 - lost / detail[i] if detail[i] > 0 else 1.0
    if detail.max() <= 0:
        return Smear(0.0, 0.0, 0.0, edges, 0.0)
    carrying = detail >= 0.4 * detail.max()
    most = int(np.argmax(np.where(carrying, blur, -1.0)))
    return Smear(
        smear=float(blur[most]),
        spread=float(blur[most] - blur[carrying].min()),
        cross_detail=float(detail.min() / detail.max()),
        edges=edges,
        angle_degrees=float(np.rad2deg(angles[most])),
    )


def explain_missing_page(
    quality: ImageQuality,
    size: tuple[int, int] | None = None,
    find_marks: Callable[[], PageMarks] | None = None,
) -> Problem:
    """The most likely reason why no page marker was found in a photo of this quality;
    ``size``: the photo's (width, height) in pixels, when known."""
    if quality.bright_level < TOO_DARK_BRIGHT_LEVEL:
        return Problem(
            "unreadable",
            f"too dark: even the brightest parts are grey level {quality.bright_level:.0f}/255",
        )
    if quality.dark_level > TOO_BRIGHT_DARK_LEVEL:
        return Problem(
            "unreadable",
            f"washed out: even the darkest parts are grey level {quality.dark_level:.0f}/255",
        )
    contrast = quality.bright_level - quality.dark_level
    if contrast < MIN_CONTRAST:
        return Problem("unreadable", f"too little contrast ({contrast:.0f} grey levels)")
    if quality.sharpness < MIN_SHARPNESS:
        return Problem(
            "unreadable",
            f"too blurred (sharpness {quality.sharpness:.2f}, need {MIN_SHARPNESS:.2f}): "
            "hold the phone still and focus on the form",
        )
    smear = quality.smear
    if smear is not None and smear.motion_blurred:
        return Problem(
            "unreadable",
            f"too blurred: the photo is smeared along one direction (smear {smear.smear:.2f}, "
            f"need below {MIN_SMEAR:.2f}), as when the phone moves while the photo is taken: "
            "hold the phone still (rest your elbows, or lay the form flat and hold the phone "
            "above it) and photograph the form again",
        )
    # looked for only once the photo is known to be neither too dark nor too blurred
    marks = find_marks() if find_marks is not None else None
    if marks is not None and marks.mirrored:
        return Problem(
            "not_a_form",
            "the photo is mirrored (left and right swapped, as some front cameras and editing "
            "apps save a picture): the form's marks and boxes are seen only in its mirror "
            "image, and a mirrored page is not read; send the photo as the camera took it",
        )
    if marks is not None and marks.corner_fiducials:
        return Problem(
            "not_a_form",
            "the page cannot be identified: four marks lie as the form's corner fiducials do, "
            "but no AprilTag of the form (the square code printed near a top corner, which "
            "names the page) can be read: it may be covered (a sticker, a stamp, a finger), "
            "torn or smudged, or this is another document; photograph the page again with "
            "nothing over its tag",
        )
    reason = "no page of the form found: neither its AprilTag nor its corner fiducials are visible"
    if size is not None and max(size) < SMALL_PHOTO_LONG_SIDE:
        reason += (
            f"; the photo is only {size[0]}x{size[1]} pixels: if it shows the form, send the "
            f"camera's own photo (at least {SMALL_PHOTO_LONG_SIDE} pixels on its long side), "
            "not a copy made smaller by a messaging app"
        )
    else:
        reason += (
            "; if it is a page of the C.Hasil form, photograph it again: the whole page, "
            "close enough to fill the frame, sharp"
        )
    return Problem("not_a_form", reason)


def digit_box_sharpness(crops: Sequence[NDArray[np.uint8]]) -> float:
    """How sharp a page's digit boxes are: the median over boxes of the strong edges (98th
    percentile of the gradient) of each box seen as 32x32 with its contrast stretched, so
    the figure depends neither on the photo's size nor on its exposure. The printed border
    gives every box, even an empty one, edges to measure."""
    if not crops:
        return 0.0
    small = _boxes_at_32(crops)
    levels = small.astype(np.float32)
    ordered = np.sort(levels.reshape(len(crops), -1), axis=1)
    paper, ink = row_percentile(ordered, 90.0, np.float64), row_percentile(ordered, 2.0, np.float64)
    contrast = np.maximum(paper - ink, 24.0)[:, None, None]
    stretched = np.clip((paper[:, None, None] - levels) / contrast, 0.0, 1.0).astype(np.float32)
    # each box bordered as cv2.Sobel borders it (reflected, edge not repeated), the boxes
    # stacked into one image: one Sobel call per direction gives every box's own gradient
    framed = np.pad(stretched, ((0, 0), (1, 1), (1, 1)), mode="reflect")
    tall = framed.reshape(-1, framed.shape[2])
    dx = cv2.Sobel(tall, cv2.CV_32F, 1, 0, ksize=3).reshape(framed.shape)[:, 1:-1, 1:-1]
    dy = cv2.Sobel(tall, cv2.CV_32F, 0, 1, ksize=3).reshape(framed.shape)[:, 1:-1, 1:-1]
    magnitude = np.hypot(dx, dy)
    edges = row_percentile(np.sort(magnitude.reshape(len(crops), -1), axis=1), 98.0)
    return float(np.median(edges))


def _boxes_at_32(crops: Sequence[NDArray[np.uint8]]) -> NDArray[np.uint8]:
    """Every crop made 32x32 (area interpolation). Crops of one size are stacked and resized
    in one call: the boxes' edges fall on output pixels' edges, so no box mixes with the
    next."""
    side = (_BOX_SIDE, _BOX_SIDE)
    shape = crops[0].shape
    if len(shape) == 2 and all(c.shape == shape for c in crops):
        tall = np.ascontiguousarray(np.concatenate(crops, axis=0))
        resized = cv2.resize(
            tall, (_BOX_SIDE, _BOX_SIDE * len(crops)), interpolation=cv2.INTER_AREA
        )
        return np.asarray(resized, np.uint8).reshape(len(crops), _BOX_SIDE, _BOX_SIDE)
    return np.stack([cv2.resize(c, side, interpolation=cv2.INTER_AREA) for c in crops])


def check_digit_sharpness(crops: Sequence[NDArray[np.uint8]]) -> Problem | None:
    """A Problem when the page's digit boxes are too blurred to read reliably."""
    sharpness = digit_box_sharpness(crops)
    if not crops or sharpness >= MIN_DIGIT_SHARPNESS:
        return None
    return Problem(
        "unreadable",
        f"the digit boxes are too blurred to read (sharpness {sharpness:.2f}, need "
        f"{MIN_DIGIT_SHARPNESS:.2f}): hold the phone still, focus on the form and "
        "photograph it again",
    )
