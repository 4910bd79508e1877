"""Boxes the classifier reads less reliably than its calibration boxes are read with doubt."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from rekap.cli.digits import app as digits_app
from rekap.reading.box_input import DOUBT, as_box_crop, doubt_of
from rekap.reading.digits import OnnxDigitClassifier
from rekap.simulation.handwriting import WriterStyle, render_digit_box_bgr


def _boxes(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [render_digit_box_bgr(label, WriterStyle.sample(rng), rng, 48) for label in "0123456789"]


def _nearest(box: np.ndarray, height: int) -> np.ndarray:
    width = round(box.shape[1] * height / box.shape[0])
    return np.asarray(cv2.resize(box, (width, height), interpolation=cv2.INTER_NEAREST))


def _blown_out(box: np.ndarray) -> np.ndarray:
    return np.clip(box.astype(np.float32) * 1.8, 0, 255).astype(np.uint8)


def test_a_box_as_cut_is_read_without_doubt() -> None:
    assert all(doubt_of(as_box_crop(box)) == 1.0 for box in _boxes(41))


def test_tiny_and_blown_out_boxes_are_read_with_doubt() -> None:
    boxes = _boxes(42)
    assert all(doubt_of(as_box_crop(_nearest(box, 16))) == DOUBT for box in boxes)
    assert all(doubt_of(as_box_crop(_blown_out(box))) == DOUBT for box in boxes)


def test_doubt_lowers_the_confidence_and_keeps_the_label() -> None:
    classifier = OnnxDigitClassifier()
    crops = [as_box_crop(box) for box in _boxes(43)]
    sure = classifier.classify(crops)
    doubtful = classifier.classify(crops, [DOUBT] * len(crops))
    assert [r.label for r in sure] == [r.label for r in doubtful]
    assert all(d.confidence < s.confidence for s, d in zip(sure, doubtful, strict=True))
    assert max(r.confidence for r in doubtful) < 0.95
    assert max(r.confidence for r in sure) > 0.99


def test_the_command_reads_a_tiny_box_with_doubt(tmp_path: Path) -> None:
    box = _boxes(44)[3]
    cv2.imwrite(str(tmp_path / "box.png"), box)
    cv2.imwrite(str(tmp_path / "tiny.png"), _nearest(box, 16))
    args = ["classify", "--json", str(tmp_path / "box.png"), str(tmp_path / "tiny.png")]
    result = CliRunner().invoke(digits_app, args)
    assert result.exit_code == 0, result.output
    whole, tiny = (json.loads(line) for line in result.stdout.splitlines())
    assert whole["confidence"] > 0.99
    assert tiny["confidence"] < 0.95


def _off_centre(box: np.ndarray, share: float) -> np.ndarray:
    """`box` cut `share` of its side to the right and down: paper above and to the left, its
    right and bottom border cut away."""
    height, width = box.shape[:2]
    dy, dx = round(share * height), round(share * width)
    paper = [float(np.percentile(box[..., c], 90)) for c in range(box.shape[2])]
    padded = cv2.copyMakeBorder(box, dy, 0, dx, 0, cv2.BORDER_CONSTANT, value=paper)
    return np.ascontiguousarray(padded[:height, :width])


def test_a_box_cut_off_centre_is_read_with_doubt() -> None:
    boxes = _boxes(45)
    doubts = [doubt_of(as_box_crop(_off_centre(box, 0.2))) for box in boxes]
    assert doubts.count(DOUBT) >= 8, doubts
    assert all(doubt_of(as_box_crop(box)) == 1.0 for box in boxes)
