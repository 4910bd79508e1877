"""Reading one handwritten digit box: 0-9, a crossed-out box (X) or an empty box (blank).

The classifier is a small CNN trained by `training/train_digits.py` and shipped as ONNX, so
the product runs it with ONNX Runtime alone (no PyTorch). Its probabilities are calibrated
by temperature scaling (the temperature travels in the model's metadata): the page reader
combines them with the bubbles and the form's arithmetic, and abstains when unsure, so a
confident wrong digit costs more than an honest doubt.

`preprocess_crops` is the single definition of the model's input; training imports it, so
the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from rekap.reading.light import even_out_light
from rekap.reading.percentiles import row_percentile

__all__ = [
    "DIGIT_LABELS",
    "INPUT_SIZE",
    "DigitReading",
    "OnnxDigitClassifier",
    "as_dark_on_light",
    "preprocess_crop",
    "preprocess_crops",
    "softmax",
    "value_of",
]

DIGIT_LABELS: tuple[str, ...] = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "blank")
INPUT_SIZE = 32  # the model sees every crop, border included, as a 32x32 grey square
PREPROCESSING_VERSION = "gray-area32-p90p2-v1"  # recorded in the model; must match at load

_PAPER_PERCENTILE = 90.0  # most of a box is paper
_INK_PERCENTILE = 2.0  # the darkest ink or border
_MIN_CONTRAST = 24.0  # grey levels; below this a crop is treated as faint, not stretched
_MODEL_RESOURCE = ("models", "digits.onnx")


@dataclass(frozen=True)
class DigitReading:
    """What one box says: its label, the digit's value (0 for X and blank), and how sure.

    `probabilities` are calibrated and follow `DIGIT_LABELS`; `confidence` is the top one.
    """

    label: str
    value: int
    confidence: float
    probabilities: tuple[float, ...]

    def ranked(self) -> list[tuple[str, float]]:
        """Every label with its probability, most likely first: the reading's alternatives."""
        pairs = zip(DIGIT_LABELS, self.probabilities, strict=True)
        return sorted(pairs, key=lambda pair: pair[1], reverse=True)


def value_of(label: str) -> int:
    """The number a box contributes: its digit, or 0 for a crossed-out or empty box."""
    return int(label) if label.isdigit() else 0


def _to_gray(crop: NDArray[np.generic]) -> NDArray[np.float32]:
    image = np.asarray(crop)
    if image.dtype != np.uint8:
        raise ValueError(f"digit crops must be uint8 images, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    if image.ndim != 2 or min(image.shape) < 4:
        raise ValueError(f"not a grey, BGR or BGRA digit crop: shape {image.shape}")
    return np.asarray(image, dtype=np.float32)


_LIGHT_ON_DARK_RATIO = 10.0
"""How much further the brightest pixels must lie above the median than the darkest below
it for a crop to count as a light digit on a dark ground. Measured: every one of the 8,550
crops of ../shared/data/digits/c1-real is at most 1.7 (paper is most of a box); every one of
the 10,000 MNIST test digits as distributed (white on black) is at least 138. A dim box with
a glint of glare stays below 5 (paper 60, ink 20, glare 255), so it is never turned."""

_LIGHT_BOX_RATIO = 2.0
"""A box stored white on black (its border and digit light, its paper dark) has less light
ink than MNIST's digits have ground, so the rule above misses most of them (its ratio for
the c1-real crops inverted: median 8.2, 5 % below 3.3). For a box, the 90th percentile
stands for the brightest instead, and it is turned past this ratio when its light strokes
also run along all four sides (`_LIGHT_FRAME`), as a printed border does. Measured on the
8,550 c1-real crops (2026-11-22): as cut, at most 0.90 (every other crop) and none turned;
inverted, 8,133 turned back. At 1.0, 5 to 7 of the 1,768 held-out crops made 12 to 16 px
tall were turned; at 2.0, none."""
_LIGHT_FRAME = 0.3
"""Within the outer fifth of each side, some row or column light along this share of it:
a frame. A patch of glare on a dim box lies along one or two sides, never all four."""


def as_dark_on_light(crop: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``crop`` turned into a dark digit on light paper when it is plainly a light one on a
    dark ground (as MNIST-style collections store digits, or a box stored inverted), else
    ``crop`` itself.

    For crops that come from elsewhere (``rekap digits classify``); the page reader's boxes,
    cut from a located form, never need it. Light on dark: the median lies near the darkest
    pixels, far below the brightest (the ground is most of the image)."""
    gray = _to_gray(crop)
    dark, median, light, bright = (float(v) for v in np.percentile(gray, [2.0, 50.0, 90.0, 98.0]))
    contrast = bright - dark
    light_on_dark = bright - median > _LIGHT_ON_DARK_RATIO * max(median - dark, 1.0)
    light_box = light - median > _LIGHT_BOX_RATIO * max(median - dark, 1.0) and _light_frame(
        gray > (median + bright) / 2
    )
    if contrast >= _MIN_CONTRAST and (light_on_dark or light_box):
        inverted: NDArray[np.uint8] = np.array(crop, dtype=np.uint8)
        colours = inverted[:, :, :3] if inverted.ndim == 3 else inverted  # not an alpha
        np.subtract(255, colours, out=colours)
        return inverted
    return crop


def _light_frame(light: NDArray[np.bool_]) -> bool:
    """Whether light strokes run along all four sides of the crop, as a box's border does."""
    height, width = light.shape
    band_rows, band_columns = max(1, round(0.2 * height)), max(1, round(0.2 * width))
    sides = (
        light[:band_rows].mean(axis=1),
        light[-band_rows:].mean(axis=1),
        light[:, :band_columns].mean(axis=0),
        light[:, -band_columns:].mean(axis=0),
    )
    return all(float(side.max()) >= _LIGHT_FRAME for side in sides)


def preprocess_crop(crop: NDArray[np.generic]) -> NDArray[np.float32]:
    """One crop as the model's input: INPUT_SIZE x INPUT_SIZE, ink near 1, paper near 0.

    Contrast is stretched per crop between the paper and the darkest ink, because phone
    photos differ far more in exposure than in handwriting.
    """
    gray = _to_gray(crop)
    small = np.asarray(
        cv2.resize(gray, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA), dtype=np.float32
    )
    paper, dark = (float(v) for v in np.percentile(small, [_PAPER_PERCENTILE, _INK_PERCENTILE]))
    contrast = max(paper - dark, _MIN_CONTRAST)
    stretched: NDArray[np.float32] = np.clip((paper - small) / contrast, 0.0, 1.0)
    return stretched


def preprocess_crops(crops: Sequence[NDArray[np.generic]]) -> NDArray[np.float32]:
    """A batch of crops as an (N, 1, INPUT_SIZE, INPUT_SIZE) float32 array: each crop
    exactly as `preprocess_crop` makes it, with the contrast stretch done for all at once."""
    batch = np.zeros((len(crops), 1, INPUT_SIZE, INPUT_SIZE), dtype=np.float32)
    if not crops:
        return batch
    small = batch[:, 0]
    for index, crop in enumerate(crops):
        cv2.resize(_to_gray(crop), (INPUT_SIZE, INPUT_SIZE), small[index], 0, 0, cv2.INTER_AREA)
    ordered = np.sort(small.reshape(len(crops), -1), axis=1)
    paper = row_percentile(ordered, _PAPER_PERCENTILE, np.float64)
    dark = row_percentile(ordered, _INK_PERCENTILE, np.float64)
    # The levels in double precision, applied in single precision, as `preprocess_crop` does.
    contrast = np.maximum(paper - dark, _MIN_CONTRAST).astype(np.float32)
    stretched = (paper.astype(np.float32)[:, None, None] - small) / contrast[:, None, None]
    np.clip(stretched, 0.0, 1.0, out=small)
    return batch


def softmax(logits: NDArray[np.float32], temperature: float = 1.0) -> NDArray[np.float64]:
    """Row-wise softmax of logits divided by `temperature` (temperature scaling)."""
    scaled = logits.astype(np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    result: NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return result


class OnnxDigitClassifier:
    """The digit-box classifier, run with ONNX Runtime on the CPU.

    By default it loads the model shipped in `rekap/reading/models/digits.onnx`. `threads`
    is ONNX Runtime's intra-op thread count: 1 suits a worker per core.
    """

    def __init__(self, model_path: Path | None = None, *, threads: int = 1) -> None:
        model_bytes = model_path.read_bytes() if model_path else _packaged_model_bytes()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
        )
        metadata = self._session.get_modelmeta().custom_metadata_map
        labels = tuple(metadata.get("labels", ",".join(DIGIT_LABELS)).split(","))
        if labels != DIGIT_LABELS:
            raise ValueError(f"model labels {labels} differ from {DIGIT_LABELS}")
        version = metadata.get("preprocessing", PREPROCESSING_VERSION)
        if version != PREPROCESSING_VERSION:
            raise ValueError(f"model expects preprocessing {version}, not {PREPROCESSING_VERSION}")
        self.temperature = float(metadata.get("temperature", "1.0"))
        self._input_name = self._session.get_inputs()[0].name

    def logits(self, crops: Sequence[NDArray[np.generic]]) -> NDArray[np.float32]:
        """Raw, uncalibrated model outputs, (N, 12); mostly for calibration and benchmarks.
        A crop lit unevenly is evened out first (`rekap.reading.light`): the model was
        trained on crops as cut, and a shadow across a box would pass for ink."""
        if not crops:
            return np.zeros((0, len(DIGIT_LABELS)), dtype=np.float32)
        evened = [even_out_light(crop) for crop in crops]
        outputs = self._session.run(None, {self._input_name: preprocess_crops(evened)})
        return np.asarray(outputs[0], dtype=np.float32)

    def probabilities(
        self, crops: Sequence[NDArray[np.generic]], doubts: Sequence[float] | None = None
    ) -> NDArray[np.float64]:
        """Calibrated class probabilities, (N, 12), columns in `DIGIT_LABELS` order.

        `doubts`, one per crop, divide its logits further (1 leaves it as calibrated): for a
        crop known to be read less reliably than the calibration split's boxes
        (`rekap.reading.box_input.doubt_of`)."""
        logits = self.logits(crops)
        if doubts is not None:
            if len(doubts) != len(crops):
                raise ValueError(f"{len(doubts)} doubts for {len(crops)} crops")
            scale = np.asarray(doubts, dtype=np.float32).reshape(-1, 1)
            logits = np.asarray(logits / scale, dtype=np.float32)
        return softmax(logits, self.temperature)

    def classify(
        self, crops: Sequence[NDArray[np.generic]], doubts: Sequence[float] | None = None
    ) -> list[DigitReading]:
        """Read a batch of digit-box crops (grey or BGR uint8, any size, border included);
        `doubts` as `probabilities` takes them."""
        readings = []
        for row in self.probabilities(crops, doubts):
            best = int(np.argmax(row))
            label = DIGIT_LABELS[best]
            readings.append(
                DigitReading(
                    label=label,
                    value=value_of(label),
                    confidence=float(row[best]),
                    probabilities=tuple(float(p) for p in row),
                )
            )
        return readings


def _packaged_model_bytes() -> bytes:
    resource = resources.files("rekap.reading").joinpath(*_MODEL_RESOURCE)
    return resource.read_bytes()
