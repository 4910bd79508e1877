"""Small projective-geometry helpers shared by the stages."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def project(homography: ArrayLike, points: ArrayLike) -> FloatArray:
    """Apply a 3x3 homography to an (n, 2) array of points."""
    array = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    matrix = np.asarray(homography, dtype=np.float64)
    mapped = array @ matrix[:2, :2].T + matrix[:2, 2]
    weight = array @ matrix[2, :2] + matrix[2, 2]
    result: FloatArray = mapped / weight[:, None]
    return result


def local_steps(
    homography: ArrayLike, point: ArrayLike
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where one input unit along x and along y from `point` goes (output offsets): the
    map's local shape. Plain float arithmetic: a few numpy calls would cost ten times more,
    and the locate stage asks this of every page hypothesis. A point the map sends to
    infinity gives infinite or NaN steps, as numpy's division would, never an exception."""
    x, y = (float(v) for v in np.asarray(point, dtype=np.float64).ravel()[:2])
    m = np.asarray(homography, dtype=np.float64).tolist()

    def mapped(u: float, v: float) -> tuple[float, float]:
        weight = u * m[2][0] + v * m[2][1] + m[2][2]
        if weight == 0.0:
            return math.inf, math.inf
        return (u * m[0][0] + v * m[0][1] + m[0][2]) / weight, (
            u * m[1][0] + v * m[1][1] + m[1][2]
        ) / weight

    (x0, y0), (x1, y1), (x2, y2) = mapped(x, y), mapped(x + 1.0, y), mapped(x, y + 1.0)
    return (x1 - x0, y1 - y0), (x2 - x0, y2 - y0)


def local_scale(homography: ArrayLike, point: ArrayLike) -> float:
    """Output units per input unit around `point` (square root of the Jacobian's area)."""
    du, dv = local_steps(homography, point)
    return math.sqrt(abs(du[0] * dv[1] - du[1] * dv[0]))


def crop_transform(box: tuple[float, float, float, float], size: tuple[int, int]) -> FloatArray:
    """Homography from an output crop of `size` (width, height) pixels to the box (mm)."""
    x0, y0, x1, y1 = box
    width, height = size
    return np.array(
        [[(x1 - x0) / width, 0.0, x0], [0.0, (y1 - y0) / height, y0], [0.0, 0.0, 1.0]],
        dtype=np.float64,
    )
