"""Handwriting far lighter than the box's printed border (pencil, a light gel pen)."""

from __future__ import annotations

import numpy as np
import pytest

from rekap.reading.box_input import as_box_crop
from rekap.reading.digits import OnnxDigitClassifier
from rekap.reading.faint_ink import deepen_faint_ink
from rekap.simulation.handwriting import WriterStyle, render_digit_box


def _faint(box: np.ndarray, reflectance: float) -> np.ndarray:
    """The digit inside `box` redrawn in an ink of `reflectance` (1 = the paper), its printed
    border left as printed."""
    gray = box.astype(np.float32)
    dark, paper = np.percentile(gray, [2.0, 90.0])
    amount = np.clip((paper - gray) / max(paper - dark, 1.0), 0.0, 1.0)
    faint = paper - amount * paper * (1.0 - reflectance)
    height, width = box.shape
    inner = (slice(height // 6, height - height // 6), slice(width // 6, width - width // 6))
    out = gray.copy()
    out[inner] = faint[inner]
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def test_an_ink_as_dark_as_the_print_is_left_as_it_is() -> None:
    rng = np.random.default_rng(5)
    box = render_digit_box("3", WriterStyle.sample(rng), rng, (48, 44))
    assert deepen_faint_ink(box) is box


def test_an_empty_box_stays_empty_even_with_grain() -> None:
    rng = np.random.default_rng(6)
    box = render_digit_box("blank", WriterStyle.sample(rng), rng, (48, 44))
    assert deepen_faint_ink(box) is box
    grainy = np.clip(box + rng.normal(0.0, 20.0, box.shape), 0, 255).astype(np.uint8)
    assert deepen_faint_ink(grainy) is grainy


def test_faint_handwriting_is_darkened_to_the_print_s_depth() -> None:
    rng = np.random.default_rng(7)
    box = render_digit_box("7", WriterStyle.sample(rng), rng, (48, 44))
    faint = _faint(box, 0.8)
    deepened = deepen_faint_ink(faint)
    inner = (slice(12, 36), slice(11, 33))
    paper = float(np.percentile(faint, 90.0))
    border_depth = paper - float(np.percentile(faint, 2.0))
    assert paper - float(np.percentile(faint[inner], 3.0)) < 0.45 * border_depth
    assert paper - float(np.percentile(deepened[inner], 3.0)) >= 0.7 * border_depth


@pytest.mark.parametrize("seed", [31, 32])
def test_a_faint_digit_is_read_as_the_same_digit_in_dark_ink(seed: int) -> None:
    """Without the darkening the model reads most such boxes as empty, and is sure of it."""
    rng = np.random.default_rng(seed)
    classifier = OnnxDigitClassifier()
    labels = list("0123456789")
    boxes = [render_digit_box(label, WriterStyle.sample(rng), rng, (48, 44)) for label in labels]
    dark = classifier.classify([as_box_crop(box) for box in boxes])
    faint = classifier.classify([as_box_crop(_faint(box, 0.8)) for box in boxes])
    same = sum(d.label == f.label for d, f in zip(dark, faint, strict=True))
    blank = sum(f.label == "blank" for f in faint)
    assert same >= 9 and blank == 0, [(d.label, f.label) for d, f in zip(dark, faint, strict=True)]
