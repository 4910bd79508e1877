"""Failed photos for an operator: `rekap photos failed` lists them with why, `rekap photos
retry` puts those failed by an error back to be processed (a logged event; queued on
PostgreSQL), never one refused for what it is unless named with --refused, never one sent
back by people, and never one that has not failed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from typer.testing import CliRunner

from rekap.adapters.processing import PhotoProcessor
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.schema import photo
from rekap.cli.main import app
from rekap.reading.result import PageReading
from rekap.web.access import TOKEN_COOKIE
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Officer, Service

KODE = "7471011007001"
REKAP = str(Path(sys.executable).parent / "rekap")


def now() -> datetime:
    return datetime.now(UTC)


def crashing(_data: bytes, _page: int) -> PageReading:
    raise RuntimeError("the reader crashed")


def not_a_form(_data: bytes, page: int) -> PageReading:
    return PageReading("not_a_form", "no fiducials", None)


def processor(service: Service, read: object) -> PhotoProcessor:
    ctx = service.context
    return PhotoProcessor(
        ctx.engine,
        ctx.log,
        ctx.photos,
        ctx.files,
        read,  # type: ignore[arg-type]
        ctx.form,
        ctx.election,
        ctx.tree,
    )


def states(service: Service) -> dict[int, tuple[str, str]]:
    return {i: (s, r) for i, _, s, r in service.context.photos.states(KODE)}


def rekap(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def retried_events(service: Service) -> list[tuple[int, str, str]]:
    return [
        (r.payload["photo_id"], r.actor, r.reason)
        for r in EventLog(service.context.engine).records()
        if r.kind == "photo.state_changed" and r.payload["before"] == "failed"
    ]


def queued(service: Service) -> list[tuple[str, str]]:
    with service.context.engine.connect() as connection:
        rows = connection.execute(text("SELECT queueing_lock, status FROM procrastinate_jobs"))
        return sorted((str(lock), str(status)) for lock, status in rows)


def fail_three_ways(service: Service, seed: int) -> Officer:
    """A TPS's three pages sent (photos 1-3, by the officer it returns) and
    failed each its own way: 1 refused by the reader, 2 a processing error, 3 sent back by
    people (first a processing error too)."""
    officer = service.upload_pages(KODE, {p: synthetic_jpeg(seed + p) for p in (1, 2, 3)})
    assert processor(service, not_a_form).process_next(now)  # photo 1: refused
    assert processor(service, crashing).run_until_idle(now) == 2  # photos 2 and 3: errors
    with service.context.engine.begin() as connection:  # photo 3: people sent it back
        connection.execute(
            update(photo)
            .where(photo.c.id == 3)
            .values(reason="sent back: 2 people could not read this photo")
        )
    return officer


def test_a_photo_the_reader_crashed_on_is_listed_and_processed_again(service: Service) -> None:
    service.upload_pages(KODE, {1: synthetic_jpeg(1)})
    assert processor(service, crashing).run_until_idle(now) == 1
    [(state, reason)] = states(service).values()
    assert state == "failed" and "processing failed" in reason and "crashed" in reason

    code, said = rekap("photos", "failed", "--db", service.database_url, "--json")
    assert code == 0, said
    [listed] = [json.loads(line) for line in said.splitlines() if line.startswith("{")]
    assert listed["photo_id"] == 1 and listed["kind"] == "processing_error"
    assert listed["kode_tps"] == KODE and listed["reason"] == reason

    code, said = rekap(
        "photos", "retry", "1", "--reason", "reader fixed", "--db", service.database_url
    )
    assert code == 0, said
    assert states(service) == {1: ("received", "")}
    assert retried_events(service) == [(1, "cli", "reader fixed")]
    if service.context.engine.dialect.name == "postgresql":
        assert ("photo-1", "todo") in queued(service)  # queued with its retry

    # processed again, once: the reader now refuses it for what it is
    assert processor(service, not_a_form).run_until_idle(now) == 1
    assert states(service) == {1: ("failed", "not_a_form: no fiducials")}
    code, said = rekap("photos", "retry", "1", "--reason", "again", "--db", service.database_url)
    assert code == 1 and "--refused" in said  # refused for what it is: not without asking
    assert states(service)[1][0] == "failed"
    code, said = rekap("log", "verify", "--db", service.database_url)
    assert code == 0, said


def test_all_failed_takes_only_the_errors(service: Service) -> None:
    officer = fail_three_ways(service, 10)
    code, said = rekap("photos", "failed", "--db", service.database_url)
    assert code == 0 and "1 processing_error" in " ".join(said.split()), said
    shown = service.client.get(f"/api/v1/tps/{KODE}/photos").json()["photos"]
    assert [p["failure"] for p in shown] == ["refused", "processing_error", "sent_back"]
    # the officer's page says what to do of each: a new photo, nothing, a new photo
    page = service.client.get("/petugas", cookies={TOKEN_COOKIE: officer.token})
    assert page.status_code == 200
    said = " ".join(page.text.split())
    assert "tidak dapat dibaca sebagai halaman 1 formulir: kirim foto baru halaman 1" in said
    assert "server gagal memprosesnya dan akan membacanya ulang. Tidak perlu mengirim" in said
    assert "Verifikator tidak dapat membaca foto ini: kirim foto baru halaman 3" in said

    code, said = rekap(
        "photos", "retry", "--all-failed", "--reason", "bug fixed", "--db", service.database_url
    )
    assert code == 0, said
    assert [s for s, _ in states(service).values()] == ["failed", "received", "failed"]

    code, said = rekap(
        "photos", "retry", "1", "2", "3", "--refused", "--reason", "x", "--db", service.database_url
    )
    assert code == 1  # 2 is not failed, 3 was sent back: said, and left as they are
    assert "photo 2 not retried" in said and "photo 3 not retried" in said
    assert [s for s, _ in states(service).values()] == ["received", "received", "failed"]
    assert [i for i, _, _ in retried_events(service)] == [2, 1]
    code, said = rekap("photos", "retry", "--reason", "x", "--db", service.database_url)
    assert code == 2  # neither photos nor --all-failed


def test_a_stale_claim_records_nothing_once_the_photo_was_retried(service: Service) -> None:
    """A worker too slow (its claim taken over after the claim timeout) must not record its
    outcome over the photo's next processing: the photo failed meanwhile and was retried, and
    another worker now holds it."""
    service.upload_pages(KODE, {1: synthetic_jpeg(21)})
    ctx = service.context
    at = now()
    slow = ctx.photos.claim(at)
    assert slow is not None
    took_over = processor(service, crashing)
    assert took_over.process_next(lambda: at + timedelta(minutes=6))  # failed
    code, said = rekap("photos", "retry", "1", "--reason", "retry", "--db", service.database_url)
    assert code == 0, said
    current = ctx.photos.claim(at + timedelta(minutes=7))
    assert current is not None
    late = processor(service, not_a_form)
    late.finish(slow, not_a_form(b"", 1), at + timedelta(minutes=8))
    assert states(service) == {1: ("received", "")}  # the slow worker's outcome: not recorded
    late.finish(current, PageReading("unreadable", "blurred", None), at + timedelta(minutes=8))
    assert states(service) == {1: ("failed", "unreadable: blurred")}
    moves = Counter(
        (r.payload["before"], r.payload["after"])
        for r in EventLog(ctx.engine).records()
        if r.kind == "photo.state_changed"
    )
    assert moves == {("received", "failed"): 2, ("failed", "received"): 1}


@pytest.mark.slow
def test_a_worker_process_on_the_queue_takes_a_retried_photo(
    service: Service, tmp_path: Path
) -> None:
    if service.context.engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue and `rekap worker` processes are PostgreSQL's")
    pytest.importorskip("rekap.reading.digits")
    service.upload_pages(KODE, {1: synthetic_jpeg(31)})
    assert processor(service, crashing).run_until_idle(now) == 1
    with service.context.engine.begin() as connection:  # the photo's first job has run
        connection.execute(text("UPDATE procrastinate_jobs SET status = 'succeeded'"))
    code, said = rekap("photos", "retry", "1", "--reason", "retry", "--db", service.database_url)
    assert code == 0, said
    worker = subprocess.run(
        [
            REKAP,
            "worker",
            "--once",
            "--db",
            service.database_url,
            "--photos",
            str(tmp_path / "photos"),
            "--key",
            str(tmp_path / "worker-key.pem"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    [(state, reason)] = states(service).values()
    assert state == "failed" and reason.startswith("not_a_form"), reason  # read by the reader
    assert {status for _, status in queued(service)} == {"succeeded"}


def test_waiting_photos_and_lapsed_claims_are_shown(service: Service) -> None:
    code, said = rekap("photos", "waiting", "--db", service.database_url)
    assert code == 0 and "No photo waits" in said
    service.upload_pages(KODE, {1: synthetic_jpeg(71), 2: synthetic_jpeg(72)})
    killed = service.context.photos.claim(now() - timedelta(minutes=10))  # its worker killed
    assert killed is not None and killed.id == 1
    assert service.context.photos.claim_id(2, now()) is not None  # photo 2: a worker at it
    code, said = rekap("photos", "waiting", "--db", service.database_url)
    assert code == 0, said
    words = " ".join(said.split())
    assert "2 photos wait to be processed" in words
    assert "1 of them" in words and "claimed more than 300 s ago" in words
    rows = [line.split() for line in said.splitlines() if KODE in line]
    assert [row[1] for row in rows] == ["1"]  # only the lapsed claim is listed
