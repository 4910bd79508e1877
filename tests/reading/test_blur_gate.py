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
