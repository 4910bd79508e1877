"""Benchmark processing of received photos: photos per second with 1 and 2 worker processes.

    .venv/bin/python bench/capture_processing.py [--tps 100] [--workers 1 2] [--seconds 120]
        [--opencv-threads N]
        [--uploads-json FILE | --uploads-per-second N]

Photos: the simulator's photographs (``rekap.simulation.photo_set``, 3 MP JPEG) of pages 1-3
of distinct TPS of Klaten, with the simulator's default share of wrongly filled forms. They are
received as the upload route receives them (``LocalPhotoStore.put`` + ``PhotoStore.receive``,
signed by each officer's phone) into a fresh SQLite store before the clock starts, once for each
worker count.

Workers: forked processes, each built as ``rekap worker`` builds one
(``rekap.cli.serve.build_processor``: the page reader with the shipped ONNX digit model, one
ONNX Runtime thread, OpenCV with its default threads unless ``--opencv-threads`` is given),
claiming photos from the store exactly as in production, each stopping when none is waiting.
The clock starts when every worker has loaded its model and stops when the last one is done
(or after ``--seconds``). Reported: photos per wall second, and the workers' CPU seconds per
photo (which says what a core sustains whatever else the machine runs).

The target of the capture issue: the service is never the bottleneck before the reader is,
i.e. uploads per second ≥ 10 × the single-worker read rate. Give the upload figure with
``--uploads-json`` (the ``--json`` output of ``bench/capture_uploads.py``, SQLite with
``synchronous=NORMAL`` at the highest client count) or ``--uploads-per-second``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from rekap.adapters.keys import load_or_create, raw_public
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.photos import Upload
from rekap.adapters.storage.schema import photo
from rekap.capture.access import Role
from rekap.capture.messages import photo_message
from rekap.capture.photo_check import CheckedPhoto, check_photo
from rekap.web.context import AppContext, utc_now

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capture_uploads import Shot, photographed_and_told

CAPTURED = datetime(2024, 2, 14, 14, 30, tzinfo=UTC)
TARGET_RATIO = 10.0


def context_at(root: Path) -> AppContext:
    return AppContext(
        open_engine(f"sqlite:///{root / 'rekap.db'}"),
        load_or_create(root / "server.pem"),
        LocalPhotoStore(root / "photos"),
    )


def receive_all(root: Path, shots: list[Shot]) -> None:
    """Every photo received as the upload route receives it, by its TPS's officer."""
    context = context_at(root)
    upgrade(context.engine)
    at = utc_now()
    officers = {}
    for shot in shots:
        if shot.kode_tps not in officers:
            principal, _ = context.accounts.enrol(
                f"KPPS {shot.kode_tps}", Role.OFFICER, shot.kode_tps, at, "bench"
            )
            key = Ed25519PrivateKey.generate()
            device = context.accounts.register_device(principal, raw_public(key.public_key()), at)
            officers[shot.kode_tps] = (principal, key, device)
        principal, key, device = officers[shot.kode_tps]
        checked = check_photo(shot.jpeg)
        assert isinstance(checked, CheckedPhoto), checked
        signature = key.sign(photo_message(checked.sha256, shot.kode_tps, shot.page, CAPTURED))
        context.files.put(checked.sha256, checked.format.suffix, shot.jpeg)
        upload = Upload(shot.kode_tps, "ppwp", shot.page, CAPTURED, device, signature, checked)
        context.photos.receive(principal, upload, at)
    context.engine.dispose()


def _worker(
    root: Path, start: Barrier, report: Connection, seconds: float, cv_threads: int | None
) -> None:
    from rekap.cli.serve import build_processor

    if cv_threads is not None:
        import cv2

        cv2.setNumThreads(cv_threads)

    processor = build_processor(context_at(root))
    start.wait()
    cpu = time.process_time()
    deadline = time.monotonic() + seconds
    done = 0
    while time.monotonic() < deadline and processor.process_next(utc_now):
        done += 1
    report.send((done, time.process_time() - cpu))
    report.close()


@dataclass(frozen=True)
class Figures:
    workers: int
    photos: int
    seconds: float
    photos_per_second: float
    cpu_ms_per_photo: float
    states: dict[str, int]


def run(root: Path, workers: int, seconds: float, cv_threads: int | None) -> Figures:
    ctx = get_context("fork")
    start = ctx.Barrier(workers + 1)
    pipes = [ctx.Pipe(duplex=False) for _ in range(workers)]
    processes = [
        ctx.Process(target=_worker, args=(root, start, sender, seconds, cv_threads), daemon=True)
        for _, sender in pipes
    ]
    for process in processes:
        process.start()
    start.wait(timeout=120)  # every model loaded
    began = time.perf_counter()
    reports = []
    for (receiver, _), process in zip(pipes, processes, strict=True):
        if receiver.poll(seconds + 60):
            reports.append(receiver.recv())
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
            process.join(timeout=10)
    elapsed = time.perf_counter() - began
    done = sum(d for d, _ in reports)
    cpu = sum(c for _, c in reports)
    engine = open_engine(f"sqlite:///{root / 'rekap.db'}")
    with engine.connect() as connection:
        query = select(photo.c.state, func.count()).group_by(photo.c.state)
        states = {str(s): int(n) for s, n in connection.execute(query)}
    engine.dispose()
    return Figures(
        workers=workers,
        photos=done,
        seconds=round(elapsed, 2),
        photos_per_second=round(done / elapsed, 2),
        cpu_ms_per_photo=round(1000 * cpu / max(1, done), 1),
        states=states,
    )


def uploads_per_second(args: argparse.Namespace) -> float | None:
    if args.uploads_per_second is not None:
        return float(args.uploads_per_second)
    if args.uploads_json is None:
        return None
    figures = json.loads(args.uploads_json.read_text())["stores"]
    chosen = [f for f in figures if f["store"].startswith("SQLite WAL sync=NORMAL")]
    if not chosen:
        return None
    best = max(chosen, key=lambda f: f["clients"])
    print(
        f"uploads (from {args.uploads_json}): {best['uploads_per_second']} uploads/s, "
        f"{best['store']}, {best['clients']} clients"
    )
    return float(best["uploads_per_second"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tps", type=int, default=100, help="TPS photographed (×3 pages)")
    parser.add_argument("--megapixels", type=float, default=3.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=120.0, help="at most, per run")
    parser.add_argument(
        "--opencv-threads", type=int, help="per worker (default: OpenCV's own, as in production)"
    )
    parser.add_argument("--uploads-json", type=Path)
    parser.add_argument("--uploads-per-second", type=float)
    args = parser.parse_args()

    print(f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    threads = "OpenCV's default" if args.opencv_threads is None else str(args.opencv_threads)
    print(f"OpenCV threads per worker: {threads}; ONNX Runtime: 1")
    shots = photographed_and_told(args.tps, args.megapixels)
    results: dict[int, Figures] = {}
    for workers in args.workers:
        with tempfile.TemporaryDirectory(prefix="rekap-bench-") as folder:
            root = Path(folder)
            receive_all(root, shots)
            figures = run(root, workers, args.seconds, args.opencv_threads)
        results[workers] = figures
        states = ", ".join(f"{k} {v}" for k, v in sorted(figures.states.items()))
        print(
            f"{workers} worker{'s' if workers > 1 else ' '}  {figures.photos_per_second:6.2f} "
            f"photos/s ({figures.photos} in {figures.seconds:.1f} s)  "
            f"CPU {figures.cpu_ms_per_photo:6.1f} ms/photo  states: {states}"
        )
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if 1 in results and 2 in results and results[1].photos_per_second > 0:
        scale = results[2].photos_per_second / results[1].photos_per_second
        print(f"2 workers / 1 worker: {scale:.2f}×")
    upload_rate = uploads_per_second(args)
    single = results.get(1)
    if upload_rate is None or single is None or single.photos_per_second == 0:
        print("ratio: give --uploads-json or --uploads-per-second, and run 1 worker")
        return
    ratio = upload_rate / single.photos_per_second
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(
        f"uploads/s ÷ single-worker photos/s = {upload_rate:.1f} / "
        f"{single.photos_per_second:.2f} = {ratio:.1f} (target ≥ {TARGET_RATIO:g}: {verdict})"
    )


if __name__ == "__main__":
    main()
