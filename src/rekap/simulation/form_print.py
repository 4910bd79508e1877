"""The blank printed page, drawn from the templates and `form_layout` at any resolution.

Fiducials (two touching squares), the AprilTag (36h10, ids 101–103, printed upside down as
on the real form, drawn with ``cv2.aruco``), the digit boxes with page 2's dotted 7-segment
guides, the bubble rings with their digits, the table rules and a few labels. A page is
drawn once per resolution and kept (read-only); filling a form starts from a copy.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.template import PageTemplate, load_page_template
from rekap.simulation.form_layout import PAGE_RULES, PAGE_TEXTS, Text

__all__ = ["PAGE_SIZE_MM", "Image", "printed_page", "to_px"]

Image = NDArray[np.uint8]
PAGE_SIZE_MM = (600.0, 900.0)
_SHIFT = 4
_FRAC = 1 << _SHIFT
GUIDE_RECT = (0.3, 0.15, 0.7, 0.85)
"""Page 2's dotted 7-segment guide inside a digit box (fractions of the box)."""


def to_px(value_mm: float, px_per_mm: float) -> int:
    """A coordinate in OpenCV's fixed-point units (``shift`` = 4) for sub-pixel drawing."""
    return round(value_mm * px_per_mm * _FRAC)


def _pt(x: float, y: float, s: float) -> tuple[int, int]:
    return (to_px(x, s), to_px(y, s))


def _thickness(width_mm: float, s: float) -> int:
    return max(1, round(width_mm * s))


def _fill_rect(img: Image, box: tuple[float, float, float, float], s: float, grey: int) -> None:
    x0, y0, x1, y1 = box
    cv2.rectangle(img, _pt(x0, y0, s), _pt(x1, y1, s), (grey,) * 3, -1, cv2.LINE_AA, _SHIFT)


def _draw_text(img: Image, t: Text, s: float) -> None:
    font = cv2.FONT_HERSHEY_DUPLEX if t.bold else cv2.FONT_HERSHEY_SIMPLEX
    height_px = t.height * s
    scale = height_px / 22.0
    thickness = max(1, round(height_px / (7.0 if t.bold else 10.0)))
    (width, _), _ = cv2.getTextSize(t.text, font, scale, thickness)
    x = t.x * s - (width / 2 if t.centred else 0)
    cv2.putText(
        img, t.text, (round(x), round(t.y * s)), font, scale, (25, 25, 25), thickness, cv2.LINE_AA
    )


def _draw_tag(img: Image, template: PageTemplate, s: float) -> None:
    tag = template.apriltag
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h10)
    side = 8 * 16
    marker = cv2.aruco.generateImageMarker(dictionary, tag.id, side, borderBits=1)
    source = np.array([[0, 0], [side, 0], [side, side]], dtype=np.float32)
    target = np.array([[x * s, y * s] for x, y in tag.corners[:3]], dtype=np.float32)
    affine = cv2.getAffineTransform(source, target)
    size = (img.shape[1], img.shape[0])
    ink = cv2.warpAffine(255 - marker, affine, size, flags=cv2.INTER_LINEAR, borderValue=0)
    x0, y0 = (int(min(c[i] for c in tag.corners) * s) - 2 for i in (0, 1))
    x1, y1 = (int(max(c[i] for c in tag.corners) * s) + 3 for i in (0, 1))
    roi = img[y0:y1, x0:x1]
    darkness = ink[y0:y1, x0:x1].astype(np.float32)[..., None] / 255.0
    roi[:] = (roi * (1.0 - darkness) + 25 * darkness).astype(np.uint8)


def _draw_boxes(img: Image, template: PageTemplate, s: float) -> None:
    for field in template.fields:
        for box in field.digit_boxes:
            _fill_rect(img, box.outer, s, 20)
            _fill_rect(img, box.inner, s, 255)
            if template.page == 2:
                _draw_guide(img, box.inner, s)
        grid = field.bubble_grid
        if grid is None:
            continue
        ring = _thickness(grid.outer_radius - grid.inner_radius, s)
        radius = to_px((grid.outer_radius + grid.inner_radius) / 2, s)
        for column in grid.columns:
            for bubble in column.bubbles:
                centre = _pt(*bubble.centre, s)
                cv2.circle(img, centre, radius, (30, 30, 30), ring, cv2.LINE_AA, _SHIFT)
                x, y = bubble.centre
                label = Text(x, y + 1.2, str(bubble.digit), 2.6, centred=True)
                _draw_text(img, label, s)


def _draw_guide(img: Image, box: tuple[float, float, float, float], s: float) -> None:
    x0, y0, x1, y1 = box
    u0, v0, u1, v1 = GUIDE_RECT
    gx0, gy0, gx1, gy1 = (
        x0 + u0 * (x1 - x0),
        y0 + v0 * (y1 - y0),
        x0 + u1 * (x1 - x0),
        y0 + v1 * (y1 - y0),
    )
    gym = (gy0 + gy1) / 2
    radius = to_px(0.22, s)
    for (ax, ay), (bx, by) in (
        ((gx0, gy0), (gx1, gy0)),
        ((gx0, gym), (gx1, gym)),
        ((gx0, gy1), (gx1, gy1)),
        ((gx0, gy0), (gx0, gy1)),
        ((gx1, gy0), (gx1, gy1)),
    ):
        count = max(2, int(np.hypot(bx - ax, by - ay) / 1.1) + 1)
        for t in np.linspace(0.0, 1.0, count):
            centre = _pt(ax + t * (bx - ax), ay + t * (by - ay), s)
            cv2.circle(img, centre, radius, (175, 175, 175), -1, cv2.LINE_AA, _SHIFT)


def _draw_fiducials(img: Image, template: PageTemplate, s: float) -> None:
    for fiducial in template.fiducials:
        ax, ay = fiducial.anchor
        half = fiducial.size / 2
        _fill_rect(img, (ax - half, ay - half, ax, ay), s, 25)
        _fill_rect(img, (ax, ay, ax + half, ay + half), s, 25)


@lru_cache(maxsize=12)
def printed_page(page: int, px_per_mm: float) -> Image:
    """The blank page ``page`` (1..3) at ``px_per_mm``, BGR, read-only (copy before drawing)."""
    template = load_page_template(page)
    width, height = (round(side * px_per_mm) for side in PAGE_SIZE_MM)
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    s = px_per_mm
    for rule in PAGE_RULES[page]:
        colour = (rule.grey,) * 3
        start, end = _pt(rule.x0, rule.y0, s), _pt(rule.x1, rule.y1, s)
        cv2.line(img, start, end, colour, _thickness(rule.width, s), cv2.LINE_AA, _SHIFT)
    for text in PAGE_TEXTS[page]:
        _draw_text(img, text, s)
    _draw_boxes(img, template, s)
    _draw_fiducials(img, template, s)
    _draw_tag(img, template, s)
    img.setflags(write=False)
    return img
