"""How the digit classifier generalises to boxes that differ from c1-real as other material will.

    .venv/bin/python bench/digit_shifts.py [--model PATH] [--only TEXT...] [--json]

Takes the held-out split of ../shared/data/digits/c1-real (by TPS code, exactly as
bench/digits_accuracy.py and training split it; never a training crop), changes every crop
in one way at a time (a shift: its margin, size, shape, colour, ink, exposure, compression,
turn, blur, noise, polarity or file format), passes it through the path by which
`rekap digits classify` reads a decoded image (`rekap.reading.box_input.as_box_crop`, and
`doubt_of` for a box it reads with doubt) and reads it. Per shift it prints the accuracy
against the data set's labels, the expected calibration error (15 bins), how many boxes
were read wrong at confidence 0.9 or more (silent errors waiting to happen) and at 0.99 or
more, and the share read below 0.9.

The data set's five labelling errors (`src/rekap/reading/models/digits.md`) are read
"wrong" at p 1.00 as they are, so 5 wrong at p >= 0.9 is the floor of every shift.
Each shift is seeded from its name: two runs of one model print the same figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "training"))

from calibration import expected_calibration_error  # noqa: E402
from real_digits import REAL_DIGITS_RELATIVE, crops_in, load_real_crops, read_bgr  # noqa: E402
from rekap.reading.box_input import as_box_crop, doubt_of  # noqa: E402
from rekap.reading.digits import DIGIT_LABELS, OnnxDigitClassifier  # noqa: E402

Image = NDArray[np.uint8]
Shift = Callable[[Image, np.random.Generator, list[Image]], NDArray[np.generic]]
"""A crop (BGR, as the data set's files decode), a generator seeded for the shift, and every
held-out crop (for neighbours) in; the changed image, as a decoder would hand it over, out."""


def _paper(image: Image) -> list[float]:
    return [float(np.percentile(image[..., c], 90)) for c in range(image.shape[2])]


def _recut(image: Image, left: float, top: float, right: float, bottom: float) -> Image:
    """Re-cut by shares of the crop's size: a positive share trims that side, a negative one
    pads it with the crop's paper."""
    height, width = image.shape[:2]
    pad_top, pad_bottom, pad_left, pad_right = (
        max(0, round(-f * n))
        for f, n in ((top, height), (bottom, height), (left, width), (right, width))
    )
    padded = cv2.copyMakeBorder(
        image, pad_top, pad_bottom, pad_left, pad_right, cv2.BORDER_CONSTANT, value=_paper(image)
    )
    y0, x0 = max(0, round(top * height)), max(0, round(left * width))
    y1 = padded.shape[0] - max(0, round(bottom * height))
    x1 = padded.shape[1] - max(0, round(right * width))
    return np.ascontiguousarray(padded[y0:y1, x0:x1])


def _white_margin(image: Image, share: float) -> Image:
    pad = round(share * max(image.shape[:2]))
    white = (255, 255, 255)
    return np.asarray(
        cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=white)
    )


def _between_neighbours(
    image: Image, rng: np.random.Generator, pool: list[Image], share: float
) -> Image:
    """The box cut from a row of boxes, as a form's three digit boxes stand: `share` of the
    crop's width of the neighbouring boxes (other held-out crops) shows on each side, past a
    gap of paper 4 % as wide."""
    height, width = image.shape[:2]
    gap = np.full((height, max(1, round(0.04 * width)), 3), _paper(image), np.uint8)
    sides = []
    for _ in range(2):
        other = pool[int(rng.integers(len(pool)))]
        scale = height / other.shape[0]
        sides.append(
            cv2.resize(
                other, (max(4, round(other.shape[1] * scale)), height), interpolation=cv2.INTER_AREA
            )
        )
    row = np.hstack([sides[0], gap, image, gap, sides[1]])
    centre = sides[0].shape[1] + gap.shape[1] + width // 2
    half = round(width * (0.5 + share))
    return np.ascontiguousarray(row[:, max(0, centre - half) : centre + half])


def _to_height(image: Image, height: int, method: int | None = None) -> Image:
    scale = height / image.shape[0]
    size = (max(4, round(image.shape[1] * scale)), height)
    if method is None:
        method = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, size, interpolation=method))


def _stretched(image: Image, wide: float, tall: float) -> Image:
    height, width = image.shape[:2]
    size = (max(4, round(width * wide)), max(4, round(height * tall)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_CUBIC))


def _gray(image: Image) -> Image:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


def _inked(image: Image, ink_bgr: tuple[int, int, int]) -> Image:
    """The handwriting redrawn in an ink of `ink_bgr` (its colour on white paper under white
    light, so lit as the crop's paper is) on the crop's paper; the printed border (the crop's
    outer 15 %) stays as it was printed."""
    gray = _gray(image).astype(np.float32)
    dark, paper = (float(v) for v in np.percentile(gray, [2.0, 90.0]))
    amount = np.clip((paper - gray) / max(paper - dark, 1.0), 0.0, 1.0)[:, :, None]
    colour = paper * np.array(ink_bgr, np.float32)[None, None, :] / 255.0
    inked = paper * (1.0 - amount) + colour * amount
    height, width = gray.shape
    result = image.astype(np.float32)
    inner = (
        slice(round(0.15 * height), round(0.85 * height)),
        slice(round(0.15 * width), round(0.85 * width)),
    )
    result[inner] = inked[inner]
    return np.clip(np.round(result), 0, 255).astype(np.uint8)


def _levels(image: Image, gain: float, offset: float) -> Image:
    return np.clip(np.round(image.astype(np.float32) * gain + offset), 0, 255).astype(np.uint8)


def _gamma(image: Image, gamma: float) -> Image:
    return np.clip(np.round(255.0 * (image / 255.0) ** gamma), 0, 255).astype(np.uint8)


def _jpeg(image: Image, quality: int) -> NDArray[np.generic]:
    _, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_UNCHANGED))


def _rotated(image: Image, degrees: float) -> Image:
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return np.asarray(
        cv2.warpAffine(
            image, turn, (width, height), flags=cv2.INTER_CUBIC, borderValue=_paper(image)
        )
    )


def _noisy(image: Image, rng: np.random.Generator, sigma: float) -> Image:
    noise = rng.normal(0.0, sigma, image.shape)
    return np.clip(np.round(image + noise), 0, 255).astype(np.uint8)


def _png(image: NDArray[np.unsignedinteger[Any]]) -> NDArray[np.generic]:
    """Through a PNG file and back, as a decoder hands it over (depth and alpha kept: PNG
    holds 8- or 16-bit unsigned samples)."""
    _, data = cv2.imencode(".png", image)
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_UNCHANGED))


def _transparent(image: Image) -> NDArray[np.generic]:
    """Black ink whose opacity is its darkness, on a transparent ground (as digits cut out by
    other tools are stored)."""
    gray = _gray(image)
    out = np.zeros((*gray.shape, 4), np.uint8)
    out[:, :, 3] = 255 - gray
    return _png(out)


def _phone(image: Image, rng: np.random.Generator) -> NDArray[np.generic]:
    """A colour phone photo of a box: warm light, blue ballpoint, larger, turned 5 degrees,
    sensor noise, JPEG quality 50."""
    warm = _levels(_inked(image, (150, 60, 20)), 1.0, 0.0) * np.array([0.8, 0.92, 1.0], np.float32)
    shot = _rotated(_to_height(warm.astype(np.uint8), 150), 5.0)
    return _jpeg(_noisy(shot, rng, 6.0), 50)


SHIFTS: dict[str, Shift] = {
    "as cut": lambda image, rng, pool: image,
    # margins
    "border cut off, 10% each side": lambda image, rng, pool: _recut(image, 0.1, 0.1, 0.1, 0.1),
    "border cut off, 15% each side": lambda image, rng, pool: _recut(image, 0.15, 0.15, 0.15, 0.15),
    "own paper margin 30%": lambda image, rng, pool: _recut(image, -0.3, -0.3, -0.3, -0.3),
    "white margin 30%": lambda image, rng, pool: _white_margin(image, 0.3),
    "neighbouring boxes, 25% each side": lambda image, rng, pool: _between_neighbours(
        image, rng, pool, 0.25
    ),
    "neighbouring boxes 25%, paper 20% above and below": lambda image, rng, pool: _recut(
        _between_neighbours(image, rng, pool, 0.25), 0.0, -0.2, 0.0, -0.2
    ),
    "off-centre 20% right and down": lambda image, rng, pool: _recut(image, -0.2, -0.2, 0.2, 0.2),
    "off-centre 20% left": lambda image, rng, pool: _recut(image, 0.2, 0.0, -0.2, 0.0),
    # scale
    "16 px tall": lambda image, rng, pool: _to_height(image, 16),
    "24 px tall": lambda image, rng, pool: _to_height(image, 24),
    "16 px tall, nearest pixel": lambda image, rng, pool: _to_height(image, 16, cv2.INTER_NEAREST),
    "100 px tall": lambda image, rng, pool: _to_height(image, 100),
    "300 px tall": lambda image, rng, pool: _to_height(image, 300),
    "300 px tall, nearest pixel": lambda image, rng, pool: _to_height(
        image, 300, cv2.INTER_NEAREST
    ),
    # aspect
    "1.5 x as wide": lambda image, rng, pool: _stretched(image, 1.5, 1.0),
    "0.6 x as wide": lambda image, rng, pool: _stretched(image, 0.6, 1.0),
    # colour
    "grey, one channel": lambda image, rng, pool: _gray(image),
    "warm colour cast": lambda image, rng, pool: (
        _levels(image, 1.0, 0.0) * np.array([0.7, 0.88, 1.0])
    ),
    "blue ballpoint ink": lambda image, rng, pool: _inked(image, (150, 60, 20)),
    "black ink": lambda image, rng, pool: _inked(image, (25, 25, 25)),
    "red ink": lambda image, rng, pool: _inked(image, (40, 40, 190)),
    "light blue gel ink": lambda image, rng, pool: _inked(image, (240, 190, 130)),
    "pencil": lambda image, rng, pool: _inked(image, (150, 150, 150)),
    "faint pencil": lambda image, rng, pool: _inked(image, (200, 200, 200)),
    # exposure
    "low contrast x0.35": lambda image, rng, pool: _levels(image, 0.35, 83.0),
    "low contrast x0.15": lambda image, rng, pool: _levels(image, 0.15, 110.0),
    "dark x0.3": lambda image, rng, pool: _levels(image, 0.3, 0.0),
    "overexposed x1.8": lambda image, rng, pool: _levels(image, 1.8, 0.0),
    "overexposed gamma 0.35": lambda image, rng, pool: _gamma(image, 0.35),
    # compression, turn, blur, noise
    "JPEG quality 30": lambda image, rng, pool: _jpeg(image, 30),
    "JPEG quality 45": lambda image, rng, pool: _jpeg(image, 45),
    "JPEG quality 60": lambda image, rng, pool: _jpeg(image, 60),
    "turned 5 degrees": lambda image, rng, pool: _rotated(image, 5.0),
    "turned -5 degrees": lambda image, rng, pool: _rotated(image, -5.0),
    "turned 10 degrees": lambda image, rng, pool: _rotated(image, 10.0),
    "turned -10 degrees": lambda image, rng, pool: _rotated(image, -10.0),
    "blurred, sigma 1": lambda image, rng, pool: cv2.GaussianBlur(image, (0, 0), 1.0),
    "blurred, sigma 2": lambda image, rng, pool: cv2.GaussianBlur(image, (0, 0), 2.0),
    "noise, sigma 12": lambda image, rng, pool: _noisy(image, rng, 12.0),
    "noise, sigma 25": lambda image, rng, pool: _noisy(image, rng, 25.0),
    # polarity and file formats
    "inverted, white on black": lambda image, rng, pool: 255 - image,
    "inverted grey": lambda image, rng, pool: 255 - _gray(image),
    "16-bit grey PNG": lambda image, rng, pool: _png(_gray(image).astype(np.uint16) * 257),
    "16-bit colour PNG": lambda image, rng, pool: _png(image.astype(np.uint16) * 257),
    "opaque RGBA PNG": lambda image, rng, pool: _png(
        np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2BGRA), dtype=np.uint8)
    ),
    "ink on a transparent ground": lambda image, rng, pool: _transparent(image),
    # together
    "phone photo: colour, blue ink, 150 px, 5 degrees, noise, JPEG 50": lambda image, rng, pool: (
        _phone(image, rng)
    ),
}


@dataclass(frozen=True)
class ShiftFigures:
    accuracy: float
    ece: float
    wrong_at_p90: int
    wrong_at_p99: int
    below_p90: float


def measure(
    classifier: OnnxDigitClassifier,
    shift: Shift,
    name: str,
    images: list[Image],
    truth: NDArray[np.int64],
) -> ShiftFigures:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    crops = [as_box_crop(np.asarray(shift(image, rng, images))) for image in images]
    probabilities = classifier.probabilities(crops, [doubt_of(crop) for crop in crops])
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = predicted != truth
    return ShiftFigures(
        accuracy=float(np.mean(~wrong)),
        ece=expected_calibration_error(probabilities, truth),
        wrong_at_p90=int(np.sum(wrong & (confidence >= 0.9))),
        wrong_at_p99=int(np.sum(wrong & (confidence >= 0.99))),
        below_p90=float(np.mean(confidence < 0.9)),
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument("--model", type=Path, default=None, help="default: the packaged model")
    parser.add_argument(
        "--only", nargs="*", default=[], help="only shifts whose name contains one of these"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if not (args.shared / REAL_DIGITS_RELATIVE / "labels.csv").is_file():
        print(
            f"../shared is absent ({args.shared}); this benchmark reads real digit crops there.",
            file=sys.stderr,
        )
        return 2
    crops = list(crops_in(load_real_crops(args.shared, splits=("test",)), "test"))
    images = [read_bgr(c.path) for c in crops]
    truth = np.array([DIGIT_LABELS.index(c.label) for c in crops], dtype=np.int64)
    classifier = OnnxDigitClassifier(args.model, threads=1)
    chosen = {n: s for n, s in SHIFTS.items() if not args.only or any(o in n for o in args.only)}
    results = {}
    if not args.json:
        print(f"{len(images)} held-out crops from {len({c.tps_code for c in crops})} TPS")
        print(
            f"{'shift':<66} {'accuracy':>8} {'ECE':>7} {'wrong p>=.9':>11} "
            f"{'p>=.99':>6} {'below .9':>8}"
        )
    for name, shift in chosen.items():
        figures = measure(classifier, shift, name, images, truth)
        results[name] = figures.__dict__
        if not args.json:
            print(
                f"{name:<66} {figures.accuracy:>8.2%} {figures.ece:>7.4f} "
                f"{figures.wrong_at_p90:>11d} {figures.wrong_at_p99:>6d} {figures.below_p90:>8.1%}",
                flush=True,
            )
    if args.json:
        print(json.dumps({"crops": len(images), "shifts": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
