"""Digit-box crops cut by the page reader itself from simulated phone photos, with truth.

The election simulator (`rekap.simulation`) writes each field's value with a hand of its
own (`hand.py`, X in unused leading boxes), photographs the page, and records the values.
Here each photo goes through the product's own decode, locate and cut stages
(`PageReader` with a recording cutter), so the crops are exactly what the classifier sees at
run time; their labels come from `SimulatedTps.values` via `box_chars_for_value`.

    .venv/bin/python training/sim_crops.py --regions 5103 6471 --seeds 101 102 --tps 40 \
        --out var/sim/train.npz

Keep the seeds and regions used for training disjoint from those the benchmark reports
(bench/read_forms.py: seeds 7 and 2024). Runs in the product's venv (no torch needed).
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rekap.reading.cells import PageCells, cut_cells
from rekap.reading.classifier import DIGIT_BOX_LABELS
from rekap.reading.decode import GrayImage
from rekap.reading.locate import PageLocation
from rekap.reading.pipeline import PageReader
from rekap.simulation.handwriting import box_chars_for_value


@dataclass(frozen=True)
class _NoOpinion:
    label: str
    confidence: float
    probabilities: tuple[float, ...]


class _Recorder:
    """A classifier that says nothing (uniform) about any box: only the cut matters here."""

    def classify(self, crops: Sequence[GrayImage]) -> list[_NoOpinion]:
        uniform = 1.0 / len(DIGIT_BOX_LABELS)
        return [_NoOpinion("blank", uniform, (uniform,) * len(DIGIT_BOX_LABELS)) for _ in crops]


def _harvest(job: tuple[str, int, int]) -> tuple[np.ndarray, np.ndarray, int]:
    region, seed, tps_count = job
    from rekap.simulation.api import (
        PhotoOptions,
        SimulationOptions,
        photograph_tps,
        simulate_region,
    )

    election = simulate_region(region, seed, SimulationOptions())
    crops: list[GrayImage] = []
    labels: list[int] = []
    pages = 0
    for _, tps in zip(range(tps_count), election, strict=False):
        for shot in photograph_tps(tps, seed, PhotoOptions()):
            cut: list[PageCells] = []

            def cutter(
                gray: GrayImage, location: PageLocation, cut: list[PageCells] = cut
            ) -> PageCells:
                cells = cut_cells(gray, location)
                cut.append(cells)
                return cells

            reader = PageReader(_Recorder(), cut=cutter)
            reading = reader.read(shot.photo.jpeg, expected_page=shot.page)
            if reading.status != "ok" or not cut:
                continue
            pages += 1
            for cell in cut[0].fields:
                if not cell.visible:
                    continue
                chars = box_chars_for_value(tps.values[cell.field.id], len(cell.digit_crops))
                for crop, char in zip(cell.digit_crops, chars, strict=True):
                    crops.append(np.asarray(crop, np.uint8))
                    labels.append(DIGIT_BOX_LABELS.index(char))
    return np.array(crops, np.uint8), np.array(labels, np.int64), pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", nargs="+", required=True)
    parser.add_argument("--seeds", nargs="+", type=int, required=True)
    parser.add_argument("--tps", type=int, default=20, help="TPS per region and seed")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    started = time.monotonic()
    jobs = [(r, s, args.tps) for s in args.seeds for r in args.regions]
    parts = []
    with multiprocessing.Pool(args.workers) as pool:
        for part in pool.imap_unordered(_harvest, jobs):
            parts.append(part)
            print(f"{len(parts)}/{len(jobs)} jobs, {time.monotonic() - started:.0f} s", flush=True)
    crops = np.concatenate([p[0] for p in parts if len(p[0])])
    labels = np.concatenate([p[1] for p in parts if len(p[1])])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, crops=crops, labels=labels)
    counts = dict(zip(DIGIT_BOX_LABELS, np.bincount(labels, minlength=12).tolist(), strict=True))
    pages = sum(p[2] for p in parts)
    seconds = time.monotonic() - started
    print(f"{len(crops)} crops from {pages} pages in {seconds:.0f} s; per label {counts}")


if __name__ == "__main__":
    main()
