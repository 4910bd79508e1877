"""Benchmark the election simulator: truth per TPS, photographed pages per second per core.

    .venv/bin/python bench/simulate_photos.py [--tps 40] [--sizes 3 6 9 12] [--read 30]

1. Truth: TPS per CPU-second for one kabupaten (Klaten, ~4,200 TPS), JSON Lines + Parquet.
2. Photos: pages 1-3 of simulated TPS, photographed at each fixed size and over the default
   3-12 MP range, with OpenCV single-threaded and the process pinned to one CPU. Reported
   per CPU-second (process time), split into drawing the filled page and photographing it
   (light, noise, background, one warp, one JPEG). "Warm hands": TPS share 16 handwritings
   whose glyphs are already drawn (a long run with ``writer_pool``); "own hands": every TPS
   has its own handwriting, drawn from scratch (the default).
3. Reading (when the reader and its digit model are installed): the same photos read by
   `rekap.reading.pipeline.PageReader`, for the cost ratio of making and reading a page.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import cv2

from rekap.data import election_2024, region_tree
from rekap.domain.wilayah import KodeWilayah
from rekap.reading.template import load_page_template
from rekap.simulation.form_print import printed_page
from rekap.simulation.form_render import RESOLUTIONS, render_page
from rekap.simulation.output import write_simulation
from rekap.simulation.photo import PhotoEffects, photograph
from rekap.simulation.scenario import SimulationOptions, simulate_election
from rekap.simulation.seeds import generator
from rekap.simulation.truth import SimulatedTps

KABUPATEN = KodeWilayah("3310")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def bench_truth() -> None:
    tree, election = region_tree(), election_2024()
    with tempfile.TemporaryDirectory() as folder:
        started = time.process_time()
        summary = write_simulation(
            Path(folder), tree, election, KABUPATEN, 1, SimulationOptions(error_rate=0.02)
        )
        seconds = time.process_time() - started
    print(
        f"truth: {summary.tps:,} TPS of {KABUPATEN.value} in {seconds:.2f} CPU-s = "
        f"{summary.tps / seconds:,.0f} TPS/s/core ({1e6 * seconds / summary.tps:.0f} us per TPS); "
        f"the whole country (823,366 TPS) would take "
        f"~{823_366 * seconds / summary.tps / 60:.1f} CPU-min"
    )


def sample_tps(count: int, writer_pool: int) -> list[SimulatedTps]:
    options = SimulationOptions(error_rate=0.05, writer_pool=writer_pool)
    sims = simulate_election(region_tree(), election_2024(), KABUPATEN, 8, options)
    return [t for _, t in zip(range(count), sims, strict=False)]


Shot = tuple[bytes, int, dict[str, int]]
"""A photo, the page it shows and the values of that page's fields."""


def bench_photos(
    tps: list[SimulatedTps], megapixels: tuple[float, float], label: str
) -> tuple[list[Shot], float]:
    render = shoot = 0.0
    photos: list[Shot] = []
    pixels = 0
    for item in tps:
        for page in (1, 2, 3):
            rng = generator(99, "bench", item.kode.value, page, label)
            effects = PhotoEffects.sample(rng, megapixels=megapixels)
            started = time.process_time()
            image = render_page(item, page, px_per_mm=effects.page_resolution())
            drawn = time.process_time()
            photo = photograph(image, rng, effects)
            done = time.process_time()
            render += drawn - started
            shoot += done - drawn
            fields = {f.id: item.values[f.id] for f in load_page_template(page).fields}
            photos.append((photo.jpeg, page, fields))
            pixels += photo.width * photo.height
    pages = len(photos)
    total = render + shoot
    print(
        f"  {label:<22} {pages:4d} pages, mean {pixels / pages / 1e6:4.1f} MP: "
        f"{pages / total:5.1f} pages/s/core (draw {1e3 * render / pages:5.1f} ms + "
        f"photograph {1e3 * shoot / pages:5.1f} ms per page)"
    )
    return photos, pages / total


def bench_reading(photos: list[Shot]) -> float | None:
    try:
        from rekap.reading.digits import OnnxDigitClassifier
        from rekap.reading.pipeline import PageReader

        reader = PageReader(OnnxDigitClassifier(threads=1))
    except Exception as error:  # the reader or its model is not installed
        print(f"reading: skipped ({type(error).__name__}: {error})")
        return None
    right = wrong = abstained = located = 0
    started = time.process_time()
    for data, page, truth in photos:
        reading = reader.read(data)
        located += reading.page == page
        for field in reading.fields:
            if field.status != "read":
                abstained += 1
            elif field.value == truth.get(field.field_id):
                right += 1
            else:
                wrong += 1
        abstained += len(truth) - len(reading.fields)
    seconds = time.process_time() - started
    rate = len(photos) / seconds
    fields = right + wrong + abstained
    print(
        f"reading: the same {len(photos)} photos read at {rate:.1f} pages/s/core; "
        f"{located} pages located; of {fields} fields {right} read right, {wrong} read wrong, "
        f"{abstained} abstained (with the reader and model installed today)"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tps", type=int, default=40, help="TPS per measurement (3 pages each)")
    parser.add_argument("--sizes", type=float, nargs="*", default=[3.0, 6.0, 9.0, 12.0])
    parser.add_argument("--read", type=int, default=30, help="photos to read (0: skip reading)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(
        f"machine: {cpu_name()}, {os.cpu_count()} CPUs (pinned to one), "
        f"Python {platform.python_version()}, "
        f"OpenCV {cv2.__version__} single-threaded; figures are CPU time (process_time)"
    )
    bench_truth()
    for resolution in RESOLUTIONS:  # the printed pages, drawn once per resolution
        for page in (1, 2, 3):
            printed_page(page, resolution)
    warm = sample_tps(args.tps, writer_pool=16)
    bench_photos(warm, (3.0, 12.0), "warm-up")
    print("photos (warm hands: 16 handwritings, glyphs already drawn):")
    for size in args.sizes:
        bench_photos(warm, (size, size), f"{size:g} MP")
    mixed, make_rate = bench_photos(warm, (3.0, 12.0), "3-12 MP (default)")
    print("photos (own hands: one new handwriting per TPS, the default):")
    fresh = sample_tps(args.tps, writer_pool=0)
    bench_photos(fresh, (3.0, 12.0), "3-12 MP (default)")
    if args.read:
        read_rate = bench_reading(mixed[: args.read])
        if read_rate:
            print(f"  making a page costs {read_rate / make_rate:.2f}x the CPU of reading it")


if __name__ == "__main__":
    main()
