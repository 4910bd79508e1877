"""The moving parts of `rekap demo`: simulate, photograph, upload, read in worker processes."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event as StopFlag
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rekap.adapters.keys import load_or_create, raw_public
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.capture.access import Role
from rekap.capture.messages import photo_message
from rekap.capture.photo_check import check_photo
from rekap.simulation.photo_set import PhotoOptions, photograph_tps
from rekap.simulation.truth import SimulatedTps
from rekap.web.context import AppContext, utc_now

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient


def in_process_client(app: FastAPI) -> TestClient:
    """An HTTP client that calls the app in this process (the demo's phones): every request
    goes through the real routes, checks and receipts, without a socket."""
    import warnings

    with warnings.catch_warnings():  # starlette's note about httpx, not meant for users
        warnings.simplefilter("ignore")  # StarletteDeprecationWarning is a UserWarning
        from fastapi.testclient import TestClient

    return TestClient(app)


@dataclass(frozen=True)
class DemoPaths:
    root: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.root / 'rekap.db'}"

    @property
    def photos(self) -> Path:
        return self.root / "photos"

    @property
    def key(self) -> Path:
        return self.root / "server-ed25519.pem"

    @property
    def truth(self) -> Path:
        return self.root / "truth.jsonl"


def context_for(paths: DemoPaths) -> AppContext:
    return AppContext(
        open_engine(paths.database_url),
        load_or_create(paths.key),
        LocalPhotoStore(paths.photos),
    )


@dataclass(frozen=True)
class Device:
    token: str
    key: Ed25519PrivateKey
    device_id: str


def enrol_officers(context: AppContext, tps: list[SimulatedTps]) -> dict[str, Device]:
    """One KPPS officer and one phone per TPS, as an admin would enrol them."""
    devices = {}
    at = utc_now()
    for item in tps:
        principal, token = context.accounts.enrol(
            f"KPPS {item.kode.value}", Role.OFFICER, item.kode.value, at, "demo"
        )
        key = Ed25519PrivateKey.generate()
        device_id = context.accounts.register_device(principal, raw_public(key.public_key()), at)
        devices[item.kode.value] = Device(token, key, device_id)
    return devices


@dataclass(frozen=True)
class Shot:
    kode_tps: str
    page: int
    jpeg: bytes


_TRUTH: list[SimulatedTps] = []  # handed to forked pool processes (results hold mapping proxies)


def _photograph(job: tuple[int, int, tuple[float, float]]) -> list[Shot]:
    index, seed, megapixels = job
    tps = _TRUTH[index]
    options = PhotoOptions(pages=(1, 2, 3), megapixels=megapixels, corner_rate=0.0)
    return [Shot(tps.kode.value, s.page, s.photo.jpeg) for s in photograph_tps(tps, seed, options)]


def photographed(
    tps: list[SimulatedTps], seed: int, megapixels: tuple[float, float], processes: int
) -> Iterator[list[Shot]]:
    """Photos of every page of every TPS, made in parallel processes, in TPS order."""
    _TRUTH[:] = tps
    jobs = [(index, seed, megapixels) for index in range(len(tps))]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        yield from pool.imap(_photograph, jobs, chunksize=4)


def upload(client: TestClient, device: Device, shot: Shot) -> int:
    """Send one photo as the officer's phone would: signed, over the HTTP API."""
    captured = datetime(2024, 2, 14, 14, 30, tzinfo=UTC) + timedelta(minutes=shot.page)
    checked = check_photo(shot.jpeg)
    sha = getattr(checked, "sha256", "")
    signature = device.key.sign(photo_message(sha, shot.kode_tps, shot.page, captured)).hex()
    answer = client.post(
        f"/api/v1/tps/{shot.kode_tps}/photos",
        files={"photo": (f"{shot.kode_tps}-{shot.page}.jpg", shot.jpeg, "image/jpeg")},
        data={
            "page": str(shot.page),
            "captured_at": captured.isoformat(),
            "device_id": device.device_id,
            "signature": signature,
        },
        headers={"Authorization": f"Bearer {device.token}"},
    )
    status: int = answer.status_code
    return status


def _worker(paths: DemoPaths, stop: StopFlag) -> None:
    from rekap.cli.serve import build_processor

    processor = build_processor(context_for(paths))
    while True:
        if processor.process_next(utc_now):
            continue
        if stop.is_set():
            return
        time.sleep(0.2)


def start_workers(
    paths: DemoPaths, count: int
) -> tuple[list[multiprocessing.context.SpawnProcess], StopFlag]:
    """Reader workers in their own processes, claiming photos from the store as in production.
    Started afresh, not forked: this process runs threads (SQLite's checkpointer among them),
    and a child forked while one of them held a lock inside SQLite waited for it for ever in
    its first connection."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    workers = [ctx.Process(target=_worker, args=(paths, stop), daemon=True) for _ in range(count)]
    for worker in workers:
        worker.start()
    return workers, stop
