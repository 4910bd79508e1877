"""The digit-box classifier: its input, its calibrated output, what it reads, and its CLI."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest
from typer.testing import CliRunner

from rekap.cli.digits import app as digits_app
from rekap.reading.digits import (
    DIGIT_LABELS,
    INPUT_SIZE,
    DigitReading,
    OnnxDigitClassifier,
    as_dark_on_light,
    preprocess_crop,
    preprocess_crops,
    softmax,
    value_of,
)
from rekap.simulation.handwriting import WriterStyle, render_digit_box, render_digit_box_bgr


@pytest.fixture(scope="module")
def classifier() -> OnnxDigitClassifier:
    return OnnxDigitClassifier()


def _synthetic_boxes(seed: int, per_label: int) -> tuple[list[np.ndarray], list[str]]:
    """Boxes drawn by the project's renderer from a seed the training never used."""
    rng = np.random.default_rng(seed)
    crops, labels = [], []
    for _ in range(per_label):
        for label in DIGIT_LABELS:
            size = (int(rng.integers(40, 56)), int(rng.integers(38, 50)))
            crops.append(render_digit_box(label, WriterStyle.sample(rng), rng, size))
            labels.append(label)
    return crops, labels


def test_preprocessing_puts_ink_high_and_paper_low() -> None:
    rng = np.random.default_rng(1)
    crop = render_digit_box("1", WriterStyle.sample(rng), rng, (50, 44))
    tensor = preprocess_crop(crop)
    assert tensor.shape == (INPUT_SIZE, INPUT_SIZE)
    assert tensor.dtype == np.float32
    assert tensor.min() >= 0.0 and tensor.max() <= 1.0
    assert np.median(tensor) < 0.2, "most of a box is paper"
    assert tensor.max() > 0.8, "border and ink reach full strength"


def test_grey_bgr_and_bgra_crops_give_the_same_input() -> None:
    rng = np.random.default_rng(2)
    bgr = render_digit_box_bgr("7", WriterStyle.sample(rng), rng, 48)
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    bgra = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    batch = preprocess_crops([grey, bgr, bgra, grey[:, :, None]])
    assert batch.shape == (4, 1, INPUT_SIZE, INPUT_SIZE)
    for other in batch[1:]:
        np.testing.assert_allclose(other, batch[0], atol=1e-6)


def test_a_batch_is_preprocessed_exactly_as_each_crop_alone() -> None:
    rng = np.random.default_rng(3)
    crops = [
        render_digit_box(label, WriterStyle.sample(rng), rng, (48, 48)) for label in DIGIT_LABELS
    ]
    crops += [rng.integers(0, 256, (int(rng.integers(4, 70)), 33), dtype=np.uint8)]
    crops += [np.full((48, 48), 200, np.uint8), rng.integers(120, 130, (48, 40), dtype=np.uint8)]
    alone = np.stack([preprocess_crop(crop)[None] for crop in crops])
    assert np.array_equal(preprocess_crops(crops), alone)
    assert preprocess_crops([]).shape == (0, 1, INPUT_SIZE, INPUT_SIZE)


def test_preprocessing_refuses_what_is_not_a_crop() -> None:
    with pytest.raises(ValueError, match="uint8"):
        preprocess_crop(np.zeros((40, 40), dtype=np.float32))
    with pytest.raises(ValueError, match="digit crop"):
        preprocess_crop(np.zeros((2, 40), dtype=np.uint8))


def test_values_of_labels() -> None:
    assert [value_of(label) for label in DIGIT_LABELS] == [*range(10), 0, 0]


def _fitted_temperatures() -> list[float]:
    """The temperatures fitted on the calibration split: the model's own, or, for models
    joined by training/ensemble.py, each member's (applied inside the graph)."""
    model = resources.files("rekap.reading").joinpath("models", "digits.onnx").read_bytes()
    metadata = ort.InferenceSession(model).get_modelmeta().custom_metadata_map
    listed = metadata.get("member_temperatures") or metadata.get("temperature", "1.0")
    return [float(x) for x in listed.split(",")]


def test_readings_are_calibrated_probabilities_over_the_twelve_labels(
    classifier: OnnxDigitClassifier,
) -> None:
    crops, _ = _synthetic_boxes(seed=31, per_label=2)
    readings = classifier.classify(crops)
    assert len(readings) == len(crops)
    logits = classifier.logits(crops)
    expected = softmax(logits, classifier.temperature)
    temperatures = _fitted_temperatures()
    assert temperatures and 1.0 not in temperatures, "every member carries a fitted temperature"
    for reading, row in zip(readings, expected, strict=True):
        assert isinstance(reading, DigitReading)
        assert reading.label in DIGIT_LABELS
        assert reading.value == value_of(reading.label)
        assert len(reading.probabilities) == len(DIGIT_LABELS)
        assert sum(reading.probabilities) == pytest.approx(1.0, abs=1e-6)
        np.testing.assert_allclose(reading.probabilities, row, atol=1e-9)
        assert reading.confidence == max(reading.probabilities)
        assert reading.ranked()[0] == (reading.label, reading.confidence)


def test_an_empty_batch_reads_as_nothing(classifier: OnnxDigitClassifier) -> None:
    assert classifier.classify([]) == []


def test_reads_synthetic_boxes_it_never_saw(classifier: OnnxDigitClassifier) -> None:
    crops, labels = _synthetic_boxes(seed=20240214, per_label=15)
    predicted = [reading.label for reading in classifier.classify(crops)]
    accuracy = np.mean([p == t for p, t in zip(predicted, labels, strict=True)])
    assert accuracy >= 0.95, f"read {accuracy:.1%} of rendered boxes"


@pytest.mark.shared
def test_held_out_real_boxes_are_read_at_least_99_percent(
    shared_dir: Path, repo_root: Path, classifier: OnnxDigitClassifier
) -> None:
    sys.path.insert(0, str(repo_root / "training"))
    try:
        from real_digits import crops_in, load_real_crops, read_bgr
    finally:
        sys.path.remove(str(repo_root / "training"))
    held_out = list(crops_in(load_real_crops(shared_dir, splits=("test",)), "test"))
    rng = np.random.default_rng(0)
    sample = [held_out[i] for i in rng.choice(len(held_out), size=800, replace=False)]
    readings = classifier.classify([read_bgr(crop.path) for crop in sample])
    accuracy = np.mean([r.label == c.label for r, c in zip(readings, sample, strict=True)])
    assert accuracy >= 0.99, f"held-out real accuracy {accuracy:.2%}"


def _write_boxes(folder: Path, count: int) -> list[Path]:
    crops, labels = _synthetic_boxes(seed=5, per_label=1)
    paths = []
    for index in range(count):
        path = folder / f"box-{index}-{labels[index]}.png"
        cv2.imwrite(str(path), crops[index])
        paths.append(path)
    return paths


def test_cli_json_lines_contract(tmp_path: Path) -> None:
    boxes = _write_boxes(tmp_path, 3)
    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("not a picture")
    missing = tmp_path / "missing.png"
    args = [
        "classify",
        "--json",
        str(boxes[0]),
        str(not_an_image),
        str(boxes[1]),
        str(missing),
        str(boxes[2]),
    ]
    result = CliRunner().invoke(digits_app, args)
    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [line["path"] for line in lines] == [args[i] for i in range(2, len(args))]
    for line in (lines[0], lines[2], lines[4]):
        assert set(line) == {"path", "label", "value", "confidence"}
        assert line["label"] in DIGIT_LABELS
        assert line["value"] == value_of(line["label"])
        assert 0.0 < line["confidence"] <= 1.0
    for line in (lines[1], lines[3]):
        assert set(line) == {"path", "error"}
        assert line["error"]


def test_cli_table_and_success_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    boxes = _write_boxes(tmp_path, 2)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(digits_app, ["classify", *(box.name for box in boxes)])
    assert result.exit_code == 0, result.output
    assert "confidence" in result.stdout
    assert boxes[0].name in result.stdout


def test_a_light_digit_on_a_dark_ground_is_turned_dark_on_light() -> None:
    rng = np.random.default_rng(11)
    box = render_digit_box_bgr("4", WriterStyle.sample(rng), rng, 48)
    assert as_dark_on_light(box) is box  # a form's box is left as it is
    assert np.array_equal(as_dark_on_light(255 - box), box)
    ink = np.zeros((28, 28), np.uint8)
    cv2.line(ink, (14, 4), (14, 23), 255, 3)  # a thin white "1": less than 10 % of the image
    assert np.array_equal(as_dark_on_light(ink), 255 - ink)
    flat = np.full((28, 28), 17, np.uint8)
    assert as_dark_on_light(flat) is flat
    with_alpha = np.dstack([255 - box, np.full(box.shape[:2], 200, np.uint8)])
    assert np.array_equal(as_dark_on_light(with_alpha), np.dstack([box, with_alpha[:, :, 3]]))
    dim = (box // 4 + 10).astype(np.uint8)  # a box in a dim corner, a glint of glare on it
    dim[:6, :20] = 255  # 5 % of the box
    assert as_dark_on_light(dim) is dim


def _classified(folder: Path, images: dict[str, np.ndarray]) -> dict[str, str]:
    for name, image in images.items():
        cv2.imwrite(str(folder / name), image)
    result = CliRunner().invoke(
        digits_app, ["classify", "--json", *(str(folder / name) for name in images)]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    return {Path(line["path"]).name: line["label"] for line in lines}


def test_cli_reads_digits_stored_other_ways_as_the_form_s_boxes(tmp_path: Path) -> None:
    """White on black (as MNIST stores digits), grey, 16-bit and on a transparent ground:
    each read as the same box photographed."""
    crops, labels = _synthetic_boxes(seed=77, per_label=1)
    for crop, label in zip(crops[:10], labels[:10], strict=True):
        grey = np.asarray(crop, dtype=np.uint8)
        colour = np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
        transparent = np.zeros((*grey.shape, 4), np.uint8)  # black ink, its alpha the ink
        transparent[:, :, 3] = 255 - grey
        read = _classified(
            tmp_path,
            {
                "box.png": colour,
                "white-on-black.png": 255 - colour,
                "grey.png": grey,
                "sixteen-bit.png": grey.astype(np.uint16) * 257,
                "transparent.png": transparent,
            },
        )
        assert set(read.values()) == {read["box.png"]}, (label, read)


@pytest.mark.shared
def test_cli_reads_mnist_digits_as_distributed(shared_dir: Path, tmp_path: Path) -> None:
    """MNIST's test digits, white on black and without a box, as their files have them: the
    command read 9.75 % of 2,000 right before it turned them dark on light, 92.5 % after."""
    import gzip

    def idx(name: str) -> np.ndarray:
        data = gzip.decompress((shared_dir / "data/digits/mnist-t10k" / name).read_bytes())
        shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(data[3]))
        return np.frombuffer(data, np.uint8, offset=4 + 4 * data[3]).reshape(shape)

    images, labels = idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz")
    chosen = range(0, 10_000, 40)
    read = _classified(tmp_path, {f"{i:05d}.png": images[i] for i in chosen})
    right = sum(read[f"{i:05d}.png"] == str(labels[i]) for i in chosen)
    assert right >= 0.85 * len(chosen), f"{right} of {len(chosen)}"


def test_cli_is_registered_under_rekap_digits() -> None:
    from rekap.cli.main import app as rekap_app

    result = CliRunner().invoke(rekap_app, ["digits", "classify", "--help"])
    assert result.exit_code == 0, result.output
    assert "--json" in result.stdout


def test_cli_says_plainly_why_a_crop_is_refused_and_reads_standard_input(
    tmp_path: Path,
) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    cv2.imwrite(str(tmp_path / "large.png"), np.full((2100, 2100), 255, np.uint8))
    args = ["classify", "--json", str(tmp_path / "empty.png"), str(tmp_path / "large.png")]
    result = CliRunner().invoke(digits_app, args)
    assert result.exit_code == 1
    empty, large = (json.loads(line)["error"] for line in result.stdout.splitlines())
    assert empty == "empty file"
    assert large == "image too large: 2100x2100 = 4,410,000 pixels (limit 4,000,000)"
    box = _write_boxes(tmp_path, 1)[0]
    piped = CliRunner().invoke(digits_app, ["classify", "--json", "-"], input=box.read_bytes())
    assert piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout)["path"] == "-" and "label" in json.loads(piped.stdout)
    usage = CliRunner().invoke(digits_app, ["classify", "--help"], env={"COLUMNS": "200"})
    assert "Exit status: 0 when every image was classified; 1 when any" in " ".join(
        usage.output.split()
    )


def _photographed_box(label: str, seed: int) -> np.ndarray:
    """A box as a phone photographs it: grey paper with grain, so that the median lies well
    above the darkest paper."""
    rng = np.random.default_rng(seed)
    box = render_digit_box(label, WriterStyle.sample(rng), rng, (48, 44)).astype(np.float32)
    lit = 40.0 + box * (170.0 / 255.0) + rng.normal(0.0, 5.0, box.shape)
    return np.clip(np.round(lit), 0, 255).astype(np.uint8)


def test_a_box_stored_white_on_black_is_turned_dark_on_light() -> None:
    """A form's box inverted (border and digit light on dark paper) has too little light ink
    for the MNIST rule; its light frame gives it away. A dim box with a large patch of glare
    in one corner has no such frame and stays as it is."""
    for seed, label in enumerate("1478"):
        box = _photographed_box(label, seed)
        assert as_dark_on_light(box) is box
        assert np.array_equal(as_dark_on_light(255 - box), box), label
    rng = np.random.default_rng(13)
    clean = render_digit_box("8", WriterStyle.sample(rng), rng, (48, 44))
    dim = (clean // 3 + 10).astype(np.uint8)
    dim[:14, :22] = 255  # glare over a seventh of a dim box, along two of its sides
    assert as_dark_on_light(dim) is dim


@pytest.mark.shared
def test_held_out_real_boxes_stored_inverted_are_turned_back(shared_dir: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))
    from real_digits import crops_in, load_real_crops, read_bgr

    held_out = list(crops_in(load_real_crops(shared_dir, splits=("test",)), "test"))[::20]
    images = [read_bgr(crop.path) for crop in held_out]
    assert all(as_dark_on_light(image) is image for image in images)
    turned = sum(np.array_equal(as_dark_on_light(255 - image), image) for image in images)
    assert turned >= 0.9 * len(images), f"{turned} of {len(images)}"
