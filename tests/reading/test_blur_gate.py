"""A page whose digit boxes are too blurred is refused, not read: blurred blank boxes look
like zeros to the classifier, and two tied fields misread alike keep the arithmetic true."""

from __future__ import annotations

import cv2
import numpy as np

from rekap.reading.quality import (
    MIN_DIGIT_SHARPNESS,
    check_digit_sharpness,
    digit_box_sharpness,
)


def box(digit: str, side: int = 44) -> np.ndarray:
    """A printed box with a handwritten-ish digit, as the page reader cuts it."""
    image = np.full((side, side), 235, np.uint8)
    cv2.rectangle(image, (3, 3), (side - 4, side - 4), 40, 2)
    if digit:
        cv2.putText(image, digit, (12, side - 11), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 30, 3)
    return image


def test_sharp_boxes_pass_and_blurred_ones_are_refused() -> None:
    sharp = [box(d) for d in ("1", "7", "")]
    assert digit_box_sharpness(sharp) > MIN_DIGIT_SHARPNESS + 0.5
    assert check_digit_sharpness(sharp) is None
    blurred = [cv2.GaussianBlur(b, (0, 0), 3.5) for b in sharp]
    assert digit_box_sharpness(blurred) < MIN_DIGIT_SHARPNESS
    problem = check_digit_sharpness(blurred)
    assert problem is not None and problem.status == "unreadable"
    assert "too blurred" in problem.reason and "photograph it again" in problem.reason


def test_the_measure_does_not_depend_on_exposure_or_size() -> None:
    sharp = [box("4"), box("0")]
    darker = [(b * 0.4).astype(np.uint8) for b in sharp]
    larger = [cv2.resize(b, (88, 88), interpolation=cv2.INTER_NEAREST) for b in sharp]
    base = digit_box_sharpness(sharp)
    assert abs(digit_box_sharpness(darker) - base) < 0.3
    assert abs(digit_box_sharpness(larger) - base) < 0.6
    assert check_digit_sharpness([]) is None


def _sharpness_box_by_box(crops: list[np.ndarray]) -> float:
    """The measure as defined, one box at a time with numpy's own percentiles."""
    edges = []
    for crop in crops:
        small = cv2.resize(crop, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
        paper, ink = np.percentile(small, [90.0, 2.0])
        stretched = np.clip((paper - small) / max(paper - ink, 24.0), 0.0, 1.0)
        stretched = stretched.astype(np.float32)
        dx = cv2.Sobel(stretched, cv2.CV_32F, 1, 0, ksize=3)
        dy = cv2.Sobel(stretched, cv2.CV_32F, 0, 1, ksize=3)
        edges.append(np.percentile(np.hypot(dx, dy), 98.0))
    return float(np.median(edges))


def test_boxes_measured_together_measure_as_each_alone() -> None:
    rng = np.random.default_rng(5)
    for side in (48, 44, 37, 61):
        crops = [box(d, side) for d in "17X3"]
        noise = [rng.normal(128, 60, (side, side)) for _ in range(6)]
        crops += [np.clip(cv2.GaussianBlur(n, (0, 0), 1.5), 0, 255).astype(np.uint8) for n in noise]
        expected = _sharpness_box_by_box(crops)
        assert digit_box_sharpness(crops) == expected
    mixed = [box("4", 44), box("9", 50), crops[-1]]
    assert digit_box_sharpness(mixed) == _sharpness_box_by_box(mixed)
