"""Digit boxes covered in part: how often the classifier misreads them, how often the reader
marks them hidden, and how often it marks a box as written.

    .venv/bin/python bench/box_covers.py [--split test] [--simulated-tps 20] [--set 3204:13]

1. Every crop of ../shared/data/digits/c1-real, grouped by TPS as a page groups its boxes
   and brought to the reader's 48 px: how many `rekap.reading.box_seen` marks hidden and
   `rekap.reading.box_border` partly hidden (with the longest unseen run of border
   segments, counted).
2. The boxes the page reader cuts from simulated photos of clean pages (--simulated-tps
   TPS, pages 1-3), grouped by page: the same counts.
3. The held-out real crops (--split) with part of one box of each TPS group covered: its
   top, bottom, left or right half or its top-right quarter under a finger (a mid level),
   a pen (dark), a white patch or glare (saturated, its edge soft), the patch reaching past
   the printed border. For each: the covered boxes the classifier misreads at p >= 0.99
   (its most confident, what a field's arithmetic can lift), and how many of those and of
   all the covered boxes the reader marks hidden or partly hidden.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "training"))

from real_digits import REAL_DIGITS_RELATIVE, Split, load_real_crops, read_gray  # noqa: E402
from rekap.reading.box_border import border_sights  # noqa: E402
from rekap.reading.box_seen import hidden_boxes  # noqa: E402
from rekap.reading.digits import OnnxDigitClassifier  # noqa: E402

SIDE = 48
"""The reader's digit crops are this many pixels square (`rekap.reading.cells`)."""
PARTS = {
    "top": (0.0, 0.0, 1.0, 0.5),
    "bottom": (0.0, 0.5, 1.0, 1.0),
    "left": (0.0, 0.0, 0.5, 1.0),
    "right": (0.5, 0.0, 1.0, 1.0),
    "corner": (0.5, 0.0, 1.0, 0.5),
}
COVERS = ("finger", "pen", "white", "glare")
Gray = NDArray[np.uint8]


def _sized(crop: Gray) -> Gray:
    return np.asarray(cv2.resize(crop, (SIDE, SIDE), interpolation=cv2.INTER_AREA), np.uint8)


def covered(crop: Gray, part: str, cover: str, rng: np.random.Generator) -> Gray:
    """`crop` with `part` under `cover`, reaching 2 px past the crop's edge (and so past the
    printed border wherever the crop puts it)."""
    left, top, right, bottom = PARTS[part]
    x0, y0 = round(left * SIDE) - 2, round(top * SIDE) - 2
    x1, y1 = round(right * SIDE) + 2, round(bottom * SIDE) + 2
    mask = np.zeros((SIDE, SIDE), np.float32)
    paper = float(np.percentile(crop, 90))
    if cover == "glare":
        centre = ((x0 + x1) // 2, (y0 + y1) // 2)
        cv2.ellipse(mask, centre, ((x1 - x0) // 2 + 2, (y1 - y0) // 2 + 2), 0, 0, 360, 1.0, -1)
        mask = np.asarray(cv2.GaussianBlur(mask, (0, 0), 1.5), np.float32)
        level = 255.0
    else:
        cv2.rectangle(mask, (x0, y0), (x1, y1), 1.0, -1)
        mask = np.asarray(cv2.GaussianBlur(mask, (0, 0), 0.7), np.float32)
        level = {
            "finger": paper * float(rng.uniform(0.6, 0.8)),
            "pen": float(rng.uniform(25.0, 50.0)),
            "white": min(255.0, paper * float(rng.uniform(1.0, 1.1))),
        }[cover]
    grain = rng.normal(0.0, 2.0, mask.shape).astype(np.float32)
    mixed = crop.astype(np.float32) * (1.0 - mask) + (level + grain) * mask
    return np.asarray(np.clip(mixed, 0, 255), dtype=np.uint8)


def marked(crops: Sequence[Gray]) -> tuple[list[bool], list[bool], list[int]]:
    """Per crop: hidden, partly hidden, and the longest run of unseen border segments."""
    sights = border_sights(crops)
    return (
        list(hidden_boxes(crops)),
        [s.partly_hidden for s in sights],
        [s.unseen_run for s in sights],
    )


def count_groups(groups: Sequence[Sequence[Gray]], title: str) -> None:
    hidden = partly = boxes = 0
    runs: collections.Counter[int] = collections.Counter()
    for crops in groups:
        whole, part, run = marked(crops)
        boxes += len(crops)
        hidden += sum(whole)
        partly += sum(p and not w for p, w in zip(part, whole, strict=True))
        runs.update(run)
    print(
        f"{title}: {boxes} boxes in {len(groups)} groups; hidden {hidden}, partly hidden "
        f"{partly}; longest unseen run (segments: boxes) {dict(sorted(runs.items()))}"
    )


def real_groups(shared: Path) -> list[list[Gray]]:
    by_tps: dict[str, list[Gray]] = collections.defaultdict(list)
    for crop in load_real_crops(shared):
        by_tps[crop.tps_code].append(_sized(read_gray(crop.path)))
    return list(by_tps.values())


def simulated_groups(count: int, region: str, seed: int) -> list[list[Gray]]:
    """The digit crops of each clean simulated page, as the page reader cuts them."""
    from rekap.reading.pipeline import PageReader
    from rekap.simulation.api import (
        PhotoOptions,
        SimulationOptions,
        photograph_tps,
        simulate_region,
    )

    classifier = OnnxDigitClassifier(threads=1)
    pages: list[list[Gray]] = []

    class Recording:
        def classify(self, crops: Sequence[Gray]) -> Sequence[object]:
            pages.append([np.asarray(c, np.uint8) for c in crops])
            return classifier.classify(crops)

    reader = PageReader(Recording())  # type: ignore[arg-type]
    election = simulate_region(region, seed, SimulationOptions())
    for tps in list(election)[:count]:
        for shot in photograph_tps(tps, seed, PhotoOptions(pages=(1, 2, 3))):
            reader.read(shot.photo.jpeg)
    return pages


def covers_on_real(shared: Path, split: Split, seed: int) -> None:
    classifier = OnnxDigitClassifier(threads=1)
    by_tps: dict[str, list[tuple[Gray, str]]] = collections.defaultdict(list)
    for crop in load_real_crops(shared, splits=(split,)):
        by_tps[crop.tps_code].append((_sized(read_gray(crop.path)), crop.label))
    groups = [g for g in by_tps.values() if len(g) >= 3]
    print(
        f"\nCovers on held-out real boxes ({split} split: one box of each of {len(groups)} "
        "TPS groups of 3 or more covered, each group a page)"
    )
    print(
        f"  {'cover':<8}{'part':<8}{'boxes':>6}{'misread@.99':>12}{'of them marked':>15}"
        f"{'marked':>8}"
    )
    totals = [0, 0, 0, 0]
    for cover in COVERS:
        for part in PARTS:
            rng = np.random.default_rng([seed, COVERS.index(cover), list(PARTS).index(part)])
            misread = caught = flagged = 0
            targets: list[Gray] = []
            labels: list[str] = []
            found: list[bool] = []
            for group in groups:
                crops = [c for c, _ in group]
                index = int(rng.integers(len(crops)))
                crops[index] = covered(crops[index], part, cover, rng)
                whole, partly, _ = marked(crops)
                targets.append(crops[index])
                labels.append(group[index][1])
                found.append(whole[index] or partly[index])
            for reading, label, mark in zip(
                classifier.classify(targets), labels, found, strict=True
            ):
                wrong = reading.label != label and reading.confidence >= 0.99
                misread += wrong
                caught += wrong and mark
                flagged += mark
            totals = [
                a + b for a, b in zip(totals, [len(groups), misread, caught, flagged], strict=True)
            ]
            print(f"  {cover:<8}{part:<8}{len(groups):>6}{misread:>12}{caught:>15}{flagged:>8}")
    print(f"  {'all':<16}{totals[0]:>6}{totals[1]:>12}{totals[2]:>15}{totals[3]:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument("--split", choices=("test", "calibration", "train"), default="test")
    parser.add_argument("--simulated-tps", type=int, default=20, help="0: skip")
    parser.add_argument("--set", default="3204:13", help="simulated REGION:SEED")
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    if not (options.shared / REAL_DIGITS_RELATIVE).is_dir():
        print(f"skipped: {options.shared / REAL_DIGITS_RELATIVE} is absent")
        return
    cv2.setNumThreads(1)
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"OpenCV {cv2.__version__}; load {os.getloadavg()}"
    )
    started = time.monotonic()
    count_groups(real_groups(options.shared), "Real boxes (c1-real, by TPS, at 48 px)")
    if options.simulated_tps:
        region, seed = options.set.split(":")
        count_groups(
            simulated_groups(options.simulated_tps, region, int(seed)),
            f"Simulated clean pages ({options.simulated_tps} TPS of {region} seed {seed}, "
            "as the reader cuts them)",
        )
    covers_on_real(options.shared, options.split, options.seed)
    print(f"\n{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
