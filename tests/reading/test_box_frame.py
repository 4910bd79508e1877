"""A digit box cut with a wide margin is cut again to its printed border; a box cut as the
data set cuts them, or a crop whose frame is doubtful, is left as it is."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from rekap.cli.digits import app as digits_app
from rekap.reading.box_frame import border_of, framed_on_box
from rekap.reading.digits import DIGIT_LABELS, OnnxDigitClassifier
from rekap.simulation.handwriting import WriterStyle, render_digit_box_bgr


def _on_paper(box: np.ndarray, margin: int, seed: int = 0) -> np.ndarray:
    """``box`` in the middle of grey paper ``margin`` pixels wide each side, a little noise."""
    paper = [float(np.percentile(box[..., c], 90)) for c in range(3)]
    out = cv2.copyMakeBorder(box, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=paper)
    noise = np.random.default_rng(seed).normal(0.0, 4.0, out.shape)
    return np.clip(out + noise, 0, 255).astype(np.uint8)


def _box(label: str = "4", seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return render_digit_box_bgr(label, WriterStyle.sample(rng), rng, 48)


def test_a_box_on_a_wide_margin_is_cut_to_its_border() -> None:
    box = _box()
    loose = _on_paper(box, 20)
    framed = framed_on_box(loose)
    assert framed is not loose
    height, width = framed.shape[:2]
    # the box again, give or take the border's thickening by a pixel and the renderer's edge
    assert abs(height - box.shape[0]) <= 4 and abs(width - box.shape[1]) <= 4
    found = border_of(cv2.cvtColor(loose, cv2.COLOR_BGR2GRAY))
    assert found is not None
    top, _, left, _ = found
    assert 16 <= top <= 24 and 16 <= left <= 24


def test_a_box_cut_as_the_data_set_cuts_them_is_left_as_it_is() -> None:
    for seed in range(8):
        box = _box(DIGIT_LABELS[seed], seed)
        assert framed_on_box(box) is box
        snug = _on_paper(box, 3, seed)  # a margin as narrow as the data set's
        assert framed_on_box(snug) is snug


def test_a_doubtful_frame_is_left_as_it_is() -> None:
    loose = _on_paper(_box(), 20)
    marked = loose.copy()
    cv2.line(marked, (2, 2), (2, 60), (40, 40, 40), 3)  # ink outside the box: another mark
    cv2.line(marked, (6, 84), (70, 84), (40, 40, 40), 3)
    assert framed_on_box(marked) is marked
    wide = _on_paper(cv2.resize(_box(), (120, 48)), 30)  # a long frame is not a digit box
    assert framed_on_box(wide) is wide
    flat = np.full((60, 60, 3), 200, np.uint8)
    assert framed_on_box(flat) is flat
    tiny = _box()[:12, :12]
    assert framed_on_box(tiny) is tiny
    levels = loose.astype(np.float32)  # not uint8: passed on
    assert framed_on_box(levels) is levels


def test_grey_and_bgra_crops_are_cut_alike() -> None:
    loose = _on_paper(_box(), 20)
    grey = cv2.cvtColor(loose, cv2.COLOR_BGR2GRAY)
    bgra = cv2.cvtColor(loose, cv2.COLOR_BGR2BGRA)
    assert framed_on_box(grey).shape == framed_on_box(loose).shape[:2]
    assert framed_on_box(bgra).shape[:2] == framed_on_box(loose).shape[:2]


def test_the_cli_reads_a_loosely_cut_box(tmp_path: Path) -> None:
    """Through `rekap digits classify`: rendered boxes of every label on a margin of paper
    as wide as half the box, read as the boxes themselves are."""
    classifier = OnnxDigitClassifier()
    rng = np.random.default_rng(41)
    boxes = [
        render_digit_box_bgr(label, WriterStyle.sample(rng), rng, 48) for label in "0123456789"
    ]
    own = [r.label for r in classifier.classify(boxes)]
    for index, box in enumerate(boxes):
        cv2.imwrite(str(tmp_path / f"{index}.png"), _on_paper(box, 24, index))
    paths = [str(tmp_path / f"{index}.png") for index in range(len(boxes))]
    result = CliRunner().invoke(digits_app, ["classify", "--json", *paths])
    assert result.exit_code == 0, result.output
    read = [json.loads(line)["label"] for line in result.stdout.strip().splitlines()]
    assert read == own


@pytest.mark.shared
def test_held_out_real_boxes_on_wide_paper_margins(shared_dir: Path, repo_root: Path) -> None:
    """The held-out real boxes, each on a margin of its own paper 30 % of its size wide: a
    small box's border passes for a zero, so as cut they read worse; cut to the border, as
    well as the boxes themselves (the data set's label errors aside)."""
    sys.path.insert(0, str(repo_root / "training"))
    try:
        from real_digits import crops_in, load_real_crops, read_bgr
    finally:
        sys.path.remove(str(repo_root / "training"))
    held_out = list(crops_in(load_real_crops(shared_dir, splits=("test",)), "test"))
    images = [read_bgr(crop.path) for crop in held_out]
    loose = [
        _on_paper(image, round(0.3 * max(image.shape[:2])), k) for k, image in enumerate(images)
    ]
    classifier = OnnxDigitClassifier()

    def accuracy(batch: list[np.ndarray]) -> float:
        readings = classifier.classify(batch)
        return float(np.mean([r.label == c.label for r, c in zip(readings, held_out, strict=True)]))

    as_cut, framed = accuracy(loose), accuracy([framed_on_box(image) for image in loose])
    assert framed >= 0.993, f"cut to the border {framed:.2%}"
    assert framed > as_cut + 0.02, f"as cut {as_cut:.2%}, cut to the border {framed:.2%}"
    # the crops as the data set cuts them: nearly all left as they are, the rest read alike
    again = [image for image in images if framed_on_box(image) is not image]
    assert len(again) <= 0.01 * len(images), f"{len(again)} crops as cut were cut again"
    before = [r.label for r in classifier.classify(again)]
    after = [r.label for r in classifier.classify([framed_on_box(image) for image in again])]
    assert after == before
