"""What a phone camera does to a clean rendered box: blur, low resolution, tilt, light, JPEG.

The real crops were cut from phone photos of paper forms, so they are soft, slightly
rotated, unevenly lit and JPEG-compressed. Rendered boxes get the same treatment before
training so the model cannot tell them apart by their crispness.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray


def photograph(image: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    """A BGR uint8 image as if photographed and cropped from a phone picture."""
    height, width = image.shape[:2]
    result = _tilt(image.astype(np.float32), rng)
    if rng.random() < 0.4:  # the box covered fewer sensor pixels than the crop has
        factor = rng.uniform(0.55, 0.95)
        small = (max(8, round(width * factor)), max(8, round(height * factor)))
        result = np.asarray(cv2.resize(result, small, interpolation=cv2.INTER_AREA), np.float32)
        result = np.asarray(
            cv2.resize(result, (width, height), interpolation=cv2.INTER_LINEAR), np.float32
        )
    sigma = rng.uniform(0.0, 0.9)
    if sigma > 0.3:
        result = np.asarray(cv2.GaussianBlur(result, (0, 0), sigma), np.float32)
    lit = _uneven_light(result, rng)
    lit += rng.normal(0.0, rng.uniform(0.0, 6.0), size=lit.shape).astype(np.float32)
    clipped = np.clip(lit, 0, 255).astype(np.uint8)
    return _jpeg(clipped, int(rng.integers(35, 96)))


def _tilt(image: NDArray[np.float32], rng: np.random.Generator) -> NDArray[np.float32]:
    """A small rotation and perspective change, with the crop window shifted a little."""
    height, width = image.shape[:2]
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    shift = rng.normal(0.0, 0.025, size=2) * (width, height)
    moved = corners + rng.normal(0.0, 0.025, size=(4, 2)) * (width, height) + shift
    matrix = cv2.getPerspectiveTransform(corners, moved.astype(np.float32))
    warped = cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(warped, dtype=np.float32)


def _uneven_light(image: NDArray[np.float32], rng: np.random.Generator) -> NDArray[np.float64]:
    """The image under light that falls off across it at a random angle: in float64, as the
    ramp's float64 cosine and sine make it (NumPy 2 promotes float32 by them)."""
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height) - 0.5
    gain = rng.uniform(0.8, 1.1) + rng.uniform(0.0, 0.12) * ramp
    lit: NDArray[np.float64] = image * gain[..., None]
    return lit


def _jpeg(image: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        return image
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), dtype=np.uint8)
