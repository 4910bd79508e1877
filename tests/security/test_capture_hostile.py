"""Hostile uploads, against the running service on both databases: a decompression bomb, a
body declared larger than any photo, a full disk, a flush that fails, a damaged file under a
photo's name, and a caller that gives up while its upload is recorded. Each reproduces a defect
found in an adversarial review of the capture path; each now answers clearly, and no receipt
is ever given for a photo that is not wholly on disk."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

import pytest
import uvicorn

from rekap.adapters import photo_files
from rekap.adapters.intake import Intake
from rekap.adapters.storage.photos import Arrival, PhotoStore, Receipt, Upload
from rekap.capture.access import Principal, Role
from rekap.capture.messages import photo_message
from rekap.capture.photo_check import MAX_BYTES, CheckedPhoto, check_photo
from rekap.web import routes_capture
from tests.security.world import CAPTURED, Actor, World, fresh_jpeg, synthetic_jpeg
from tests.service.test_crash import free_port

# A TPS of its own for each test that uploads (not used by any other security test).
BOMB_TPS = "3310052005001"
FULL_TPS = "3310052006001"
FLUSH_TPS = "3310052007001"
DAMAGED_TPS = "3310052008001"
LARGE_TPS = "3310052009001"


def officer_of(world: World, kode: str) -> Actor:
    name = f"hostile officer {kode}"
    return world.actors.get(name) or world.enrol(name, Role.OFFICER, kode)


def signed(actor: Actor, data: bytes, kode: str, page: int) -> dict[str, str]:
    """The form fields of an upload, signed over the bytes' own hash (whatever they are)."""
    assert actor.key is not None and actor.device_id is not None
    sha = hashlib.sha256(data).hexdigest()
    return {
        "page": str(page),
        "captured_at": CAPTURED.isoformat(),
        "device_id": actor.device_id,
        "signature": actor.key.sign(photo_message(sha, kode, page, CAPTURED)).hex(),
    }


def upload(world: World, actor: Actor, kode: str, page: int, data: bytes) -> Any:
    return world.client.post(
        f"/api/v1/tps/{kode}/photos",
        files={"photo": ("p.jpg", data, "image/jpeg")},
        data=signed(actor, data, kode, page),
        headers=actor.headers,
    )


def stored_path(world: World, data: bytes) -> Path:
    files = world.context.local_files
    assert files is not None
    return files.path(hashlib.sha256(data).hexdigest(), ".jpg")


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_not_a_server_error(world: World) -> None:
    """20,000 × 20,000 pixels in 100 bytes: Pillow's own guard fired before ours and escaped
    as a 500."""
    officer = officer_of(world, BOMB_TPS)
    answer = upload(world, officer, BOMB_TPS, 1, png_header(20_000, 20_000))
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["details"] == {"reason": "too_many_pixels"}
    assert world.context.photos.states(BOMB_TPS) == []


@contextmanager
def serving(world: World) -> Iterator[int]:
    """The world's app behind a real HTTP server (uvicorn) on a free port."""
    port = free_port()
    config = uvicorn.Config(world.app, port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def first_answer(port: int, head: str, body_start: bytes) -> bytes:
    """Send a request's head and the start of its body, then wait (5 s at most) for the
    status line: the rest of the declared body never comes."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(head.encode() + b"\r\n" + body_start)
        try:
            return connection.recv(64)
        except TimeoutError:
            return b"(no answer in 5 s: the server waits for the whole body)"


def test_a_body_declared_larger_than_any_photo_is_refused_before_it_is_read(
    world: World,
) -> None:
    """A multipart body is parsed before the route's access check: the server read (and
    spooled to disk) all of a declared gigabyte, logged in or not, before answering."""
    officer = officer_of(world, LARGE_TPS)
    huge = 1_000_000_000
    with serving(world) as port:
        anybody = first_answer(
            port,
            f"POST /api/v1/tps/{LARGE_TPS}/photos HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {officer.token}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {huge}\r\n",
            b"--b\r\n",
        )
        form = signed(officer, b"x", LARGE_TPS, 1)
        raw = first_answer(
            port,
            f"PUT /api/v1/tps/{LARGE_TPS}/photos/1 HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {officer.token}\r\nContent-Type: image/jpeg\r\n"
            f"X-Captured-At: {form['captured_at']}\r\nX-Device-Id: {form['device_id']}\r\n"
            f"X-Signature: {form['signature']}\r\nContent-Length: {huge}\r\n",
            b"\xff\xd8\xff",
        )
    assert anybody.startswith(b"HTTP/1.1 413"), anybody
    assert raw.startswith(b"HTTP/1.1 413"), raw
    assert huge > MAX_BYTES
    assert world.context.photos.states(LARGE_TPS) == []


def test_an_upload_without_an_officers_login_is_refused_before_its_body_is_read(
    world: World,
) -> None:
    """Within the size limit, a multipart body would still be parsed (and spooled) before the
    route's access check: anyone could make the server take in 25 MB a request."""
    within = MAX_BYTES - 1_000_000
    verifier = world.actors["verifier_in"]
    with serving(world) as port:
        answers = [
            first_answer(
                port,
                f"POST /api/v1/tps/{LARGE_TPS}/photos HTTP/1.1\r\nHost: x\r\n{login}"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {within}\r\n",
                b"--b\r\n",
            )
            for login in (
                "",
                "Authorization: Bearer nonsense\r\n",
                f"Authorization: Bearer {verifier.token}\r\n",
            )
        ]
    assert [a[:12] for a in answers] == [b"HTTP/1.1 401", b"HTTP/1.1 401", b"HTTP/1.1 403"]


def test_a_full_disk_answers_a_retryable_error_and_keeps_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The photo folder's disk fills half-way through a photo: a clear 503 (not a 500), no
    half-written file, no row, no receipt; once there is room the phone's resend is taken."""
    officer = officer_of(world, FULL_TPS)
    jpeg = fresh_jpeg()
    real_fdopen = os.fdopen

    def full_disk(descriptor: int, *args: Any, **kwargs: Any) -> IO[Any]:
        handle = real_fdopen(descriptor, *args, **kwargs)
        if ".incoming-" not in os.readlink(f"/proc/self/fd/{descriptor}"):
            return handle
        real_write = handle.write

        def write(data: bytes) -> int:
            real_write(data[: len(data) // 2])
            handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        handle.write = write  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(os, "fdopen", full_disk)
    monkeypatch.setattr(routes_capture, "STORAGE_TROUBLE", routes_capture.StorageTrouble())
    answer = upload(world, officer, FULL_TPS, 1, jpeg)
    monkeypatch.undo()
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert error["code"] == "storage_unavailable"
    assert error["details"]["reason"] == "disk_full" and error["details"]["retry_after_s"] > 0
    # the operator is told why, on the server's log (the phone only gets the 503)
    told = [r.getMessage() for r in caplog.records if r.name == "rekap.capture"]
    assert any("photos cannot be stored" in m and "No space left on device" in m for m in told)
    target = stored_path(world, jpeg)
    assert not target.exists()
    assert not list(target.parent.glob(".incoming-*"))
    assert world.context.photos.states(FULL_TPS) == []

    again = upload(world, officer, FULL_TPS, 1, jpeg)
    assert again.status_code == 201, again.text
    assert target.read_bytes() == jpeg


def test_a_failed_flush_gives_no_receipt_and_the_photo_is_written_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flush of a batch fails (EIO). Linux reports a failed writeback once: the flush
    that the old intake retried photo by photo said all was well, and a receipt was given for
    a photo the disk may have lost. Now: no receipt, and the resend writes the photo again."""
    officer = officer_of(world, FLUSH_TPS)
    jpeg = fresh_jpeg()
    real_syncfs = photo_files._syncfs
    failures = [OSError(errno.EIO, "Input/output error")]

    def syncfs_failing_once(inside: Path) -> bool:
        if failures:
            raise failures.pop()
        return real_syncfs(inside)

    monkeypatch.setattr(photo_files, "_syncfs", syncfs_failing_once)
    answer = upload(world, officer, FLUSH_TPS, 2, jpeg)
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "storage_unavailable"
    assert world.context.photos.states(FLUSH_TPS) == []

    target = stored_path(world, jpeg)
    target.write_bytes(b"\0" * len(jpeg))  # what the disk kept of the lost write
    again = upload(world, officer, FLUSH_TPS, 2, jpeg)
    assert again.status_code == 201, again.text
    assert target.read_bytes() == jpeg


def test_a_damaged_file_under_the_photo_name_is_replaced(world: World) -> None:
    """A file cut short under a photo's name (a crash of the machine before its flush, a bad
    disk) was taken for the photo: the upload got a receipt for bytes not on disk."""
    officer = officer_of(world, DAMAGED_TPS)
    jpeg = fresh_jpeg()
    target = stored_path(world, jpeg)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(jpeg[:1000])
    answer = upload(world, officer, DAMAGED_TPS, 3, jpeg)
    assert answer.status_code == 201, answer.text
    assert target.read_bytes() == jpeg


class _SlowStore:
    """A photo table that holds its first batch until told to go on."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.go_on = threading.Event()

    def receive_many(self, arrivals: Sequence[Arrival]) -> list[Receipt]:
        if not self.entered.is_set():
            self.entered.set()
            self.go_on.wait(5)
        return [
            Receipt(
                n, a.upload.checked.sha256, a.upload.kode_tps, a.upload.page, "", "", "", "", False
            )
            for n, a in enumerate(arrivals)
        ]


def test_an_upload_whose_caller_gave_up_does_not_stop_the_intake(tmp_path: Path) -> None:
    """A request cancelled while its batch commits (its awaiting task cancelled) cancelled the
    intake's future; setting its result then raised in the intake's one thread, which died:
    every later upload of the process waited for ever."""
    store = _SlowStore()
    intake = Intake(cast(PhotoStore, store))
    officer = Principal("officer", "kpps", Role.OFFICER, BOMB_TPS)
    checked = [check_photo(synthetic_jpeg(seed)) for seed in (1, 2)]
    assert all(isinstance(c, CheckedPhoto) for c in checked)
    uploads = [
        Upload(BOMB_TPS, "ppwp", 1, CAPTURED, "0" * 16, b"", cast(CheckedPhoto, c)) for c in checked
    ]
    at = datetime(2024, 2, 14, 15, 0, tzinfo=UTC)
    try:
        given_up: Future[Receipt] = intake.submit(officer, uploads[0], at)
        assert store.entered.wait(5)
        given_up.cancel()
        store.go_on.set()
        later = intake.submit(officer, uploads[1], at)
        assert later.result(timeout=5).sha256 == uploads[1].checked.sha256
    finally:
        store.go_on.set()
        intake.close()


INTERRUPTED_TPS = "3310052012001"  # a TPS no other test of the world uploads to


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_an_upload_interrupted_halfway_records_nothing_and_logs_no_traceback(
    world: World, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A phone that loses its network halfway through a photo: nothing is recorded, and the
    server's log is not flooded with a traceback for each (an election night's mobile networks
    would bury every real error under them)."""
    officer = officer_of(world, INTERRUPTED_TPS)
    jpeg = fresh_jpeg()
    form = signed(officer, jpeg, INTERRUPTED_TPS, 1)
    if method == "PUT":
        path, kind, body = f"/api/v1/tps/{INTERRUPTED_TPS}/photos/1", "image/jpeg", jpeg
        extra = "".join(
            f"{name}: {form[key]}\r\n"
            for name, key in (
                ("X-Captured-At", "captured_at"),
                ("X-Device-Id", "device_id"),
                ("X-Signature", "signature"),
            )
        )
    else:
        path, kind, extra = (
            f"/api/v1/tps/{INTERRUPTED_TPS}/photos",
            "multipart/form-data; boundary=b",
            "",
        )
        fields = b"".join(
            f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in form.items()
        )
        body = fields + b'--b\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
        body += b"Content-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n--b--\r\n"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {officer.token}\r\n"
        f"Content-Type: {kind}\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
    )
    with serving(world) as port:
        uvicorn_log = logging.getLogger("uvicorn.error")  # uvicorn's, not propagated to the root
        uvicorn_log.addHandler(caplog.handler)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
                connection.sendall(head.encode() + body[: len(body) // 2])
            time.sleep(1.0)  # the server notices the closed connection
        finally:
            uvicorn_log.removeHandler(caplog.handler)
    assert world.context.photos.states(INTERRUPTED_TPS) == []
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


SIGNED_TPS = "3310052011001"


def test_a_signature_over_the_time_as_sent_says_the_text_to_sign(world: World) -> None:
    """A phone that signs `captured_at` as it sends it ("Z", milliseconds) while the server
    checks the time as it writes it back was told only that the signature does not match;
    the answer now shows the text to sign, and the photo signed so is taken."""
    officer = officer_of(world, SIGNED_TPS)
    assert officer.key is not None and officer.device_id is not None
    jpeg = fresh_jpeg()
    sha = hashlib.sha256(jpeg).hexdigest()
    sent = "2024-02-14T06:30:00.250Z"

    def put(text: str) -> Any:
        return world.client.put(
            f"/api/v1/tps/{SIGNED_TPS}/photos/1",
            content=jpeg,
            headers={
                **officer.headers,
                "X-Captured-At": sent,
                "X-Device-Id": officer.device_id,
                "X-Signature": officer.key.sign(text.encode()).hex(),  # type: ignore[union-attr]
            },
        )

    refused = put(f"rekap-photo:v1:{sha}:{SIGNED_TPS}:1:{sent}")
    assert refused.status_code == 403, refused.text
    expected = refused.json()["error"]["details"]["signed_text"]
    assert expected == f"rekap-photo:v1:{sha}:{SIGNED_TPS}:1:2024-02-14T06:30:00.250000+00:00"
    assert put(expected).status_code == 201
