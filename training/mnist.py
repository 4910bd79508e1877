"""MNIST digits pasted into rendered boxes: optional extra training material (`--mnist`).

MNIST is free-hand Western handwriting with no box and no guide; pasting each digit as
ink into a rendered empty box at the guide's height makes it at least look like a form box.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from photo_effects import photograph
from rekap.reading.digits import INPUT_SIZE, preprocess_crop
from rekap.simulation.handwriting import BoxAppearance, WriterStyle, render_digit_box_bgr

MNIST_RELATIVE = Path("data/digits/mnist-t10k")


def _read_idx(path: Path) -> NDArray[np.uint8]:
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist(shared_dir: Path) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    root = shared_dir / MNIST_RELATIVE
    images = _read_idx(root / "t10k-images-idx3-ubyte.gz")
    labels = _read_idx(root / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return images, labels


def mnist_box(digit: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    """One MNIST digit written as ink into a rendered, photographed empty box."""
    height, width = int(rng.integers(38, 59)), int(rng.integers(36, 51))
    look = BoxAppearance.sample(rng)
    style = WriterStyle.sample(rng)
    box = render_digit_box_bgr("blank", style, rng, (height, width), look).astype(np.float32)
    u0, v0, u1, v1 = look.guide_rect
    side = round((v1 - v0) * height * rng.uniform(1.1, 1.4))  # MNIST digits fill 20 of 28 px
    ink = cv2.resize(digit, (side, side), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    cx = round((u0 + u1) / 2 * width + rng.normal(0, 1.5))
    cy = round((v0 + v1) / 2 * height + rng.normal(0, 1.5))
    x0, y0 = cx - side // 2, cy - side // 2
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + side, width), min(y0 + side, height)
    alpha = (ink[ya - y0 : yb - y0, xa - x0 : xb - x0] * style.ink_opacity)[..., None]
    region = box[ya:yb, xa:xb]
    colour = np.array(style.ink_bgr, dtype=np.float32) / 255
    box[ya:yb, xa:xb] = region * (1 - alpha) + region * colour * alpha
    return photograph(np.clip(box, 0, 255).astype(np.uint8), rng)


def mnist_inputs(
    shared_dir: Path, count: int, seed: int
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """`count` preprocessed MNIST boxes and their labels (digit label index = digit)."""
    images, labels = load_mnist(shared_dir)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(images), size=min(count, len(images)), replace=False)
    inputs = np.empty((len(chosen), INPUT_SIZE, INPUT_SIZE), dtype=np.float32)
    for index, source in enumerate(chosen):
        inputs[index] = preprocess_crop(mnist_box(images[source], rng))
    return inputs, labels[chosen]
