"""`rekap serve` behind a reverse proxy on another machine (TLS ended there, the service on
plain HTTP): the proxy's X-Forwarded-For and X-Forwarded-Proto are believed only from the
addresses given by `--forwarded-allow-ips`. Believed, each reader behind the proxy has a
public-read limit of their own and a login over HTTPS gets a Secure cookie; not believed, a
client cannot claim another address by sending the header itself.

The proxy is played by connections from 127.0.0.2 (another address of the loopback network,
not trusted by default), the readers by the addresses it forwards."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.capture.access import Role
from rekap.web.context import utc_now
from tests.service.test_crash import REKAP, free_port

PROXY = "127.0.0.2"
HEALTH = "/api/v1/health"


@contextmanager
def served(tmp_path: Path, *options: str) -> Iterator[str]:
    """A `rekap serve` on a free port with the given options; yields its address."""
    port = free_port()
    command = [REKAP, "serve", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'rekap.db'}"]
    command += ["--workers", "0", "--photos", str(tmp_path / "photos")]
    command += ["--key", str(tmp_path / "key.pem"), *options]
    log_path = tmp_path / f"server-{port}.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if httpx.get(url + HEALTH, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
            else:
                pytest.fail(f"the server did not start: {log_path.read_text()}")
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def through_proxy() -> httpx.Client:
    """A client whose connections come from the proxy's address."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=PROXY), timeout=10)


def as_reader(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}


def token_of(tmp_path: Path) -> str:
    engine = open_engine(f"sqlite:///{tmp_path / 'rekap.db'}")
    upgrade(engine)
    _principal, token = AccountStore(engine, EventLog(engine)).enrol(
        "admin", Role.ADMIN, "", utc_now(), "test"
    )
    engine.dispose()
    return token


def statuses(client: httpx.Client, url: str, address: str, count: int) -> list[int]:
    return [client.get(url + HEALTH, headers=as_reader(address)).status_code for _ in range(count)]


@pytest.mark.slow
def test_a_trusted_proxy_forwards_each_readers_address_and_https(tmp_path: Path) -> None:
    token = token_of(tmp_path)
    options = ("--forwarded-allow-ips", PROXY, "--public-rate", "0.1")
    with served(tmp_path, *options) as url, through_proxy() as client:
        # a burst of ten seconds' worth at 0.1 a second: one request, then 429
        first = statuses(client, url, "203.0.113.7", 2)
        other = statuses(client, url, "198.51.100.9", 1)
        refused = client.get(url + HEALTH, headers=as_reader("203.0.113.7"))
        login = client.post(url + "/masuk", data={"token": token}, headers=as_reader("192.0.2.1"))
    assert first == [200, 429]
    assert other == [200]  # another reader behind the same proxy: a limit of its own
    assert int(refused.headers["Retry-After"]) >= 1
    assert login.status_code == 303
    assert "secure" in login.headers["set-cookie"].lower()


@pytest.mark.slow
def test_an_untrusted_proxy_is_one_address_and_its_headers_are_ignored(tmp_path: Path) -> None:
    token = token_of(tmp_path)
    with served(tmp_path, "--public-rate", "0.1") as url:  # trusted: this machine's 127.0.0.1 only
        with through_proxy() as client:
            first = statuses(client, url, "203.0.113.7", 2)
            other = statuses(client, url, "198.51.100.9", 1)
        login = httpx.post(url + "/masuk", data={"token": token}, headers=as_reader("192.0.2.1"))
    assert first == [200, 429]
    assert other == [429]  # the header claimed another address: not believed
    assert login.status_code == 303  # from 127.0.0.1 (trusted by default): HTTPS believed
    assert "secure" in login.headers["set-cookie"].lower()
