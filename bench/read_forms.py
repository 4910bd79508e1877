"""Benchmark the page reader: field accuracy on real photos, and throughput on one core.

    .venv/bin/python bench/read_forms.py [--repeats 3] [--sizes 3 6 9 12]

1. Accuracy on the kawalc1 phone photos (../shared/data/forms/kawalc1): page 2 reads
   123 / 274 / 032, page 3 reads 427 / 3 / 430, the page-1 photos show an empty page (every
   field should abstain). Reported per digit-box source: the shipped ONNX classifier when it
   is installed, and an "oracle" that says what a person reads in each box (isolating
   locating, cutting, bubbles and the decision from the digit model). A silent error is a
   field output as `read` with a wrong value; the abstain rate is the share of fields not
   read.
2. Throughput: page-2 photos of 3 to 12 megapixels, synthesised from the real page-2 photo
   by a perspective warp and upscaling so that the page fills ~90% of the frame (as a KPPS
   member frames it), with sensor noise, JPEG quality 92. Forms per second on one core
   (OpenCV and ONNX Runtime single-threaded, process pinned to one CPU), against decoding
   the same files only (full-resolution colour, as a naive reader would, and full-resolution
   grey). Times are CPU seconds of this single-threaded process: on a shared machine that
   is what one dedicated core takes, while wall time would also count others' work.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.cells import cut_cells
from rekap.reading.classifier import DIGIT_BOX_LABELS, DigitBoxClassifier
from rekap.reading.decode import DecodedImage, decode_image
from rekap.reading.geometry import project
from rekap.reading.identities import C_HASIL_PPWP_IDENTITIES
from rekap.reading.locate import PageLocation, locate_page
from rekap.reading.pipeline import PageReader, read_bubble_crop
from rekap.reading.result import PageReading
from rekap.reading.template import load_form_templates

SHARED = Path(__file__).resolve().parents[2] / "shared"
KAWALC1 = SHARED / "data" / "forms" / "kawalc1"
TRUTH: dict[str, tuple[int, dict[str, int | None], str]] = {
    # photo: (page, expected values (None = empty, must abstain), what a person reads)
    "pilpres-2024-hal2.jpg": (2, {"paslon_1": 123, "paslon_2": 274, "paslon_3": 32}, "123274X32"),
    "pilpres-2024-hal2-cam2.jpg": (
        2,
        {"paslon_1": 123, "paslon_2": 274, "paslon_3": 32},
        "123274X32",
    ),
    "pilpres-2024-hal3.jpg": (
        3,
        {"suara_sah": 427, "suara_tidak_sah": 3, "suara_total": 430},
        "427__3430",
    ),
    "pilpres-2024-hal1.jpg": (1, {}, "_" * 66),
    "pilpres-2024-hal3-cam2.jpg": (1, {}, "_" * 66),
}


@dataclass(frozen=True)
class _Reading:
    label: str
    confidence: float
    probabilities: tuple[float, ...]


class OracleClassifier:
    """Reads each box as a person does (from a script), 99.9% sure."""

    def __init__(self, labels: str, p: float = 0.999) -> None:
        self.labels = [{"X": "X", "_": "blank"}.get(ch, ch) for ch in labels]
        self.p = p

    def classify(self, crops: Sequence[np.ndarray]) -> list[_Reading]:
        rest = (1.0 - self.p) / (len(DIGIT_BOX_LABELS) - 1)
        return [
            _Reading(label, self.p, tuple(self.p if n == label else rest for n in DIGIT_BOX_LABELS))
            for label in self.labels[: len(crops)]
        ]


class NoDigitEvidence:
    """Says nothing about any box (uniform): the bubbles alone decide, or nothing does."""

    def classify(self, crops: Sequence[np.ndarray]) -> list[_Reading]:
        uniform = 1.0 / len(DIGIT_BOX_LABELS)
        return [_Reading("blank", uniform, (uniform,) * len(DIGIT_BOX_LABELS)) for _ in crops]


MODEL: list[Path] = []
"""--model: another ONNX digit model to measure instead of the shipped one."""


def shipped_classifier() -> DigitBoxClassifier | None:
    try:
        from rekap.reading.digits import OnnxDigitClassifier

        return OnnxDigitClassifier(MODEL[0] if MODEL else None, threads=1)
    except Exception as error:  # the model is optional for this benchmark
        print(f"  (shipped digit classifier unavailable: {type(error).__name__}: {error})")
        return None


@dataclass
class Tally:
    """Fields holding a number (must be read right or abstained) and empty fields (must
    abstain: any number read there is a silent error too)."""

    numbers: int = 0
    correct: int = 0
    wrong: int = 0
    abstained: int = 0
    empty: int = 0
    empty_read: int = 0
    pages_right: int = 0
    photos: int = 0

    def add(self, reading: PageReading, page: int, expected: dict[str, int | None]) -> None:
        self.photos += 1
        self.pages_right += reading.page == page
        for field in reading.fields:
            truth = expected.get(field.field_id)
            if truth is None:
                self.empty += 1
                self.empty_read += field.status == "read"
            else:
                self.numbers += 1
                self.abstained += field.status == "abstain"
                self.correct += field.status == "read" and field.value == truth
                self.wrong += field.status == "read" and field.value != truth

    def line(self, name: str) -> str:
        n, fields = max(self.numbers, 1), max(self.numbers + self.empty, 1)
        silent = self.wrong + self.empty_read
        return (
            f"  {name:<34} pages {self.pages_right}/{self.photos} | {self.numbers} numbers: "
            f"read right {self.correct}, read wrong {self.wrong}, abstained {self.abstained} "
            f"({self.abstained / n:.0%}) | {self.empty} empty fields: read {self.empty_read} | "
            f"silent error rate {silent / fields:.1%} of all fields"
        )


def accuracy() -> None:
    print("Field accuracy on the kawalc1 photos")
    if not KAWALC1.is_dir():
        print(f"  skipped: {KAWALC1} is absent")
        return
    photos = {name: (KAWALC1 / name).read_bytes() for name in TRUTH}
    sources: list[tuple[str, Callable[[str], DigitBoxClassifier]]] = [
        ("oracle digit boxes + bubbles", lambda labels: OracleClassifier(labels)),
        ("no digit evidence (bubbles only)", lambda labels: NoDigitEvidence()),
    ]
    shipped = shipped_classifier()
    if shipped is not None:
        sources.insert(0, ("shipped ONNX classifier + bubbles", lambda labels: shipped))
    for name, make in sources:
        tally = Tally()
        for photo, (page, expected, labels) in TRUTH.items():
            reading = PageReader(make(labels)).read(photos[photo])
            tally.add(reading, page, expected)
            if name.startswith("shipped"):
                shown = {
                    f.field_id: (f.value, f.status)
                    for f in reading.fields
                    if f.field_id in expected
                }
                print(f"    {photo}: page {reading.page} {reading.status} {shown}")
        print(tally.line(name))


@dataclass(frozen=True)
class PageSource:
    """A real photo of page 2 and where its page lies in it (a quadrilateral, pixels)."""

    photo: NDArray[np.uint8]
    quad: NDArray[np.float32]


def page_source(path: Path) -> PageSource | None:
    """The photo in colour, and its page's corners found by the reader itself."""
    data = path.read_bytes()
    decoded = decode_image(data, reduction=1)
    if not isinstance(decoded, DecodedImage):
        return None
    location = locate_page(decoded, load_form_templates())
    if not isinstance(location, PageLocation):
        return None
    width, height = location.template.page_size
    margin = 0.02 * width
    corners = np.array(
        [
            [-margin, -margin],
            [width + margin, -margin],
            [width + margin, height + margin],
            [-margin, height + margin],
        ]
    )
    photo = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if photo is None:
        return None
    quad = project(location.homography, corners).astype(np.float32)
    return PageSource(np.asarray(photo, dtype=np.uint8), quad)


SIMULATED_SETS = (("3310", 7), ("747101", 2024))
"""(region, seed) of the simulated photos reported here: Klaten with seed 7, and the
`rekap demo` default (Kota Kendari's Mandonga, seed 2024). training/sim_crops.py trains on other
regions and seeds; keep the two disjoint."""
ARITHMETIC_MISTAKES = (
    "paslon_miscount",
    "tidak_sah_miscount",
    "pengguna_miscount",
    "gender_missum",
    "ballot_miscount",
    "ballots_used_mismatch",
)
"""Mistakes the KPPS writes in the digit boxes (each breaks one identity): with
--mistake-rate, the reader must read the mistaken numbers as written or abstain, never
"correct" them through the arithmetic."""


def _silent(reading: PageReading, expected: dict[str, int]) -> list[str]:
    return [
        f"{f.field_id} written {expected[f.field_id]} read {f.value} ({f.reason})"
        for f in reading.fields
        if f.status == "read" and f.value != expected[f.field_id]
    ]


def _without_arithmetic(reading: PageReading) -> PageReading:
    """The same photo decided field by field, without the form's identities (as before)."""
    from rekap.reading.decide import decide

    return replace(
        reading,
        fields=tuple(f if f.evidence is None else decide(f.evidence) for f in reading.fields),
    )


def simulated(tps_count: int, region: str, seed: int, mistake_rate: float = 0.0) -> None:
    """The reader with the shipped classifier on photos from the election simulator
    (rekap.simulation: handwritten pages, phone-camera effects), against what was written:
    each photo read alone (identities within its page), then the TPS's three pages decided
    together (identities across pages too)."""
    mistakes = f", arithmetic mistakes at {mistake_rate:.0%} of TPS" if mistake_rate else ""
    print(
        f"Field accuracy on simulated photos ({tps_count} TPS of {region}, seed {seed}{mistakes})"
    )
    classifier = shipped_classifier()
    if classifier is None:
        print("  skipped: no digit classifier")
        return
    from rekap.reading.tps import decide_tps
    from rekap.simulation.api import (
        ErrorKind,
        PhotoOptions,
        SimulationOptions,
        photograph_tps,
        simulate_region,
    )

    options = SimulationOptions(
        error_rate=mistake_rate, error_kinds=tuple(ErrorKind(k) for k in ARITHMETIC_MISTAKES)
    )
    reader = PageReader(classifier, identities=C_HASIL_PPWP_IDENTITIES)
    election = simulate_region(region, seed, options)
    single = {page: Tally() for page in (1, 2, 3)}
    alone = {page: Tally() for page in (1, 2, 3)}
    together = {page: Tally() for page in (1, 2, 3)}
    silent: list[str] = []
    started = time.monotonic()
    count = 0
    for _, tps in zip(range(tps_count), election, strict=False):
        count += 1
        shots = list(photograph_tps(tps, seed, PhotoOptions()))
        readings = [reader.read(shot.photo.jpeg, expected_page=shot.page) for shot in shots]
        joint = decide_tps(readings)
        for shot, reading, decided in zip(shots, readings, joint, strict=True):
            expected = {f.field_id: tps.values[f.field_id] for f in reading.fields}
            own = _without_arithmetic(reading)
            single[shot.page].add(own, shot.page, dict(expected))
            alone[shot.page].add(reading, shot.page, dict(expected))
            together[shot.page].add(decided, shot.page, dict(expected))
            silent += [f"{tps.kode.value} no arithmetic: {s}" for s in _silent(own, expected)]
            silent += [f"{tps.kode.value} page alone: {s}" for s in _silent(reading, expected)]
            silent += [f"{tps.kode.value} TPS joint: {s}" for s in _silent(decided, expected)]
    for name, tallies in (
        ("each field alone", single),
        ("each page alone", alone),
        ("the TPS's pages together", together),
    ):
        total = Tally()
        for page, tally in tallies.items():
            source = "digit boxes + bubbles" if page == 2 else "digit boxes only"
            print(tally.line(f"{name}: page {page} ({source})"))
            for key in vars(total):
                setattr(total, key, getattr(total, key) + getattr(tally, key))
        print(total.line(f"{name}: all pages"))
    for line in silent:
        print(f"    silent error: {line}")
    print(f"  {count} TPS in {time.monotonic() - started:.0f} s (simulating and reading)")


def synthesise(source: PageSource, megapixels: float, seed: int) -> bytes:
    """The page re-shot as a KPPS member would: filling about 90% of a 3:4 frame of
    `megapixels`, with a little perspective and sensor noise, JPEG quality 92."""
    rng = np.random.default_rng(seed)
    out_w = round(float(np.sqrt(megapixels * 1e6 * 3 / 4)))
    out_h = round(out_w * 4 / 3)
    page_h = 0.9 * out_h
    page_w = page_h * 604 / 904
    x0, y0 = (out_w - page_w) / 2, (out_h - page_h) / 2
    target = np.array(
        [[x0, y0], [x0 + page_w, y0], [x0 + page_w, y0 + page_h], [x0, y0 + page_h]],
        dtype=np.float32,
    )
    target += rng.uniform(-0.025, 0.025, target.shape).astype(np.float32) * out_w
    warp = cv2.getPerspectiveTransform(source.quad, target)
    photo = cv2.warpPerspective(
        source.photo, warp, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=(40, 45, 50)
    )
    noise = rng.normal(0, 3.0, photo.shape)
    photo = np.clip(photo + noise, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return encoded.tobytes()


def _decoder(flags: int) -> Callable[[bytes], object]:
    """Decode-only, as a reader that decodes the whole photo would."""

    def decode(data: bytes) -> object:
        return cv2.imdecode(np.frombuffer(data, np.uint8), flags)

    return decode


def _seconds_per_file(work: Callable[[bytes], object], files: list[bytes], repeats: int) -> float:
    """Median CPU seconds of this (single-threaded) process per file: on a shared machine
    this is what one dedicated core would take, unlike wall time."""
    for data in files[:1]:
        work(data)  # warm-up
    times = []
    for _ in range(repeats):
        for data in files:
            start = time.process_time()
            work(data)
            times.append(time.process_time() - start)
    return statistics.median(times)


class StageClock:
    """CPU seconds spent in each stage of the reader, summed over every photo read."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def timed(self, name: str, stage: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return stage(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.process_time() - start

        return run


class TimedClassifier:
    def __init__(self, classifier: DigitBoxClassifier, clock: StageClock) -> None:
        self.classify = clock.timed("classify", classifier.classify)


def stage_times(classifier: DigitBoxClassifier, files: list[bytes], repeats: int) -> str:
    """Where the reader's time goes, per photo (CPU ms): each stage, and the rest (the
    decision, and what joins the stages)."""
    clock = StageClock()
    reader = PageReader(
        TimedClassifier(classifier, clock),
        decode=clock.timed("decode", decode_image),
        locate=clock.timed("locate", locate_page),
        cut=clock.timed("cut", cut_cells),
        read_bubbles=clock.timed("bubbles", read_bubble_crop),
    )
    reader.read(files[0])  # warm-up
    clock.seconds.clear()
    start = time.process_time()
    for _ in range(repeats):
        for data in files:
            reader.read(data)
    count = repeats * len(files)
    total = time.process_time() - start
    parts = [f"{name} {1000 * seconds / count:.1f}" for name, seconds in clock.seconds.items()]
    rest = total - sum(clock.seconds.values())
    return f"{', '.join(parts)}, rest {1000 * rest / count:.1f} (reader {1000 * total / count:.1f})"


def throughput(sizes: Sequence[float], repeats: int, variants: int, stages: bool = False) -> None:
    print("Throughput on one core, page-2 photos")
    source_path = KAWALC1 / "pilpres-2024-hal2.jpg"
    if not source_path.is_file():
        print(f"  skipped: {source_path} is absent")
        return
    source = page_source(source_path)
    if source is None:
        print("  skipped: the source photo could not be located")
        return
    classifier = shipped_classifier() or OracleClassifier("123274X32")
    reader = PageReader(classifier)
    print(f"  digit classifier: {type(classifier).__name__}")
    print(
        f"  {'MP':>4} {'file MB':>8} {'reader/s':>9} {'colour decode/s':>16} "
        f"{'grey decode/s':>14} {'ratio colour':>13} {'ratio grey':>11} {'read ok':>8}"
    )
    totals = {"reader": 0.0, "colour": 0.0, "grey": 0.0}
    for megapixels in sizes:
        files = [synthesise(source, megapixels, seed) for seed in range(variants)]
        readings = [reader.read(data) for data in files]
        good = sum(
            r.status == "ok" and [f.bubble_digits for f in r.fields] == ["123", "274", "-32"]
            for r in readings
        )
        pipeline = _seconds_per_file(reader.read, files, repeats)
        colour = _seconds_per_file(_decoder(cv2.IMREAD_COLOR), files, repeats)
        grey = _seconds_per_file(_decoder(cv2.IMREAD_GRAYSCALE), files, repeats)
        size_mb = statistics.mean(len(d) for d in files) / 1e6
        totals["reader"] += pipeline
        totals["colour"] += colour
        totals["grey"] += grey
        print(
            f"  {megapixels:>4.0f} {size_mb:>8.2f} {1 / pipeline:>9.1f} {1 / colour:>16.1f} "
            f"{1 / grey:>14.1f} {colour / pipeline:>13.2f} {grey / pipeline:>11.2f} "
            f"{good:>5}/{len(files)}"
        )
        if stages:
            print(f"       CPU ms per photo: {stage_times(classifier, files, repeats)}")
    if len(sizes) > 1:
        # the set as a whole, as a stream of photos of every size in equal numbers: photos a
        # second over it against decoding the same files only
        print(
            f"  all sizes together: {len(sizes) / totals['reader']:.1f} photos/s, ratio colour "
            f"{totals['colour'] / totals['reader']:.2f}, ratio grey "
            f"{totals['grey'] / totals['reader']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[3, 6, 9, 12])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", type=int, default=4)
    parser.add_argument("--simulated-tps", type=int, default=30, help="0: skip")
    parser.add_argument(
        "--sets",
        nargs="+",
        default=[f"{region}:{seed}" for region, seed in SIMULATED_SETS],
        help="simulated sets as REGION:SEED (keep them disjoint from training/sim_crops.py's)",
    )
    parser.add_argument("--mistake-rate", type=float, default=0.0)
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--no-kawalc1", action="store_true")
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--stages", action="store_true", help="throughput: CPU ms per stage")
    args = parser.parse_args()
    MODEL.extend([args.model] if args.model else [])
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, OpenCV {cv2.__version__}; load {os.getloadavg()}"
    )
    if not args.no_kawalc1:
        accuracy()
    if args.simulated_tps:
        for chosen in args.sets:
            region, seed = chosen.split(":")
            simulated(args.simulated_tps, region, int(seed), args.mistake_rate)
    if not args.no_throughput:
        throughput(args.sizes, args.repeats, args.variants, args.stages)


if __name__ == "__main__":
    main()
