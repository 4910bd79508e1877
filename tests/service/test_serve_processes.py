"""`rekap serve --processes 2`: two HTTP processes share the port, the database and the photo
folder; uploads sent to both at once are each recorded once, with receipts signed by the one
server key, and a photo sent twice still gets its first receipt."""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rekap.adapters.keys import load_or_create, raw_public
from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.capture.access import Role
from rekap.events.chain import verify_chain
from rekap.web.context import utc_now
from tests.service.conftest import Officer
from tests.service.test_crash import REKAP, free_port
from tests.service.test_election_day import photos_of, simulated


@pytest.mark.slow
def test_two_http_processes_record_every_upload_once(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'rekap.db'}"
    engine = open_engine(db)
    upgrade(engine)
    accounts = AccountStore(engine, EventLog(engine))
    shots: list[tuple[Officer, int, bytes]] = []
    for tps in simulated(0.0, seed=51)[:3]:
        kode = tps.kode.value
        principal, token = accounts.enrol("kpps", Role.OFFICER, kode, utc_now(), "test")
        key = Ed25519PrivateKey.generate()
        device = accounts.register_device(principal, raw_public(key.public_key()), utc_now())
        officer = Officer(token, key, device, kode)
        shots += [(officer, page, jpeg) for page, jpeg in photos_of(tps, seed=6).items()]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [REKAP, "serve", "--port", str(port), "--db", db, "--workers", "0"]
    command += ["--photos", str(tmp_path / "photos"), "--key", str(tmp_path / "key.pem")]
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([*command, "--processes", "2"], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)

        def send(shot: tuple[Officer, int, bytes]) -> httpx.Response:
            officer, page, jpeg = shot
            return httpx.post(
                f"{url}/api/v1/tps/{officer.kode_tps}/photos",
                files={"photo": ("p.jpg", jpeg, "image/jpeg")},
                data=officer.form_for(jpeg, page),
                headers=officer.headers,
                timeout=60,
            )

        with ThreadPoolExecutor(max_workers=6) as pool:
            first = list(pool.map(send, shots))
            again = list(pool.map(send, shots))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert [r.status_code for r in first] == [201] * len(shots), (
        tmp_path / "server.log"
    ).read_text()
    assert [r.status_code for r in again] == [200] * len(shots)
    receipts = [r.json() for r in first]
    assert [r.json()["photo_id"] for r in again] == [r["photo_id"] for r in receipts]
    assert len({r["photo_id"] for r in receipts}) == len(shots)
    assert {r["public_key"] for r in receipts} == {
        load_or_create(tmp_path / "key.pem").public_raw.hex()
    }
    records = list(EventLog(engine).records())
    assert verify_chain(records).ok
    assert sum(r.kind == "photo.received" for r in records) == len(shots)
    engine.dispose()
