"""Crash safety: the server (with its in-process worker) is killed with SIGKILL in the middle
of a batch of uploads and again while it reads; after each restart every accepted photo is
processed exactly once, none is lost, every receipt given out still stands, and the log holds."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.schema import photo
from rekap.capture.access import Role
from tests.service.conftest import CAPTURED, Officer
from tests.service.test_election_day import photos_of, simulated

pytest.importorskip("rekap.reading.digits")
REKAP = str(Path(sys.executable).parent / "rekap")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = f"sqlite:///{root / 'rekap.db'}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            REKAP,
            "serve",
            "--port",
            str(self.port),
            "--db",
            self.db,
            "--photos",
            str(self.root / "photos"),
            "--key",
            str(self.root / "key.pem"),
            "--workers",
            "1",
            "--claim-timeout",
            "2",
        ]
        log = (self.root / "server.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("the server did not start: " + (self.root / "server.log").read_text())

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.mark.slow
def test_sigkill_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from rekap.adapters.keys import raw_public
    from rekap.web.context import utc_now

    server = Server(tmp_path)
    engine = open_engine(server.db)
    upgrade(engine)
    accounts = AccountStore(engine, EventLog(engine))
    officers: dict[str, Officer] = {}
    shots: list[tuple[str, int, bytes]] = []
    for tps in simulated(0.0, seed=31)[:4]:
        principal, token = accounts.enrol("kpps", Role.OFFICER, tps.kode.value, utc_now(), "t")
        key = Ed25519PrivateKey.generate()
        device = accounts.register_device(principal, raw_public(key.public_key()), utc_now())
        officers[tps.kode.value] = Officer(token, key, device, tps.kode.value)
        shots += [(tps.kode.value, p, j) for p, j in photos_of(tps, seed=4).items()]

    receipts: dict[tuple[str, int], dict[str, object]] = {}

    def send(kode: str, page: int, jpeg: bytes) -> bool:
        officer = officers[kode]
        try:
            answer = httpx.post(
                f"{server.url}/api/v1/tps/{kode}/photos",
                files={"photo": ("p.jpg", jpeg, "image/jpeg")},
                data=officer.form_for(jpeg, page),
                headers=officer.headers,
                timeout=30,
            )
        except httpx.HTTPError:
            return False  # the phone keeps the photo and tries again later
        assert answer.status_code in (200, 201), answer.text
        body = answer.json()
        if (kode, page) in receipts:
            assert body["photo_id"] == receipts[(kode, page)]["photo_id"]
            assert body["signature"] == receipts[(kode, page)]["signature"]
        receipts[(kode, page)] = body
        return True

    server.start()
    for kode, page, jpeg in shots[:5]:
        assert send(kode, page, jpeg)
    server.kill()  # in the middle of the batch, with photos waiting to be read
    server.start()
    for kode, page, jpeg in shots:  # the phones resend everything without a receipt, and more
        assert send(kode, page, jpeg)
    time.sleep(1.0)
    server.kill()  # again, while the worker reads
    server.start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        waiting = httpx.get(f"{server.url}/api/v1/health", timeout=5).json()["photos"]
        if not waiting.get("received"):
            break
        time.sleep(0.5)
    server.kill()

    with engine.connect() as connection:
        rows = connection.execute(select(photo.c.id, photo.c.state)).all()
        events = [
            (kind, json.loads(payload) if isinstance(payload, str) else payload)
            for kind, payload in connection.execute(text("SELECT kind, payload FROM event"))
        ]
    assert len(rows) == len(shots)  # every photo once
    assert "received" not in {state for _, state in rows}  # every photo processed
    kinds = Counter(kind for kind, _ in events)
    assert kinds["photo.received"] == len(shots)
    first_moves = Counter(
        payload["photo_id"]
        for kind, payload in events
        if kind == "photo.state_changed" and payload["before"] == "received"
    )
    assert set(first_moves.values()) == {1}  # none processed twice
    assert len(first_moves) == len(shots)
    assert {receipt["photo_id"] for receipt in receipts.values()} == {i for i, _ in rows}
    verify = subprocess.run(
        [REKAP, "log", "verify", "--db", server.db], capture_output=True, text=True, check=False
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert CAPTURED.tzinfo is not None
