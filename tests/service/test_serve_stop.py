"""`rekap serve` stopped (SIGTERM, as a service manager stops it) signs the change log's head
once more on its way out: the events since the last interval's signature are not left unsigned
until the next start."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.cli.main import app
from tests.integration.conftest import database_url
from tests.service.test_crash import free_port

__all__ = ["database_url"]  # the fixture: a fresh SQLite file and a fresh PostgreSQL database
REKAP = str(Path(sys.executable).parent / "rekap")


def test_a_stopped_server_signs_the_head_on_its_way_out(database_url: str, tmp_path: Path) -> None:
    made = CliRunner().invoke(app, ["admin", "create", "Admin", "--db", database_url])
    assert made.exit_code == 0, made.output
    port = free_port()
    command = [REKAP, "serve", "--db", database_url, "--port", str(port), "--workers", "0"]
    command += ["--photos", str(tmp_path / "photos"), "--key", str(tmp_path / "key.pem")]
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(command, stdout=log, stderr=log)  # signs every 60 s: not yet
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 128 + signal.SIGTERM  # as a shell reports it
    finally:
        if server.poll() is None:
            server.kill()
        log.close()
    engine = open_engine(database_url)
    events = EventLog(engine)
    with engine.connect() as connection:
        head = events.head(connection)
    heads = events.heads()
    engine.dispose()
    assert head is not None
    assert [h.sequence for h in heads] == [head.sequence], (tmp_path / "server.log").read_text()
