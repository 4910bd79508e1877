"""Photo quality measures, used to say *why* no page could be found in a photo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.percentiles import row_percentile
from rekap.reading.problem import Problem

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


@dataclass(frozen=True)
class ImageQuality:
    median_level: float
    dark_level: float
    """1st percentile of the grey levels (0 black .. 255 white)."""
    bright_level: float
    """99th percentile of the grey levels."""
    sharpness: float
    """Strong edges (99.5th percentile of the Laplacian) relative to the contrast."""


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
    )


def explain_missing_page(quality: ImageQuality, size: tuple[int, int] | None = None) -> Problem:
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
