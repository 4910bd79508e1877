"""Small projective-geometry helpers shared by the stages."""

from __future__ import annotations

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


def local_scale(homography: ArrayLike, point: ArrayLike) -> float:
    """Output units per input unit around `point` (square root of the Jacobian's area)."""
    x, y = (float(v) for v in np.asarray(point, dtype=np.float64).ravel()[:2])
    mapped = project(homography, np.array([[x, y], [x + 1.0, y], [x, y + 1.0]]))
    du, dv = mapped[1] - mapped[0], mapped[2] - mapped[0]
    return float(np.sqrt(abs(du[0] * dv[1] - du[1] * dv[0])))


def crop_transform(box: tuple[float, float, float, float], size: tuple[int, int]) -> FloatArray:
    """Homography from an output crop of `size` (width, height) pixels to the box (mm)."""
    x0, y0, x1, y1 = box
    width, height = size
    return np.array(
        [[(x1 - x0) / width, 0.0, x0], [0.0, (y1 - y0) / height, y0], [0.0, 0.0, 1.0]],
        dtype=np.float64,
    )
