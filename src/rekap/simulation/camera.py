"""Where the page lands in the photo: a pinhole camera looking at the tilted page.

The page (600 x 900 mm) is turned by yaw, pitch and roll about its centre, seen from a
distance of ``focal`` page heights (shorter: stronger perspective), and the projected quad
is scaled and shifted into the frame. The result is the homography from page millimetres
to photo pixels, the truth the reader's locate stage should recover.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.simulation.form_print import PAGE_SIZE_MM

__all__ = ["FloatArray", "frame_size", "page_quad", "page_scale"]

FloatArray = NDArray[np.float64]


def frame_size(megapixels: float, aspect: float, landscape: bool) -> tuple[int, int]:
    """(width, height) of a frame of ``megapixels`` with long/short side ratio ``aspect``."""
    short = math.sqrt(megapixels * 1e6 / aspect)
    long_side = short * aspect
    a, b = 2 * round(long_side / 2), 2 * round(short / 2)
    return (a, b) if landscape else (b, a)


def _rotation(yaw: float, pitch: float, roll: float) -> FloatArray:
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    result: FloatArray = rz @ rx @ ry
    return result


def page_quad(
    size: tuple[int, int],
    yaw: float,
    pitch: float,
    roll: float,
    focal: float,
    fill: float,
    shift: tuple[float, float],
    cut_corner: int | None = None,
    cut_depth: float = 0.0,
) -> FloatArray:
    """The page's corners (top-left, top-right, bottom-right, bottom-left) in photo pixels.

    ``fill`` is the share of the frame the quad's bounding box takes on its tighter side;
    ``shift`` moves the quad within the room left (-1..1 on each axis). ``cut_corner``
    (0..3) pushes that corner ``cut_depth`` (share of the frame) outside the photo."""
    width_mm, height_mm = PAGE_SIZE_MM
    corners = np.array([[0, 0], [width_mm, 0], [width_mm, height_mm], [0, height_mm]], float)
    flat = np.column_stack([(corners - [width_mm / 2, height_mm / 2]) / height_mm, np.zeros(4)])
    turned = flat @ _rotation(yaw, pitch, roll).T
    depth = turned[:, 2] + focal
    projected = focal * turned[:, :2] / depth[:, None]
    low, high = projected.min(axis=0), projected.max(axis=0)
    frame = np.array(size, dtype=np.float64)
    scale = fill * float(np.min(frame / (high - low)))
    quad = (projected - (low + high) / 2) * scale + frame / 2
    room = (frame - (high - low) * scale) / 2
    quad += np.asarray(shift) * room
    if cut_corner is not None:
        corner = quad[cut_corner]
        outward = np.where(corner < frame / 2, -1.0, 1.0)
        edge = np.where(outward < 0, 0.0, frame)
        quad += edge + outward * cut_depth * frame - corner
    result: FloatArray = quad.astype(np.float64)
    return result


def page_scale(quad: FloatArray) -> float:
    """Photo pixels per page millimetre along the page's longest-drawn edge."""
    width_mm, height_mm = PAGE_SIZE_MM
    edges = np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1)
    return float(
        max(edges[0] / width_mm, edges[2] / width_mm, edges[1] / height_mm, edges[3] / height_mm)
    )


def homography(quad: FloatArray, px_per_mm: float) -> FloatArray:
    """Page-image pixels (at ``px_per_mm``) to photo pixels."""
    width_mm, height_mm = PAGE_SIZE_MM
    w, h = width_mm * px_per_mm, height_mm * px_per_mm
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    result: FloatArray = cv2.getPerspectiveTransform(source, quad.astype(np.float32)).astype(
        np.float64
    )
    return result
