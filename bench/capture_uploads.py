"""Benchmark photo uploads through the real HTTP service, over loopback only.

    .venv/bin/python bench/capture_uploads.py [--clients 8] [--seconds 20] [--photos 1500]
        [--sqlite-sync NORMAL FULL] [--postgres auto|off|URL] [--json OUT]

The service is ``create_app`` under uvicorn, one process, as ``rekap serve --workers 0`` runs
it, started as a child process on a free port of 127.0.0.1 over a fresh store in a temporary
folder. Durable storage: every photo file is written to a temporary file and renamed during
the request, then flushed to disk with its batch (one ``syncfs``) before the group commit that
records the batch's rows (``LocalPhotoStore``, ``rekap.adapters.intake``); the database is
SQLite in WAL mode with the service's own ``synchronous=NORMAL`` (a commit survives a crash
of the service, not necessarily a power cut) and with ``synchronous=FULL`` (every commit
fsync'd), and PostgreSQL when one answers at 127.0.0.1:5432 (a fresh database, dropped
afterwards; ``synchronous_commit`` as the server has it).

Photos: the simulator's photographs (``rekap.simulation.photo_set``, 3 MP JPEG) of distinct
TPS of Klaten, pages 1-3; to reach the count each is sent with a JPEG comment segment of its
own (distinct bytes and SHA-256, the same picture). One officer per TPS, enrolled in the store
before the service starts, with a phone key of their own, sends the three pages of that TPS,
signed (signatures are made before timing starts). Every upload goes to a TPS page that has
none yet, so each is a new photo (HTTP 201), never a duplicate.

Clients: K concurrent HTTP/1.1 connections (httpx + asyncio) from this process, which shares
the machine's cores with the service. The first 2K uploads warm up and are not counted.
Reported: uploads per wall second (HTTP 201), p50 / p99 latency, any other status, and the
service process's CPU seconds per upload (from /proc), which says what one core sustains
whatever else the machine runs. The run stops after ``--seconds`` or when photos run out.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from rekap.adapters.keys import load_or_create, raw_public
from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.capture.access import Role
from rekap.capture.messages import photo_message
from rekap.capture.photo_check import CheckedPhoto, check_photo
from rekap.data import election_2024, region_tree
from rekap.domain.wilayah import KodeWilayah
from rekap.simulation.photo_set import PhotoOptions, photograph_tps
from rekap.simulation.scenario import SimulationOptions, simulate_election
from rekap.simulation.truth import SimulatedTps

KABUPATEN = KodeWilayah("3310")  # Klaten, Jawa Tengah: ~4,200 TPS
POSTGRES_ADMIN_URL = os.environ.get(
    "REKAP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CAPTURED = datetime(2024, 2, 14, 14, 30, tzinfo=UTC)
START_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Shot:
    kode_tps: str
    page: int
    jpeg: bytes


# ---------------------------------------------------------------- photos and their senders


def simulated_tps(count: int, seed: int = 7) -> list[SimulatedTps]:
    """The first ``count`` simulated TPS of Klaten, with the simulator's default errors."""
    tps = simulate_election(region_tree(), election_2024(), KABUPATEN, seed, SimulationOptions())
    return list(itertools.islice(tps, count))


_TRUTH: list[SimulatedTps] = []  # handed to forked pool processes


def _photograph(job: tuple[int, int, float]) -> list[Shot]:
    index, seed, megapixels = job
    tps = _TRUTH[index]
    options = PhotoOptions(pages=(1, 2, 3), megapixels=(megapixels, megapixels), corner_rate=0.0)
    return [Shot(tps.kode.value, s.page, s.photo.jpeg) for s in photograph_tps(tps, seed, options)]


def photographed(
    tps: list[SimulatedTps], megapixels: float, processes: int = 2, seed: int = 5
) -> list[Shot]:
    """Pages 1-3 of each TPS as a phone photographs them, made in parallel processes."""
    _TRUTH[:] = tps
    jobs = [(index, seed, megapixels) for index in range(len(tps))]
    with get_context("fork").Pool(processes) as pool:
        return [shot for shots in pool.imap(_photograph, jobs, chunksize=4) for shot in shots]


def photographed_and_told(tps: int, megapixels: float) -> list[Shot]:
    """The photos of ``tps`` simulated TPS, with a line saying what they are."""
    began = time.perf_counter()
    shots = photographed(simulated_tps(tps), megapixels)
    sizes = sorted(len(s.jpeg) for s in shots)
    print(
        f"{len(shots)} simulator photos of {tps} TPS at {megapixels:g} MP "
        f"({sizes[0] // 1000}-{sizes[-1] // 1000} kB) in {time.perf_counter() - began:.1f} s"
    )
    return shots


def with_comment(jpeg: bytes, note: bytes) -> bytes:
    """The same JPEG with a comment segment (COM) right after its start marker."""
    assert jpeg[:2] == b"\xff\xd8"
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(note) + 2) + note + jpeg[2:]


def tps_codes() -> Iterator[str]:
    """Every TPS of Klaten, in code order."""
    for region in region_tree().subtree(KABUPATEN):
        yield from (kode.value for kode in region.tps_codes())


@dataclass(frozen=True)
class Upload:
    """One prepared request: what a phone sends."""

    kode_tps: str
    page: int
    jpeg: bytes
    form: dict[str, str]
    token: str


def prepare_uploads(engine_url: str, base: list[Shot], count: int) -> list[Upload]:
    """Enrol one officer (and phone) per TPS in the store and sign ``count`` uploads: the
    pages of ``base`` again and again, each time for the next TPS, with a unique comment."""
    engine = open_engine(engine_url)
    accounts = AccountStore(engine, EventLog(engine))
    pages = {1: [s for s in base if s.page == 1], 2: [], 3: []}
    for shot in base:
        if shot.page != 1:
            pages[shot.page].append(shot)
    uploads: list[Upload] = []
    codes = tps_codes()
    at = datetime.now(UTC)
    for number in itertools.count():
        if len(uploads) >= count:
            break
        kode = next(codes)
        principal, token = accounts.enrol(f"KPPS {kode}", Role.OFFICER, kode, at, "bench")
        key = Ed25519PrivateKey.generate()
        device_id = accounts.register_device(principal, raw_public(key.public_key()), at)
        for page in (1, 2, 3):
            source = pages[page][number % len(pages[page])]
            jpeg = with_comment(source.jpeg, f"rekap bench {kode}/{page}".encode())
            checked = check_photo(jpeg)
            assert isinstance(checked, CheckedPhoto), checked
            signature = key.sign(photo_message(checked.sha256, kode, page, CAPTURED)).hex()
            form = {
                "page": str(page),
                "captured_at": CAPTURED.isoformat(),
                "device_id": device_id,
                "signature": signature,
            }
            uploads.append(Upload(kode, page, jpeg, form, token))
    engine.dispose()
    return uploads[:count]


# ---------------------------------------------------------------- the service in a child


def serve(
    database_url: str, root: Path, port: int, synchronous: str | None, processes: int = 1
) -> None:
    """The child process: the real app under uvicorn, no reader workers."""
    import uvicorn

    from rekap.adapters.photo_files import LocalPhotoStore
    from rekap.web.app import create_app
    from rekap.web.context import AppContext

    if processes > 1:  # as `rekap serve --processes N` runs them
        from rekap.cli.serve import SERVE_ENV

        load_or_create(root / "server.pem")
        values = (database_url, str(root / "photos"), str(root / "server.pem"))
        os.environ.update(zip(SERVE_ENV, values, strict=True))
        factory = "rekap.cli.serve:app_from_environment"
        uvicorn.run(factory, factory=True, workers=processes, host="127.0.0.1", port=port)
        return
    engine = open_engine(database_url)
    if synchronous is not None:

        def stricter(connection: Any, _record: Any) -> None:
            connection.execute(f"PRAGMA synchronous={synchronous}")

        event.listen(engine, "connect", stricter)  # after the service's own pragmas
    context = AppContext(
        engine, load_or_create(root / "server.pem"), LocalPhotoStore(root / "photos")
    )
    uvicorn.run(create_app(context), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) and of its live children
    (the HTTP processes of ``--processes``), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.update(int(c) for c in (task / "children").read_text().split())
    return ticks / os.sysconf("SC_CLK_TCK") + sum(cpu_seconds(c) for c in children)


class Service:
    def __init__(
        self, database_url: str, root: Path, synchronous: str | None, processes: int = 1
    ) -> None:
        self.port = free_port()
        command = [
            sys.executable,
            __file__,
            "serve",
            "--db",
            database_url,
            "--root",
            str(root),
            "--port",
            str(self.port),
        ]
        if synchronous is not None:
            command += ["--synchronous", synchronous]
        command += ["--processes", str(processes)]
        self.log = root / "service.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the service did not answer within {START_TIMEOUT_S:.0f} s")

    def errors(self) -> dict[str, int]:
        """The service's unhandled exceptions, by their final line (without the values)."""
        found: Counter[str] = Counter()
        for line in self.log.read_text(errors="replace").splitlines():
            head = line.split(" [SQL", 1)[0]
            if line.startswith("psycopg."):  # repeated inside SQLAlchemy's own line
                continue
            if line[:1].isalpha() and ("Error" in head or "Violation" in head) and ":" in head:
                found[head[:140]] += 1
        return dict(found)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


# ---------------------------------------------------------------- the clients


@dataclass
class Figures:
    store: str
    clients: int
    uploads: int
    seconds: float
    uploads_per_second: float
    p50_ms: float
    p99_ms: float
    other_statuses: dict[str, int]
    service_errors: dict[str, int]
    service_cpu_ms_per_upload: float
    client_cpu_ms_per_upload: float
    mean_photo_bytes: int
    load_average: tuple[float, float, float]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def send_one(http: httpx.AsyncClient, url: str, upload: Upload, raw: bool) -> int:
    """One upload: the multipart POST, or (``raw``) the PUT of the bytes with headers."""
    authorisation = {"Authorization": f"Bearer {upload.token}"}
    if raw:
        headers = {
            **authorisation,
            "Content-Type": "image/jpeg",
            "X-Captured-At": upload.form["captured_at"],
            "X-Device-Id": upload.form["device_id"],
            "X-Signature": upload.form["signature"],
        }
        target = f"{url}/api/v1/tps/{upload.kode_tps}/photos/{upload.page}"
        answer = await http.put(target, content=upload.jpeg, headers=headers)
    else:
        answer = await http.post(
            f"{url}/api/v1/tps/{upload.kode_tps}/photos",
            files={"photo": (f"{upload.page}.jpg", upload.jpeg, "image/jpeg")},
            data=upload.form,
            headers=authorisation,
        )
    return answer.status_code


async def send_all(
    url: str,
    uploads: list[Upload],
    clients: int,
    seconds: float,
    warm_up: int,
    raw: bool = False,
) -> tuple[list[float], Counter[str], float, int]:
    """Send the uploads from ``clients`` concurrent connections; latencies of the counted
    201 answers, the count of every status, the counted wall time and the counted number."""
    queue: asyncio.Queue[tuple[int, Upload]] = asyncio.Queue()
    for item in enumerate(uploads):
        queue.put_nowait(item)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    started: list[float] = []
    stop_at: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            if stop_at and time.perf_counter() >= stop_at[0]:
                return
            number, upload = queue.get_nowait()
            begin = time.perf_counter()
            if number == warm_up:  # the first counted upload starts the clock
                started.append(begin)
                stop_at.append(begin + seconds)
            try:
                status = str(await send_one(http, url, upload, raw))
            except httpx.HTTPError as error:
                status = f"transport error ({type(error).__name__})"
            elapsed = time.perf_counter() - begin
            if number >= warm_up:
                statuses[status] += 1
                if status == "201":
                    latencies.append(elapsed)

    async with httpx.AsyncClient(limits=limits, timeout=120.0) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    end = time.perf_counter()
    counted = sum(statuses.values())
    return latencies, statuses, end - (started[0] if started else end), counted


def run_store(
    label: str,
    database_url: str,
    root: Path,
    base: list[Shot],
    clients: int,
    args: argparse.Namespace,
    synchronous: str | None = None,
) -> Figures:
    engine = open_engine(database_url)
    upgrade(engine)
    engine.dispose()
    warm_up = 2 * clients
    uploads = prepare_uploads(database_url, base, args.photos + warm_up)
    service = Service(database_url, root, synchronous, args.processes)
    try:
        service.wait_ready()
        cpu_before = cpu_seconds(service.process.pid)
        client_before = time.process_time()
        latencies, statuses, seconds, counted = asyncio.run(
            send_all(service.url, uploads, clients, args.seconds, warm_up, args.raw)
        )
        cpu = cpu_seconds(service.process.pid) - cpu_before
        client_cpu = time.process_time() - client_before
    finally:
        service.stop()
    errors = service.errors()
    created = statuses.get("201", 0)
    return Figures(
        store=label,
        clients=clients,
        uploads=created,
        seconds=round(seconds, 2),
        uploads_per_second=round(created / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=round(1000 * percentile(latencies, 0.50), 1) if latencies else float("nan"),
        p99_ms=round(1000 * percentile(latencies, 0.99), 1) if latencies else float("nan"),
        other_statuses={k: v for k, v in statuses.items() if k != "201"},
        service_errors=errors,
        # CPU is measured over the warm-up and the counted uploads together
        service_cpu_ms_per_upload=round(1000 * cpu / max(1, counted + warm_up), 2),
        client_cpu_ms_per_upload=round(1000 * client_cpu / max(1, counted + warm_up), 2),
        mean_photo_bytes=round(sum(len(u.jpeg) for u in uploads) / len(uploads)),
        load_average=os.getloadavg(),
    )


def breakdown(base: list[Shot], count: int = 150) -> dict[str, tuple[float, float]]:
    """The steps of one upload done in this process, one after another, without HTTP: mean
    wall and CPU milliseconds of each, on SQLite (WAL, synchronous=NORMAL) in a temporary
    folder. What the service adds on top is the HTTP and multipart work, and waiting."""
    from rekap.adapters.keys import verify_signature
    from rekap.adapters.photo_files import LocalPhotoStore
    from rekap.adapters.storage.photos import PhotoStore
    from rekap.adapters.storage.photos import Upload as StoredUpload

    steps: dict[str, list[tuple[float, float]]] = {}

    @contextmanager
    def step(name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        spent = (time.perf_counter() - wall, time.process_time() - cpu)
        steps.setdefault(name, []).append(spent)

    with tempfile.TemporaryDirectory(prefix="rekap-bench-") as folder:
        root = Path(folder)
        url = f"sqlite:///{root / 'rekap.db'}"
        engine = open_engine(url)
        upgrade(engine)
        uploads = prepare_uploads(url, base, count)
        log = EventLog(engine)
        accounts = AccountStore(engine, log)
        photos = PhotoStore(engine, log, load_or_create(root / "server.pem"))
        files = LocalPhotoStore(root / "photos")
        for upload in uploads:
            device_id = upload.form["device_id"]
            signature = bytes.fromhex(upload.form["signature"])
            with step("authenticate the token (a query; memory within 10 s)"):
                officer = accounts.authenticate(upload.token)
            with step("check the photo (SHA-256, format, header)"):
                checked = check_photo(upload.jpeg)
            with step("find the device (a query; memory within 10 s)"):
                device = accounts.device_key(device_id)
            assert officer is not None and isinstance(checked, CheckedPhoto) and device
            message = photo_message(checked.sha256, upload.kode_tps, upload.page, CAPTURED)
            with step("verify the Ed25519 signature"):
                assert verify_signature(device.public_raw, message, signature)
            with step("write the file (temporary, rename)"):
                written = files.write(checked.sha256, ".jpg", upload.jpeg)
            with step("flush it (syncfs; once per batch in the service)"):
                files.make_durable([written])
            stored = StoredUpload(
                upload.kode_tps, "ppwp", upload.page, CAPTURED, device_id, signature, checked
            )
            with step("record photo + event + tally, sign the receipt (a batch of 1)"):
                photos.receive(officer, stored, datetime.now(UTC))
        engine.dispose()
    return {
        name: (
            round(1000 * sum(w for w, _ in spent) / len(spent), 3),
            round(1000 * sum(c for _, c in spent) / len(spent), 3),
        )
        for name, spent in steps.items()
    }


def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards; nothing when none is reachable."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"rekap_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        print(f"PostgreSQL: not reachable at {admin_url} ({str(error.orig).strip()}); skipped")
        admin.dispose()
        return
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def show(figures: Figures) -> None:
    others = ", ".join(f"{k}: {v}" for k, v in figures.other_statuses.items()) or "none"
    print(
        f"{figures.store:<28} {figures.uploads_per_second:7.1f} uploads/s "
        f"({figures.uploads} in {figures.seconds:.1f} s, {figures.clients} clients)  "
        f"p50 {figures.p50_ms:6.1f} ms  p99 {figures.p99_ms:6.1f} ms  "
        f"CPU ms/upload: service {figures.service_cpu_ms_per_upload:5.2f}, "
        f"clients {figures.client_cpu_ms_per_upload:5.2f}  other statuses: {others}"
    )
    for line, count in figures.service_errors.items():
        print(f"    service error ×{count}: {line}")


def _processes(count: int) -> str:
    return "" if count == 1 else f", {count} processes"


def _how(args: argparse.Namespace) -> str:
    return _processes(args.processes) + (", PUT" if args.raw else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    child = sub.add_parser("serve", help="(internal) run the service")
    child.add_argument("--db", required=True)
    child.add_argument("--root", type=Path, required=True)
    child.add_argument("--port", type=int, required=True)
    child.add_argument("--synchronous", choices=("NORMAL", "FULL"))
    child.add_argument("--processes", type=int, default=1)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--seconds", type=float, default=20.0, help="counted time per store")
    parser.add_argument("--photos", type=int, default=1500, help="at most this many counted")
    parser.add_argument("--base-tps", type=int, default=24, help="TPS photographed (×3 pages)")
    parser.add_argument("--megapixels", type=float, default=3.0)
    parser.add_argument("--sqlite-sync", nargs="*", default=["NORMAL", "FULL"])
    parser.add_argument("--postgres", default="auto", help="auto, off, or an admin URL")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument(
        "--processes", type=int, default=1, help="HTTP processes, as `rekap serve --processes`"
    )
    parser.add_argument(
        "--raw", action="store_true", help="upload with PUT …/photos/{page} (raw body)"
    )
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.db, args.root, args.port, args.synchronous, args.processes)
        return

    print(f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    base = photographed_and_told(args.base_tps, args.megapixels)
    results: list[Figures] = []
    for clients in args.clients:
        for synchronous in args.sqlite_sync:
            with tempfile.TemporaryDirectory(prefix="rekap-bench-") as folder:
                root = Path(folder)
                url = f"sqlite:///{root / 'rekap.db'}"
                pragma = None if synchronous == "NORMAL" else synchronous
                label = f"SQLite WAL sync={synchronous}" + _how(args)
                results.append(run_store(label, url, root, base, clients, args, pragma))
                show(results[-1])
        if args.postgres != "off":
            admin_url = POSTGRES_ADMIN_URL if args.postgres == "auto" else args.postgres
            for url in postgres_database(admin_url):
                with tempfile.TemporaryDirectory(prefix="rekap-bench-") as folder:
                    label = "PostgreSQL" + _how(args)
                    results.append(run_store(label, url, Path(folder), base, clients, args))
                    show(results[-1])
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    steps = breakdown(base)
    print("one upload's steps in-process, one at a time (mean ms wall / CPU):")
    for name, (wall, cpu) in steps.items():
        print(f"    {name:<50} {wall:7.3f} / {cpu:7.3f}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        document = {"stores": [asdict(r) for r in results], "steps_ms_wall_cpu": steps}
        args.json.write_text(json.dumps(document, indent=2) + "\n")
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
