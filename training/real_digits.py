"""The real digit-box crops in ../shared/data/digits/c1-real, labelled and split by TPS.

Every crop of one TPS comes from the same photo and the same writer, so crops of one TPS
must all fall on the same side of a split, or the held-out figure measures memory of that
writer rather than reading. The split is a hash of (seed, TPS code): stable when crops are
added or reordered, and reproducible without PyTorch (the benchmark and tests use it).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from zero_classes import classify_zero_box, ink_layout, load_overrides

Split = Literal["train", "calibration", "test"]

SPLIT_SEED = 2024
TRAIN_SHARE = 0.7  # fit the weights
CALIBRATION_SHARE = 0.1  # choose the temperature and watch training; the rest (20 %) is test
REAL_DIGITS_RELATIVE = Path("data/digits/c1-real")
_TPS_IN_NAME = re.compile(r"_[Cc]_(\d{6,})")


@dataclass(frozen=True)
class RealCrop:
    """One labelled crop; `label` is already split into 0 / X / blank for label-0 boxes."""

    path: Path
    label: str
    source_label: str  # the data set's own label (0-9)
    tps_code: str
    split: Split


def split_of(tps_code: str, seed: int = SPLIT_SEED) -> Split:
    """Which split a TPS belongs to, from a hash of the seed and its code."""
    digest = hashlib.sha256(f"{seed}:{tps_code}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    if position < TRAIN_SHARE:
        return "train"
    if position < TRAIN_SHARE + CALIBRATION_SHARE:
        return "calibration"
    return "test"


def fold_of(tps_code: str, folds: int, salt: str = "rekap-cross-validation") -> int:
    """Which of `folds` cross-validation folds a TPS falls in (a hash of its own salt)."""
    digest = hashlib.sha256(f"{salt}:{tps_code}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % folds


def tps_code_of(row: dict[str, str]) -> str:
    """The TPS code of a crop: the CSV column, else the digits after `_C_` in its name."""
    if row.get("tps_code"):
        return row["tps_code"]
    match = _TPS_IN_NAME.search(row["file"])
    if not match:
        raise ValueError(f"no TPS code in {row['file']!r}")
    return match.group(1)


def read_gray(path: Path) -> NDArray[np.uint8]:
    """A crop in grey, for the ink rule."""
    return np.asarray(cv2.cvtColor(read_bgr(path), cv2.COLOR_BGR2GRAY), dtype=np.uint8)


def read_bgr(path: Path) -> NDArray[np.uint8]:
    """A crop as the product reads an image file: BGR, converted to grey by preprocessing."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"cannot read {path}")
    return np.asarray(image, dtype=np.uint8)


def load_real_crops(
    shared_dir: Path,
    seed: int = SPLIT_SEED,
    splits: tuple[Split, ...] = ("train", "calibration", "test"),
) -> list[RealCrop]:
    """The labelled crops of `splits` with their class (label-0 boxes sorted by ink)."""
    root = shared_dir / REAL_DIGITS_RELATIVE
    overrides = load_overrides()
    crops = []
    with (root / "labels.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            tps_code = tps_code_of(row)
            split = split_of(tps_code, seed)
            if split not in splits:
                continue
            path = root / "images" / row["file"]
            label = row["label"]
            if label == "0":
                label = overrides.get(row["file"]) or classify_zero_box(ink_layout(read_gray(path)))
            crops.append(RealCrop(path, label, row["label"], tps_code, split))
    return crops


def crops_in(crops: list[RealCrop], split: Split) -> Iterator[RealCrop]:
    return (crop for crop in crops if crop.split == split)
