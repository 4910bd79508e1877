"""A shadow across a digit box is evened out before the classifier stretches its contrast."""

from __future__ import annotations

import cv2
import numpy as np

from rekap.reading.digits import preprocess_crop
from rekap.reading.light import even_out_light


def box(side: int = 44) -> np.ndarray:
    image = np.full((side, side, 3), 230, np.uint8)
    cv2.rectangle(image, (3, 3), (side - 4, side - 4), (40, 40, 40), 2)
    cv2.putText(image, "7", (12, side - 11), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (30, 30, 30), 3)
    return image


def shaded(image: np.ndarray, darkest: float) -> np.ndarray:
    ramp = np.linspace(darkest, 1.0, image.shape[1])[None, :, None]
    return (image * ramp).astype(np.uint8)


def test_a_box_lit_evenly_is_passed_on_unchanged() -> None:
    crop = box()
    assert even_out_light(crop) is crop
    dim = (crop * 0.5).astype(np.uint8)
    assert even_out_light(dim) is dim  # dark all over is not uneven
    shadow = shaded(crop, 0.4)
    assert even_out_light(shadow) is not shadow  # a shadow across it is


def test_a_shadow_across_the_box_no_longer_passes_for_ink() -> None:
    clean = preprocess_crop(box())
    shadow = shaded(box(), 0.4)
    raw = preprocess_crop(shadow)
    fixed = preprocess_crop(even_out_light(shadow))
    # stretched as it is, the shadowed paper turns into "ink" over a third of the box
    assert float(np.mean(np.abs(raw - clean))) > 0.15
    assert float(np.mean(np.abs(fixed - clean))) < 0.05


def test_odd_input_is_left_to_the_classifier_to_refuse() -> None:
    tiny = np.zeros((4, 4), np.uint8)
    assert even_out_light(tiny) is tiny
    floats = np.zeros((20, 20), np.float32)
    assert even_out_light(floats) is floats
