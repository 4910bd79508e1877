"""Benchmark the page reader under real-world photo conditions: size, compression, rotation,
perspective, light, blur, noise, a covered fiducial, part of a digit box covered, a cut-off
corner, a page not flat.

    .venv/bin/python bench/photo_conditions.py [--simulated 10] [--only size 'tilt*'] [--seed 0]
        [--out DIR] [--failures DIR] [--list]

Each source photo (values known) is turned into variants, one per condition and level, and
every variant is read in-process by `rekap.reading.pipeline.PageReader` with the shipped
digit classifier, as `rekap read` reads a file. Reported per condition and level: photos,
photos a person could still read, photos located (status ok, right page), fields read
right, read wrong (a silent error: status "read" with another value), abstained, and
missed (on a page not located); for photos not located, their status and reason, counted.

Sources:
1. The kawalc1 phone photos (../shared/data/forms/kawalc1), with the values of
   bench/read_forms.py: page 2 reads 123 / 274 / 32, page 3 reads 427 / 3 / 430;
   the page-1 photos show an empty page (every field must abstain; a number the reader
   already gives on the full-size original is tolerated). A field without a known value
   takes the reading of the full-size original as its reference (said in the output).
   `pilpres-2024-hal3-cam2.jpg` shows page 1, not page 3 (its AprilTag and layout).
2. With --simulated N: N TPS from the election simulator (`rekap.simulation`, the first of
   read_forms' evaluation sets), one page each (pages 1, 2, 3 in turn), against the values
   written on the form. The simulator's photos already carry its own camera effects.

Conditions are pure functions of a frame (the BGR image and where the page lies in it, a
homography from page millimetres to pixels) and a random generator keyed by the seed, the
condition, the level and the source. Each is applied to the full-size source, and, as
"<condition>@1600", after shrinking the photo to 1600 px on its long side (the size of a
photo shared through a messaging app). Every variant is written as a JPEG of quality 95
(the `jpeg` conditions choose another quality).

A person "could still read" a variant when the smallest digit box of the page is at least
--legible-box-px pixels tall in it and any blur added spans at most --legible-blur-mm
millimetres of the page (a judgement, printed with the figures); a covered fiducial, a
cut-off corner, a turn, a tilt, the light and the noise leave every field readable (part of
a digit box covered counts as legible too: what it measures is that no number is read
wrong, a covered field abstaining unless its bubbles or the arithmetic settle it). The
final list names every (condition, photo) where such a photo, located in its original,
was not located, and every field read wrong.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.classifier import DigitBoxClassifier
from rekap.reading.geometry import local_scale, project
from rekap.reading.pipeline import PageReader
from rekap.reading.result import PageReading
from rekap.reading.template import PageTemplate, load_page_template
from rekap.simulation.lighting import add_noise
from rekap.simulation.seeds import generator

Image = NDArray[np.uint8]
Matrix = NDArray[np.float64]
Floats = NDArray[np.float32]

SHARED = Path(__file__).resolve().parents[2] / "shared"
KAWALC1 = SHARED / "data" / "forms" / "kawalc1"
KAWALC1_TRUTH: dict[str, tuple[int, dict[str, int]]] = {
    # photo: (page it shows, the numbers on it; a page-1 photo's fields are all empty),
    # as in bench/read_forms.py's TRUTH
    "pilpres-2024-hal2.jpg": (2, {"paslon_1": 123, "paslon_2": 274, "paslon_3": 32}),
    "pilpres-2024-hal2-cam2.jpg": (2, {"paslon_1": 123, "paslon_2": 274, "paslon_3": 32}),
    "pilpres-2024-hal3.jpg": (3, {"suara_sah": 427, "suara_tidak_sah": 3, "suara_total": 430}),
    "pilpres-2024-hal1.jpg": (1, {}),
    "pilpres-2024-hal3-cam2.jpg": (1, {}),
}
SIMULATED_SET = ("3310", 7)
"""Klaten, seed 7: the first of bench/read_forms.py's evaluation sets (disjoint from the
regions and seeds training/sim_crops.py trains on)."""
BASE_QUALITY = 95
SHARED_SIZE = 1600
"""Long side of the photos the conditions are combined with ("<condition>@1600")."""


# --- frames and conditions -------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """A photo being degraded: its pixels and where the page lies in them."""

    image: Image
    """BGR."""
    page_to_photo: Matrix
    """3x3 homography from page millimetres to pixels of `image`."""
    template: PageTemplate
    quality: int = BASE_QUALITY
    """JPEG quality of the file finally written."""
    blur_mm: float = 0.0
    """Extent of the blur added, in page millimetres (a motion's length, or 2 sigma)."""

    @property
    def px_per_mm(self) -> float:
        width, height = self.template.page_size
        return local_scale(self.page_to_photo, (width / 2, height / 2))

    def smallest_digit_box_px(self) -> float:
        """Height in pixels of the page's smallest digit box, where the page is smallest."""
        heights = [
            local_scale(self.page_to_photo, ((x0 + x1) / 2, (y0 + y1) / 2)) * (y1 - y0)
            for template_field in self.template.fields
            for box in template_field.digit_boxes
            for x0, y0, x1, y1 in [box.outer]
        ]
        return min(heights) if heights else 0.0


Condition = Callable[[Frame, np.random.Generator], Frame]


@dataclass(frozen=True)
class Level:
    condition: str
    """The condition's name, as --only matches it: "tilt", "tilt@1600"..."""
    label: str
    apply: Condition
    as_is: bool = False
    """Read the source file itself (no decoding, no re-encoding)."""

    @property
    def name(self) -> str:
        return f"{self.condition} {self.label}"


def _normalised(matrix: Matrix) -> Matrix:
    result: Matrix = matrix / matrix[2, 2]
    return result


def _surround(image: Image) -> tuple[int, int, int]:
    """The median colour of the photo's outermost pixels: what lies around the page."""
    edge = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    blue, green, red = (int(v) for v in np.median(edge, axis=0))
    return blue, green, red


def _warped(frame: Frame, matrix: Matrix, size: tuple[int, int]) -> Frame:
    """The frame seen through a projective map of its pixels (what falls outside the
    photo is filled with the colour around the page)."""
    image = cv2.warpPerspective(
        frame.image,
        matrix,
        size,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=_surround(frame.image),
    )
    return replace(
        frame,
        image=np.asarray(image, dtype=np.uint8),
        page_to_photo=_normalised(matrix @ frame.page_to_photo),
    )


def identity(frame: Frame, rng: np.random.Generator) -> Frame:
    return frame


def long_side(pixels: int) -> Condition:
    """Shrunk (INTER_AREA) to `pixels` on the long side; never enlarged."""

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        height, width = frame.image.shape[:2]
        scale = pixels / max(height, width)
        if scale >= 1.0:
            return frame
        size = (round(width * scale), round(height * scale))
        image = cv2.resize(frame.image, size, interpolation=cv2.INTER_AREA)
        sx, sy = size[0] / width, size[1] / height
        to_small = np.array(
            [[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]],
        )
        return replace(
            frame,
            image=np.asarray(image, dtype=np.uint8),
            page_to_photo=_normalised(to_small @ frame.page_to_photo),
        )

    return apply


def jpeg(quality: int) -> Condition:
    """Written as a JPEG of `quality` (instead of 95), as a messaging app re-compresses."""

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        return replace(frame, quality=quality)

    return apply


def turn(degrees: int) -> Condition:
    """The pixels turned clockwise by 90, 180 or 270 degrees (no EXIF orientation)."""
    codes = {
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        height, width = frame.image.shape[:2]
        maps = {
            90: [[0.0, -1.0, height - 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
            180: [[-1.0, 0.0, width - 1.0], [0.0, -1.0, height - 1.0], [0.0, 0.0, 1.0]],
            270: [[0.0, 1.0, 0.0], [-1.0, 0.0, width - 1.0], [0.0, 0.0, 1.0]],
        }
        image = cv2.rotate(frame.image, codes[degrees])
        return replace(
            frame,
            image=np.ascontiguousarray(image, dtype=np.uint8),
            page_to_photo=_normalised(np.array(maps[degrees]) @ frame.page_to_photo),
        )

    return apply


def tilt(degrees: float) -> Condition:
    """Turned by a small angle (counter-clockwise when positive) on a canvas grown to hold
    the whole photo."""

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        height, width = frame.image.shape[:2]
        radians = np.radians(degrees)
        cos, sin = abs(np.cos(radians)), abs(np.sin(radians))
        size = (round(width * cos + height * sin), round(width * sin + height * cos))
        matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), degrees, 1.0)
        matrix[0, 2] += (size[0] - width) / 2
        matrix[1, 2] += (size[1] - height) / 2
        return _warped(frame, np.vstack([matrix, [0.0, 0.0, 1.0]]), size)

    return apply


def keystone(fraction: float, edges: str) -> Condition:
    """The camera not square to the page: each named edge of the photo ("top", "left",
    "top+right"...) shortened by `fraction` of its length, about its middle."""
    names = set(edges.split("+"))

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        height, width = frame.image.shape[:2]
        source = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
        target = source.copy()
        dx, dy = fraction * width / 2, fraction * height / 2
        if "top" in names:
            target[0, 0] += dx
            target[1, 0] -= dx
        if "bottom" in names:
            target[3, 0] += dx
            target[2, 0] -= dx
        if "left" in names:
            target[0, 1] += dy
            target[3, 1] -= dy
        if "right" in names:
            target[1, 1] += dy
            target[2, 1] -= dy
        matrix = np.asarray(cv2.getPerspectiveTransform(source, target), dtype=np.float64)
        return _warped(frame, matrix, (width, height))

    return apply


_TO_LINEAR: Floats = ((np.arange(256, dtype=np.float64) / 255.0) ** 2.2).astype(np.float32)
_LINEAR_STEPS = 65535
_FROM_LINEAR: Image = np.round(
    255.0 * (np.arange(_LINEAR_STEPS + 1, dtype=np.float64) / _LINEAR_STEPS) ** (1 / 2.2)
).astype(np.uint8)
_GAIN_STEP = 8
"""Gain maps are computed on a grid of one point per this many pixels, then enlarged."""


def _relit(image: Image, gain: Floats | float) -> Image:
    """The light falling on the scene multiplied by `gain` (in linear light, sRGB-ish
    gamma 2.2), clipped as a sensor clips."""
    linear = _TO_LINEAR[image]
    if isinstance(gain, float):
        linear *= gain
    else:
        linear *= gain[..., None]
    np.clip(linear, 0.0, 1.0, out=linear)
    codes = (linear * _LINEAR_STEPS + 0.5).astype(np.uint16)
    result: Image = _FROM_LINEAR[codes]
    return result


def _page_coordinates(frame: Frame) -> tuple[Floats, Floats, tuple[int, int]]:
    """Page millimetres (x, y) of a coarse grid over the photo, and the photo's size."""
    height, width = frame.image.shape[:2]
    ys, xs = np.mgrid[0 : height + _GAIN_STEP : _GAIN_STEP, 0 : width + _GAIN_STEP : _GAIN_STEP]
    points = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
    mm = project(np.linalg.inv(frame.page_to_photo), points)
    shape = xs.shape
    return (
        mm[:, 0].reshape(shape).astype(np.float32),
        mm[:, 1].reshape(shape).astype(np.float32),
        (width, height),
    )


def _full_size(gain: Floats, size: tuple[int, int]) -> Floats:
    width, height = size
    big = cv2.resize(
        gain,
        ((gain.shape[1] - 1) * _GAIN_STEP + 1, (gain.shape[0] - 1) * _GAIN_STEP + 1),
        interpolation=cv2.INTER_LINEAR,
    )
    return np.ascontiguousarray(big[:height, :width], dtype=np.float32)


def page_light(kind: str, darkest: float, where: str = "") -> Condition:
    """Uneven light on the page, `darkest` the gain (linear light) where it is darkest:
    "gradient" from the page's left edge (full light) to its right edge; "shadow" a
    straight soft-edged shadow over the page's lower right part (about 40 % of it);
    "corner" a dark corner ("tl", "tr", "br", "bl"), falling off over 250 mm."""

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        x, y, size = _page_coordinates(frame)
        page_w, page_h = frame.template.page_size
        if kind == "gradient":
            share = np.clip(x / page_w, 0.0, 1.0)
        elif kind == "shadow":
            distance = (x / page_w + y / page_h - 1.15) * 0.5 * page_w  # mm, roughly
            share = 0.5 + 0.5 * np.tanh(distance / 12.0)
        elif kind == "corner":
            cx = 0.0 if "l" in where else page_w
            cy = 0.0 if "t" in where else page_h
            share = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 250.0**2)
        else:
            raise ValueError(kind)
        gain = (1.0 - (1.0 - darkest) * share).astype(np.float32)
        return replace(frame, image=_relit(frame.image, _full_size(gain, size)))

    return apply


def exposure(stops: float) -> Condition:
    """Exposure changed by `stops` EV (negative: dark; positive: over-exposed, clipped)."""

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        return replace(frame, image=_relit(frame.image, float(2.0**stops)))

    return apply


def gaussian_blur(sigma: float) -> Condition:
    """Out of focus: a Gaussian of `sigma` pixels (of the photo it is applied to)."""

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        image = cv2.GaussianBlur(frame.image, (0, 0), sigma)
        blur_mm = frame.blur_mm + 2 * sigma / frame.px_per_mm
        return replace(frame, image=np.asarray(image, dtype=np.uint8), blur_mm=blur_mm)

    return apply


def motion_blur(length: int) -> Condition:
    """A shake: a straight streak of `length` pixels, in a direction drawn at random."""

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        angle = float(rng.uniform(0.0, np.pi))
        size = length | 1
        centre = size // 2
        half = (length - 1) / 2
        kernel = np.zeros((size, size), np.float32)
        start = (round(centre - half * np.cos(angle)), round(centre - half * np.sin(angle)))
        end = (round(centre + half * np.cos(angle)), round(centre + half * np.sin(angle)))
        cv2.line(kernel, start, end, 1.0, 1, cv2.LINE_AA)
        kernel /= float(kernel.sum())
        image = cv2.filter2D(frame.image, -1, kernel)
        blur_mm = frame.blur_mm + length / frame.px_per_mm
        return replace(frame, image=np.asarray(image, dtype=np.uint8), blur_mm=blur_mm)

    return apply


def sensor_noise(amplitude: int) -> Condition:
    """Sensor noise of 0..2 x `amplitude` grey levels per pixel and channel (the
    simulator's `add_noise`: standard deviation 0.58 x amplitude, black level lifted)."""

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        image = frame.image.copy()
        add_noise(image, amplitude, rng)
        return replace(frame, image=image)

    return apply


_CORNERS = {"tl": (-1, -1), "tr": (1, -1), "br": (1, 1), "bl": (-1, 1)}
_FIDUCIAL_NAMES = {"tl": "top_left", "tr": "top_right", "br": "bottom_right", "bl": "bottom_left"}


def _page_polygon(frame: Frame, points_mm: NDArray[np.float64]) -> NDArray[np.int32]:
    polygon: NDArray[np.int32] = np.round(project(frame.page_to_photo, points_mm)).astype(np.int32)
    return polygon


def _painted(
    frame: Frame,
    points_mm: NDArray[np.float64] | Sequence[NDArray[np.float64]],
    colour: Floats,
    soft_mm: float,
) -> Image:
    """The photo with a page polygon (or several) painted in `colour` (BGR), its edge
    softened."""
    height, width = frame.image.shape[:2]
    mask = np.zeros((height, width), np.uint8)
    polygons = [points_mm] if isinstance(points_mm, np.ndarray) else list(points_mm)
    cv2.fillPoly(mask, [_page_polygon(frame, p) for p in polygons], 255)
    sigma = max(0.5, soft_mm * frame.px_per_mm)
    alpha = cv2.GaussianBlur(mask, (0, 0), sigma).astype(np.float32)[..., None] / 255.0
    mixed = frame.image.astype(np.float32) * (1.0 - alpha) + colour * alpha
    return np.asarray(np.clip(mixed, 0, 255), dtype=np.uint8)


def finger(corner: str) -> Condition:
    """A finger (or an object) over one corner fiducial: a skin-coloured ellipse, 120 x 48
    mm of the page, reaching from beyond the page's corner over the fiducial."""

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        fiducial = next(f for f in frame.template.fiducials if f.name == _FIDUCIAL_NAMES[corner])
        sx, sy = _CORNERS[corner]
        outwards = np.array([sx, sy], dtype=np.float64) / np.sqrt(2.0)
        centre = np.asarray(fiducial.anchor, dtype=np.float64) + 25.0 * outwards
        across = np.array([-outwards[1], outwards[0]])
        angles = np.linspace(0.0, 2 * np.pi, 72, endpoint=False)
        points = (
            centre
            + 60.0 * np.cos(angles)[:, None] * outwards
            + 24.0 * np.sin(angles)[:, None] * across
        )
        skin = np.array([110, 145, 200], np.float32) * float(rng.uniform(0.8, 1.05))
        return replace(frame, image=_painted(frame, points, skin, soft_mm=1.5))

    return apply


_PARTS: dict[str, tuple[float, float, float, float]] = {
    # the part of a digit box covered, as shares of its outer box (left, top, right, bottom)
    "top": (0.0, 0.0, 1.0, 0.5),
    "bottom": (0.0, 0.5, 1.0, 1.0),
    "left": (0.0, 0.0, 0.5, 1.0),
    "right": (0.5, 0.0, 1.0, 1.0),
    "corner": (0.5, 0.0, 1.0, 0.5),
}
_COVERS: dict[str, tuple[tuple[float, float, float], float]] = {
    # BGR colour and soft edge (mm) of what lies over the box
    "skin": ((110.0, 145.0, 200.0), 0.4),
    "dark": ((45.0, 40.0, 40.0), 0.3),
    "white": ((242.0, 245.0, 245.0), 0.3),
    "glare": ((255.0, 255.0, 255.0), 1.0),
}
PART_OVERHANG_MM = 1.5
"""How far a patch reaches beyond the box's printed border where it covers it."""


def part_cover(part: str, cover: str) -> Condition:
    """Part of one digit box of each field covered (the box drawn at random): a finger
    (skin), a pen or a dark finger (dark), a white patch (white) or glare (a saturated blob
    with a soft edge) over its top, bottom, left or right half or its top-right quarter, the
    patch reaching a little beyond the printed border. The box's border is broken where the
    patch lies; the rest of the box shows as photographed."""
    left, top, right, bottom = _PARTS[part]
    colour, soft_mm = _COVERS[cover]

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        patches: list[NDArray[np.float64]] = []
        for template_field in frame.template.fields:
            boxes = template_field.digit_boxes
            if not boxes:
                continue
            x0, y0, x1, y1 = boxes[int(rng.integers(len(boxes)))].outer
            w, h = x1 - x0, y1 - y0
            ax = x0 + left * w - (PART_OVERHANG_MM if left == 0.0 else 0.0)
            bx = x0 + right * w + (PART_OVERHANG_MM if right == 1.0 else 0.0)
            ay = y0 + top * h - (PART_OVERHANG_MM if top == 0.0 else 0.0)
            by = y0 + bottom * h + (PART_OVERHANG_MM if bottom == 1.0 else 0.0)
            if cover == "glare":  # a blob, not a patch: an ellipse filling the part
                angles = np.linspace(0.0, 2 * np.pi, 48, endpoint=False)
                points = np.stack(
                    [
                        (ax + bx) / 2 + (bx - ax) / 2 * np.cos(angles),
                        (ay + by) / 2 + (by - ay) / 2 * np.sin(angles),
                    ],
                    axis=1,
                )
            else:
                points = np.array([[ax, ay], [bx, ay], [bx, by], [ax, by]], dtype=np.float64)
            patches.append(points)
        shade = float(rng.uniform(0.85, 1.0)) if cover in ("skin", "dark") else 1.0
        paint = np.array(colour, np.float32) * shade
        return replace(frame, image=_painted(frame, patches, paint, soft_mm=soft_mm))

    return apply


def cut_corner(corner: str) -> Condition:
    """The page's corner cut off by the frame: a triangle from beyond the corner to just
    past its fiducial painted in the colour around the page (the fields stay whole)."""

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        fiducial = next(f for f in frame.template.fiducials if f.name == _FIDUCIAL_NAMES[corner])
        page_w, page_h = frame.template.page_size
        sx, sy = _CORNERS[corner]
        cx, cy = (page_w if sx > 0 else 0.0), (page_h if sy > 0 else 0.0)
        ax, ay = abs(fiducial.anchor[0] - cx), abs(fiducial.anchor[1] - cy)
        depth = ax + ay + 2 * fiducial.size + 10.0  # inwards, |dx| + |dy| from the corner
        margin = 100.0
        inwards = np.array(
            [[-margin, -margin], [depth + margin, -margin], [-margin, depth + margin]]
        )
        points = np.stack([cx - sx * inwards[:, 0], cy - sy * inwards[:, 1]], axis=1)
        colour = np.array(_surround(frame.image), np.float32)
        return replace(frame, image=_painted(frame, points, colour, soft_mm=0.3))

    return apply


def bent(kind: str, size_mm: float) -> Condition:
    """The page not flat: "wave", a ripple across the page (a plano form stored rolled or
    folded), each point moved up or down by up to `size_mm` along one wavelength of the
    page's width; "bulge", the middle of the page nearer the camera than its edges, points
    moved outwards from the centre by up to `size_mm`. The page's homography is left as
    it was (the flat page the bend is measured from)."""

    def moved(
        u: NDArray[np.float64], v: NDArray[np.float64], page: tuple[float, float]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        width, height = page
        if kind == "wave":
            return u, v + size_mm * np.sin(2 * np.pi * u / width)
        du, dv = u - width / 2, v - height / 2
        radius = float(np.hypot(width, height)) / 2
        rho2 = (du**2 + dv**2) / radius**2
        # (1 - rho^2) * rho peaks at 2 / (3 * sqrt(3)) = 0.385: scaled so the largest shift
        # is size_mm
        gain = size_mm / (0.385 * radius) * (1.0 - rho2)
        return u + gain * du, v + gain * dv

    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        height, width = frame.image.shape[:2]
        step = _GAIN_STEP
        # a coarse grid placed where an INTER_LINEAR enlargement by `step` samples it, so
        # that the enlarged map is exact at the grid's points and bilinear in between
        rows, columns = -(-height // step) + 1, -(-width // step) + 1
        ys, xs = np.meshgrid(
            (np.arange(rows) + 0.5) * step - 0.5,
            (np.arange(columns) + 0.5) * step - 0.5,
            indexing="ij",
        )
        points = np.stack([xs.ravel(), ys.ravel()], axis=1)
        page = project(np.linalg.inv(frame.page_to_photo), points)
        # each output pixel shows the page point the bend moved there (first order: moved
        # back by the shift at that point)
        u, v = moved(page[:, 0], page[:, 1], frame.template.page_size)
        back = np.stack([2 * page[:, 0] - u, 2 * page[:, 1] - v], axis=1)
        source = project(frame.page_to_photo, back).astype(np.float32)
        grid = (xs.shape[1] * step, xs.shape[0] * step)
        maps = [
            cv2.resize(source[:, i].reshape(xs.shape), grid, interpolation=cv2.INTER_LINEAR)
            for i in (0, 1)
        ]
        image = cv2.remap(
            frame.image,
            maps[0][:height, :width],
            maps[1][:height, :width],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=_surround(frame.image),
        )
        return replace(frame, image=np.asarray(image, dtype=np.uint8))

    return apply


def then(*conditions: Condition) -> Condition:
    def apply(frame: Frame, rng: np.random.Generator) -> Frame:
        for condition in conditions:
            frame = condition(frame, rng)
        return frame

    return apply


def _conditions() -> list[tuple[str, list[tuple[str, Condition]]]]:
    """Every condition with its levels, in report order (without the @1600 combinations)."""
    return [
        ("size", [(f"{px}px", long_side(px)) for px in (2000, 1600, 1280, 1024, 900, 800, 640)]),
        ("jpeg", [(f"q{q}", jpeg(q)) for q in (85, 60, 40)]),
        ("turn", [(f"{d}cw", turn(d)) for d in (90, 180, 270)]),
        ("tilt", [(f"{d:+d}deg", tilt(d)) for d in (-15, -8, -3, 3, 8, 15)]),
        (
            "perspective",
            [
                (f"{edges}-{round(100 * f)}pct", keystone(f, edges))
                for edges, f in (
                    ("top", 0.10),
                    ("top", 0.25),
                    ("left", 0.10),
                    ("left", 0.25),
                    ("top+right", 0.18),
                )
            ],
        ),
        (
            "light",
            [
                ("gradient-30pct", page_light("gradient", 0.30)),
                ("gradient-10pct", page_light("gradient", 0.10)),
                ("shadow-25pct", page_light("shadow", 0.25)),
                ("dark-corner-tr", page_light("corner", 0.04, "tr")),
                ("dark-corner-bl", page_light("corner", 0.04, "bl")),
            ],
        ),
        ("exposure", [(f"{ev:+.1f}EV", exposure(ev)) for ev in (-1.5, -2.5, 1.0, 2.0)]),
        (
            "blur",
            [(f"gauss-s{s}", gaussian_blur(s)) for s in (1, 2, 3)]
            + [(f"motion-{n}px", motion_blur(n)) for n in (7, 11, 15)],
        ),
        ("noise", [(f"amp{a}", sensor_noise(a)) for a in (8, 16, 24)]),
        ("cover", [(f"finger-{c}", finger(c)) for c in _CORNERS]),
        ("cut", [(f"corner-{c}", cut_corner(c)) for c in _CORNERS]),
        (
            "part",
            [(f"{cover}-{part}", part_cover(part, cover)) for cover in _COVERS for part in _PARTS],
        ),
        (
            "bent",
            [(f"wave-{a}mm", bent("wave", a)) for a in (2, 4, 8)]
            + [(f"bulge-{a}mm", bent("bulge", a)) for a in (2, 4, 8)],
        ),
        (
            "combined",
            [
                # a photo at midnight under one lamp, the page bent, sent through a
                # messaging app
                (
                    "midnight",
                    then(
                        bent("wave", 4),
                        tilt(5),
                        page_light("gradient", 0.30),
                        exposure(-1.5),
                        sensor_noise(16),
                        long_side(SHARED_SIZE),
                        jpeg(60),
                    ),
                ),
                # taken in a hurry: shaken, at an angle, the page bulging
                (
                    "hurried",
                    then(
                        bent("bulge", 4),
                        keystone(0.15, "top"),
                        motion_blur(5),
                        sensor_noise(8),
                        jpeg(70),
                    ),
                ),
            ],
        ),
    ]


def all_levels() -> list[Level]:
    levels = [
        Level("original", "file", identity, as_is=True),
        Level("original", f"q{BASE_QUALITY}", identity),
    ]
    combined: list[Level] = []
    shrink = long_side(SHARED_SIZE)
    for name, options in _conditions():
        levels += [Level(name, label, condition) for label, condition in options]
        if name != "size":
            combined += [
                Level(f"{name}@{SHARED_SIZE}", label, then(shrink, condition))
                for label, condition in options
            ]
    levels.append(Level("whatsapp", f"{SHARED_SIZE}px-q60", then(shrink, jpeg(60))))
    return levels + combined


def selected(levels: list[Level], patterns: Sequence[str]) -> list[Level]:
    if not patterns:
        return levels
    return [
        level
        for level in levels
        if any(
            fnmatch.fnmatchcase(level.condition, p)
            or fnmatch.fnmatchcase(f"{level.condition}:{level.label}", p)
            for p in patterns
        )
    ]


# --- sources --------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    value: int | None
    """The number on the form; None: the field is empty and must abstain."""
    tolerated: int | None = None
    """On an empty field, a number the full-size original is already read as."""


@dataclass(frozen=True)
class Source:
    group: str
    name: str
    page: int
    data: bytes
    frame: Frame
    expected: dict[str, Expected]
    baseline: PageReading
    notes: tuple[str, ...] = ()

    @property
    def baseline_located(self) -> bool:
        return self.baseline.status == "ok" and self.baseline.page == self.page

    @property
    def fiducials_lost(self) -> list[str]:
        """Corner fiducials the reader did not find in the original."""
        if self.baseline.geometry is None:
            return []
        used = set(self.baseline.geometry.fiducials_used)
        return [f.name for f in self.frame.template.fiducials if f.name not in used]


def _decoded(data: bytes) -> Image:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("cannot decode the photo")
    return np.asarray(image, dtype=np.uint8)


def read_safely(reader: PageReader, data: bytes) -> PageReading:
    """As `rekap read`: a failing stage is a reading, not a crash of the benchmark."""
    try:
        return reader.read(data)
    except Exception as error:
        return PageReading("unreadable", f"reader failed: {type(error).__name__}: {error}", None)


def kawalc1_sources(reader: PageReader) -> Iterator[Source]:
    for name, (page, known) in KAWALC1_TRUTH.items():
        path = KAWALC1 / name
        if not path.is_file():
            print(f"  skipped {name}: {path} is absent")
            continue
        data = path.read_bytes()
        baseline = read_safely(reader, data)
        if baseline.status != "ok" or baseline.page != page or baseline.geometry is None:
            print(f"  skipped {name}: the original reads {baseline.status} ({baseline.reason})")
            continue
        expected: dict[str, Expected] = {}
        from_original: list[str] = []
        for reading in baseline.fields:
            original = reading.value if reading.status == "read" else None
            if reading.field_id in known:
                expected[reading.field_id] = Expected(known[reading.field_id])
            elif page == 1:
                expected[reading.field_id] = Expected(None, original)
            elif original is not None:
                expected[reading.field_id] = Expected(original)
                from_original.append(reading.field_id)
        notes: list[str] = []
        if from_original:
            notes.append(
                f"reference of {', '.join(from_original)}: the reader's reading of the "
                "full-size original"
            )
        tolerated = {k: e.tolerated for k, e in expected.items() if e.tolerated is not None}
        if tolerated:
            notes.append(f"empty fields the original already reads as a number: {tolerated}")
        unscored = [f.field_id for f in baseline.fields if f.field_id not in expected]
        if unscored:
            notes.append(f"not scored (no known value, the original abstains): {unscored}")
        frame = Frame(
            _decoded(data),
            np.array(baseline.geometry.page_to_photo, dtype=np.float64),
            load_page_template(page),
        )
        yield Source("kawalc1", name, page, data, frame, expected, baseline, tuple(notes))


def simulated_sources(reader: PageReader, count: int, region: str, seed: int) -> Iterator[Source]:
    from rekap.simulation.api import (
        PhotoOptions,
        SimulationOptions,
        photograph_tps,
        simulate_region,
    )

    election = simulate_region(region, seed, SimulationOptions())
    for index, tps in zip(range(count), election, strict=False):
        page = index % 3 + 1
        (shot,) = photograph_tps(tps, seed, PhotoOptions(pages=(page,)))
        template = load_page_template(shot.page_shown)
        data = shot.photo.jpeg
        expected = {f.id: Expected(tps.values[f.id]) for f in template.fields}
        frame = Frame(
            _decoded(data), np.array(shot.photo.page_to_photo, dtype=np.float64), template
        )
        baseline = read_safely(reader, data)
        yield Source("simulated", shot.name, shot.page_shown, data, frame, expected, baseline)


# --- reading and scoring --------------------------------------------------------------


@dataclass
class Outcome:
    level: Level
    source: Source
    status: str
    reason: str
    page: int | None
    legible: bool
    box_px: float
    right: int = 0
    abstained: int = 0
    missed: int = 0
    empty_ok: int = 0
    wrong: list[str] = field(default_factory=list)
    """Numbers read wrong, and numbers read on empty fields."""
    saved: Path | None = None

    @property
    def located(self) -> bool:
        return self.status == "ok" and self.page == self.source.page

    @property
    def failed(self) -> bool:
        """Read wrong anywhere; or not located where a person reads the photo and the
        reader located its original."""
        lost = not self.located and self.legible and self.source.baseline_located
        return bool(self.wrong) or lost or self.reason.startswith("reader failed")


def score(level: Level, source: Source, reading: PageReading, frame: Frame, args: Args) -> Outcome:
    box_px = frame.smallest_digit_box_px()
    legible = box_px >= args.legible_box_px and frame.blur_mm <= args.legible_blur_mm
    outcome = Outcome(level, source, reading.status, reading.reason, reading.page, legible, box_px)
    fields = {f.field_id: f for f in reading.fields} if reading.page == source.page else {}
    for field_id, expected in source.expected.items():
        found = fields.get(field_id)
        if found is None:
            outcome.missed += expected.value is not None
            continue
        read = found.value if found.status == "read" else None
        if expected.value is None:
            if read is None or read == expected.tolerated:
                outcome.empty_ok += 1
            else:
                outcome.wrong.append(f"{field_id}: empty, read {read} ({found.reason})")
        elif read is None:
            outcome.abstained += 1
        elif read == expected.value:
            outcome.right += 1
        else:
            outcome.wrong.append(f"{field_id}: {expected.value}, read {read} ({found.reason})")
    if reading.status == "ok" and reading.page != source.page:
        outcome.wrong.append(f"page {source.page} read as page {reading.page}")
    return outcome


def encoded(frame: Frame) -> bytes:
    ok, data = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, frame.quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return bytes(data.tobytes())


def _file_name(level: Level, source: Source) -> str:
    stem = re.sub(r"[^A-Za-z0-9.+-]+", "_", f"{level.condition}--{level.label}--{source.name}")
    return stem.removesuffix(".jpg") + ".jpg"


@dataclass(frozen=True)
class Args:
    legible_box_px: float
    legible_blur_mm: float
    seed: int
    out: Path | None
    failures: Path | None


def run_level(reader: PageReader, level: Level, source: Source, args: Args) -> Outcome:
    if level.as_is:
        data, frame = source.data, source.frame
    else:
        rng = generator(args.seed, "photo-conditions", level.condition, level.label, source.name)
        frame = level.apply(source.frame, rng)
        data = encoded(frame)
    outcome = score(level, source, read_safely(reader, data), frame, args)
    folders = [args.out / source.group] if args.out else []
    folders += [args.failures] if args.failures and outcome.failed else []
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / _file_name(level, source)
        path.write_bytes(data)
        outcome.saved = path
    return outcome


# --- report ---------------------------------------------------------------------------


def _short(reason: str) -> str:
    """A reason with its numbers blanked, so that alike refusals count together."""
    return re.sub(r"\d+(\.\d+)?", "#", reason)


def table(outcomes: list[Outcome]) -> None:
    print(
        f"  {'condition':<22}{'level':<16}{'photos':>6}{'legible':>8}{'located':>8} |"
        f"{'right':>6}{'wrong':>6}{'abst':>6}{'missed':>7} |{'empty ok':>9} | not located"
    )
    keys: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        keys.setdefault((outcome.level.condition, outcome.level.label), []).append(outcome)
    previous = ""
    for (condition, label), group in keys.items():
        reasons = Counter(
            f"{o.status}: {_short(o.reason)}" if o.status != "ok" else f"page {o.page}"
            for o in group
            if not o.located
        )
        text = "; ".join(f"{n} x {r}" for r, n in reasons.most_common())
        shown = condition if condition != previous else ""
        previous = condition
        print(
            f"  {shown:<22}{label:<16}{len(group):>6}{sum(o.legible for o in group):>8}"
            f"{sum(o.located for o in group):>8} |{sum(o.right for o in group):>6}"
            f"{sum(len(o.wrong) for o in group):>6}{sum(o.abstained for o in group):>6}"
            f"{sum(o.missed for o in group):>7} |{sum(o.empty_ok for o in group):>9} | {text}"
        )


def failures(outcomes: list[Outcome]) -> None:
    failed = [o for o in outcomes if o.failed]
    print(
        f"\nFailures ({len(failed)}): a photo a person reads (and whose original is located) "
        "not located, or a field read wrong"
    )
    for o in failed:
        where = f" -> {o.saved}" if o.saved else ""
        lost = o.source.fiducials_lost
        where += f" (original found without {', '.join(lost)})" if lost else ""
        print(
            f"  {o.level.name} | {o.source.name} | page {o.page} {o.status}: {o.reason} "
            f"| digit box {o.box_px:.0f} px{where}"
        )
        for wrong in o.wrong:
            print(f"      read wrong: {wrong}")
    by_condition = Counter(o.level.name for o in failed)
    print(
        "  conditions failing (photos): " + ", ".join(f"{k} ({n})" for k, n in by_condition.items())
    )
    doubtful = Counter(
        o.level.name for o in outcomes if not o.located and not o.legible and not o.failed
    )
    if doubtful:
        print("  not located, but too small or blurred for a person too (not counted):")
        print("    " + ", ".join(f"{name} ({n})" for name, n in doubtful.items()))


def _git(*command: str) -> str:
    done = subprocess.run(["git", *command], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _package_root() -> Path:
    """The `rekap` package this process imports (the repository's src/ or another copy)."""
    return Path(sys.modules[PageReader.__module__].__file__ or ".").resolve().parents[1]


def source_state() -> str:
    """A digest of the code and models of the `rekap` package read with."""
    digest = hashlib.blake2b(digest_size=6)
    root = _package_root()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".onnx", ".json") and path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def manifest(outcomes: list[Outcome], folder: Path) -> None:
    """failures.jsonl beside the failing variants: what each one is and how it was read."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "file": o.saved.name if o.saved else None,
                "condition": o.level.condition,
                "level": o.level.label,
                "source": o.source.name,
                "page": o.source.page,
                "status": o.status,
                "reason": o.reason,
                "read_wrong": o.wrong,
                "smallest_digit_box_px": round(o.box_px, 1),
                "original_fiducials_lost": o.source.fiducials_lost,
            },
            ensure_ascii=False,
        )
        for o in outcomes
        if o.failed
    ]
    (folder / "failures.jsonl").write_text("".join(f"{line}\n" for line in lines))


def header() -> None:
    status = _git("status", "--porcelain", "--", "src").splitlines()
    changed = [line.split()[-1] for line in status]
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, OpenCV {cv2.__version__}; load {os.getloadavg()}"
    )
    edited = f", working tree changed in src/: {', '.join(changed)}" if changed else ""
    print(
        f"Reader: rekap from {_package_root()} (code state {source_state()}); repository at "
        f"commit {_git('rev-parse', '--short', 'HEAD')}{edited}"
    )


def shipped_reader() -> PageReader:
    from rekap.reading.digits import OnnxDigitClassifier

    classifier: DigitBoxClassifier = OnnxDigitClassifier(threads=1)
    return PageReader(classifier)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulated", type=int, default=10, help="simulated TPS (0: none)")
    parser.add_argument(
        "--set",
        default=f"{SIMULATED_SET[0]}:{SIMULATED_SET[1]}",
        help="simulated REGION:SEED (one of read_forms' evaluation sets by default)",
    )
    parser.add_argument("--no-kawalc1", action="store_true")
    parser.add_argument(
        "--only", nargs="+", default=[], help="conditions (glob, e.g. 'tilt*' or 'size:800px')"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="keep every variant here")
    parser.add_argument("--failures", type=Path, default=None, help="keep the failing variants")
    parser.add_argument("--legible-box-px", type=float, default=12.0)
    parser.add_argument("--legible-blur-mm", type=float, default=5.0)
    parser.add_argument("--list", action="store_true", help="list the conditions and exit")
    options = parser.parse_args()
    levels = selected(all_levels(), options.only)
    if options.list:
        for level in levels:
            print(level.name)
        return
    args = Args(
        options.legible_box_px, options.legible_blur_mm, options.seed, options.out, options.failures
    )
    cv2.setNumThreads(1)
    header()
    state = source_state()
    print(
        f"{len(levels)} condition levels; a person reads a variant whose smallest digit box is "
        f"at least {args.legible_box_px:.0f} px tall, with at most {args.legible_blur_mm:.0f} mm "
        f"of blur added; seed {args.seed}"
    )
    reader = shipped_reader()
    started = time.monotonic()
    groups: list[tuple[str, Iterator[Source]]] = []
    if not options.no_kawalc1:
        groups.append(("kawalc1 photos (../shared/data/forms/kawalc1)", kawalc1_sources(reader)))
    if options.simulated:
        region, seed = options.set.split(":")
        groups.append(
            (
                f"simulated photos ({options.simulated} TPS of {region}, seed {seed}, one page "
                "each)",
                simulated_sources(reader, options.simulated, region, int(seed)),
            )
        )
    everything: list[Outcome] = []
    for title, sources in groups:
        print(f"\n{title}")
        outcomes: list[Outcome] = []
        for source in sources:
            numbers = sum(e.value is not None for e in source.expected.values())
            print(
                f"  {source.name}: page {source.page}, {numbers} numbers, "
                f"{len(source.expected) - numbers} empty fields; original "
                f"{source.baseline.status} ({source.baseline.reason}), "
                f"{source.frame.px_per_mm:.2f} px/mm"
            )
            for note in source.notes:
                print(f"    {note}")
            outcomes += [run_level(reader, level, source, args) for level in levels]
        table(outcomes)
        everything += outcomes
    failures(everything)
    if args.failures:
        manifest(everything, args.failures)
    print(f"\n{len(everything)} variants read in {time.monotonic() - started:.0f} s")
    if source_state() != state:
        print(f"WARNING: the reader's code changed during the run (now {source_state()})")


if __name__ == "__main__":
    main()
