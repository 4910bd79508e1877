"""`GET /api/v1/health` says whether the database and the photo store answer (it said "ok"
with the photo folder gone or the disk full), with a 503 when uploads cannot be taken, and
looks at them once every few seconds however often it is asked (it read every photo row on
each probe)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from rekap.adapters import photo_files
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.photo_s3 import S3PhotoStore
from rekap.adapters.storage.schema import photo
from rekap.web.health import Health
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Service

KODE = "7471011007001"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def fresh(service: Service, clock: Clock | None = None) -> Clock:
    clock = clock or Clock()
    ctx = service.context
    ctx.health = Health(ctx.engine, ctx.files, clock=clock)
    return clock


def health(service: Service) -> tuple[int, dict[str, object]]:
    answer = service.client.get("/api/v1/health")
    assert answer.headers["cache-control"] == "no-store"
    body: dict[str, object] = answer.json()
    return answer.status_code, body


def test_a_healthy_service_says_so_with_its_backlog(service: Service) -> None:
    fresh(service)
    code, body = health(service)  # no photo yet, no photo folder yet: fine
    assert code == 200 and body["status"] == "ok", body
    service.upload_pages(KODE, {1: synthetic_jpeg(51), 2: synthetic_jpeg(52)})
    fresh(service)
    code, body = health(service)
    assert code == 200 and body["status"] == "ok", body
    assert body["database"] == {"status": "ok"}
    store = body["photo_store"]
    assert isinstance(store, dict) and store["status"] == "ok" and store["free_bytes"] > 0
    assert body["photos"] == {"received": 2}
    assert isinstance(body["oldest_waiting_since"], str)


def test_the_backlog_is_the_photo_tables_count_by_state(service: Service) -> None:
    """Health's backlog is the photos counted by state, a failed one apart from the received
    ones."""
    service.upload_pages(KODE, {1: synthetic_jpeg(56), 2: synthetic_jpeg(57)})
    with service.context.engine.begin() as connection:
        connection.execute(
            update(photo).where(photo.c.page == 2).values(state="failed", reason="x: y")
        )
    fresh(service)
    _, body = health(service)
    assert body["photos"] == {"received": 1, "failed": 1}
    assert body["photos"] == service.context.photos.count_by_state()


def test_a_photo_folder_gone_is_unavailable_and_seen_within_seconds(service: Service) -> None:
    service.upload_pages(KODE, {1: synthetic_jpeg(53)})
    clock = fresh(service)
    assert health(service)[0] == 200
    files = service.context.files
    assert isinstance(files, LocalPhotoStore)
    shutil.rmtree(files.root)  # a volume unmounted, a folder deleted
    assert health(service)[0] == 200  # the last look stands for a few seconds...
    clock.now += 5.0
    code, body = health(service)  # ...then the store is looked at again
    assert code == 503 and body["status"] == "unavailable", body
    assert body["photo_store"] == {"status": "unavailable", "problem": "no_folder"}
    assert body["database"] == {"status": "ok"}


def test_a_service_folder_gone_is_unavailable_before_any_photo(
    service: Service, tmp_path: Path
) -> None:
    """`rekap serve` makes its photo folder at start and never again (a volume unmounted must
    not have photos written beneath it): with the folder gone every upload is answered 503,
    photos recorded or not, and health must say so rather than "ok"."""
    root = tmp_path / "volume" / "photos"
    root.mkdir(parents=True)
    ctx = service.context
    ctx.health = Health(ctx.engine, LocalPhotoStore(root, create_root=False), clock=Clock())
    assert health(service)[0] == 200
    root.rmdir()  # the volume unmounted
    ctx.health = Health(ctx.engine, LocalPhotoStore(root, create_root=False), clock=Clock())
    code, body = health(service)
    assert code == 503 and body["photo_store"] == {"status": "unavailable", "problem": "no_folder"}


def test_a_full_or_nearly_full_disk_is_said(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.upload_pages(KODE, {1: synthetic_jpeg(54)})
    monkeypatch.setattr(photo_files, "LOW_SPACE_BYTES", 2**62)  # more than any disk has free
    fresh(service)
    code, body = health(service)
    assert code == 200 and body["status"] == "degraded", body  # uploads still stored
    assert body["photo_store"]["problem"] == "low_space"  # type: ignore[index]
    monkeypatch.setattr(photo_files, "FULL_BYTES", 2**62)
    fresh(service)
    code, body = health(service)
    assert code == 503 and body["photo_store"]["problem"] == "disk_full", body  # type: ignore[index]


def test_a_folder_that_cannot_be_written_is_unavailable(service: Service) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes any folder")
    service.upload_pages(KODE, {1: synthetic_jpeg(55)})
    files = service.context.files
    assert isinstance(files, LocalPhotoStore)
    files.root.chmod(0o500)
    try:
        fresh(service)
        code, body = health(service)
    finally:
        files.root.chmod(0o700)
    assert code == 503 and body["photo_store"]["problem"] == "not_writable", body  # type: ignore[index]


class Unreachable:
    """An S3 client whose every request fails (an endpoint down), counting its checks."""

    def __init__(self) -> None:
        self.checks = 0

    def head_bucket(self, **_arguments: object) -> None:
        self.checks += 1
        raise ConnectionError("could not connect to the endpoint")


def test_an_unreachable_store_is_unavailable_and_looked_at_once_per_interval(
    service: Service,
) -> None:
    store = Unreachable()
    clock = Clock()
    ctx = service.context
    ctx.health = Health(ctx.engine, S3PhotoStore(store, "photos"), clock=clock)  # type: ignore[arg-type]
    for _ in range(20):
        code, body = health(service)
        assert code == 503 and body["photo_store"] == {
            "status": "unavailable",
            "problem": "unreachable",
        }
    assert store.checks == 1
    clock.now += 5.0
    health(service)
    assert store.checks == 2
    assert "s3://" not in service.client.get("/api/v1/health").text  # the cause: on the log


def test_a_database_that_does_not_answer_is_unavailable(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'rekap.db'}")
    code, body = Health(engine, LocalPhotoStore(tmp_path / "photos")).report()
    assert code == 503 and body["status"] == "unavailable"
    assert body["database"] == {"status": "unavailable"} and body["photos"] is None
    engine.dispose()


class Slow:
    """An S3 client whose check hangs until let go (an endpoint that takes minutes to refuse)."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.go = threading.Event()

    def head_bucket(self, **_arguments: object) -> None:
        self.asked.set()
        self.go.wait(timeout=30)


def test_probes_during_a_slow_look_are_answered_from_the_last_one(service: Service) -> None:
    store, clock = Slow(), Clock()
    ctx = service.context
    health_of = Health(ctx.engine, S3PhotoStore(store, "photos"), clock=clock)  # type: ignore[arg-type]
    store.go.set()
    assert health_of.report()[0] == 200  # the first look
    store.go.clear()
    store.asked.clear()
    clock.now += 5.0
    looking = threading.Thread(target=health_of.report)
    looking.start()
    assert store.asked.wait(timeout=10)
    started = time.monotonic()
    assert health_of.report()[0] == 200  # not held up behind the slow look
    assert time.monotonic() - started < 5
    store.go.set()
    looking.join(timeout=10)
