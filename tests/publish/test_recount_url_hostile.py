"""`rekap recount URL` against a hostile or mistyped address: a malformed address is refused
as no snapshot (exit 2, no traceback), and a server that trickles a file or never answers costs
that file its deadline, named as a problem, never a hang."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from typer.testing import CliRunner

from rekap.adapters.keys import load_or_create
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.cli.main import app
from rekap.publish.snapshot import publish_snapshot
from rekap.recount.http_get import Budget, Client, HttpLimits, Outcome
from rekap.recount.layout import NoSnapshot
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.remote import RemoteOptions, recount_url
from rekap.recount.run import recount
from tests.publish.conftest import make_records, request_for
from tests.publish.static_server import running

TRICKLE_GAP_S = 0.05
"""Seconds between the bytes of a trickled file (each well inside any read timeout)."""
QUICK = HttpLimits(timeout=5.0, tries=4, grace_s=1.5, min_rate=2_000.0)
"""A file gets 1.5 s plus a second per 2,000 bytes: a trickle or silence is given up fast,
a local file is never near it."""


@dataclass
class Hostility:
    trickle: set[str] = field(default_factory=set)
    """Paths sent a byte at a time, the full length announced."""
    silent: set[str] = field(default_factory=set)
    """Paths whose request is read and never answered."""
    redirect: dict[str, str] = field(default_factory=dict)
    """Path → a Location to send with a 302."""
    requests: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    released: threading.Event = field(default_factory=threading.Event)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hostility: Hostility


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()
        self.server.hostility.connections += 1

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path).lstrip("/")
        hostility = self.server.hostility
        hostility.requests[path] += 1
        if path in hostility.silent:
            hostility.released.wait(30)
            self.close_connection = True
        elif path in hostility.redirect:
            self.send_response(302)
            self.send_header("Location", hostility.redirect[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path in hostility.trickle:
            self._trickle((Path(self.directory) / path).read_bytes(), hostility.released)
        else:
            super().do_GET()

    def _trickle(self, body: bytes, released: threading.Event) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.close_connection = True
        for byte in body:
            if released.wait(TRICKLE_GAP_S):
                return
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return


@dataclass(frozen=True)
class Hostile:
    url: str
    hostility: Hostility


@contextmanager
def hostile_server(folder: Path) -> Iterator[Hostile]:
    server = _Server(("127.0.0.1", 0), partial(_Handler, directory=str(folder)))
    server.hostility = Hostility()
    with running(server) as url:
        try:
            yield Hostile(url, server.hostility)
        finally:  # a trickle still sending lets go before the server shuts down
            server.hostility.released.set()


def _publish(out: Path) -> Path:
    """A signed snapshot of the small tree in the publication root ``out`` (with ``latest``)."""
    signer = load_or_create(out.parent / "keys" / "snapshot.pem")
    published = publish_snapshot(request_for(make_records(9)), DirectorySnapshotStore(out), signer)
    return Path(published.location)


def _beyond_the_folder(report: RecountReport, snapshot: Path) -> list[tuple[Kind, str, str]]:
    """The problems of an address's recount that the folder's own recount does not have."""
    folder = {(p.kind, p.path, p.detail) for p in recount(snapshot, workers=1).problems}
    return [
        (p.kind, p.path, p.detail)
        for p in report.problems
        if (p.kind, p.path.removeprefix(report.snapshot), p.detail) not in folder
    ]


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    return _publish(tmp_path / "out")


@pytest.fixture
def served(snapshot: Path) -> Iterator[Hostile]:
    with hostile_server(snapshot.parent) as server:
        yield server


# --- malformed addresses ------------------------------------------------------------------

MALFORMED = [
    "http://[::1",
    "https://[::1/snapshot/",
    "http://[not-an-ip]/",
    "http://example.org:port/",
    "http://example.org:99999/",
    "http://",
    "http://user:secret@example.org/",
    "http://exa mple.org/",
    "http://a..b/",
    f"http://{'a' * 64}.example/",
]


@pytest.mark.parametrize("url", MALFORMED)
def test_a_malformed_address_is_no_snapshot(url: str) -> None:
    with pytest.raises(NoSnapshot, match="address"):
        recount_url(url, workers=1)


@pytest.mark.parametrize("url", ["http://[::1", "http://example.org:port/"])
def test_the_cli_exits_2_on_a_malformed_address_with_no_traceback(url: str) -> None:
    result = CliRunner().invoke(app, ["recount", url, "--workers", "1"], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert "address" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_address_typed_with_spaces_and_accents_is_fetched(tmp_path: Path) -> None:
    snapshot = _publish(tmp_path / "hasil pemilu ü")
    with hostile_server(tmp_path) as server:
        report = recount_url(f"{server.url}hasil pemilu ü/", workers=1)
    assert report.snapshot == f"{server.url}hasil%20pemilu%20%C3%BC/{snapshot.name}/"
    assert report.checked == recount(snapshot, workers=1).checked
    assert _beyond_the_folder(report, snapshot) == []


def test_a_redirect_to_a_malformed_address_fails_the_file(tmp_path: Path) -> None:
    client = Client(HttpLimits(timeout=5.0, tries=2), Budget(1 << 20))
    with hostile_server(tmp_path) as server:
        server.hostility.redirect["a.json"] = "http://[::1/b.json"
        server.hostility.redirect["c.json"] = "http://example.org:port/c.json"
        try:
            for name in ("a.json", "c.json"):
                got = client.fetch(f"{server.url}{name}", tmp_path / name, 1000)
                assert got.outcome is Outcome.FAILED, got
                assert "address" in got.detail
        finally:
            client.close()


# --- slow servers -------------------------------------------------------------------------


def test_a_trickled_file_is_given_up_at_its_deadline(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 20_000)
    client = Client(QUICK, Budget(1 << 20))
    with hostile_server(tmp_path) as server:
        server.hostility.trickle.add("big.bin")
        started = time.monotonic()
        try:
            got = client.fetch(f"{server.url}big.bin", tmp_path / "copy.bin", 20_000)
        finally:
            client.close()
        seconds = time.monotonic() - started
    assert got.outcome is Outcome.SLOW, got
    assert got.detail.startswith("too slow")
    assert seconds < 5, seconds  # the grace, not the 20,000 bytes at 20 a second
    assert server.hostility.requests["big.bin"] == 1  # a trickle is not asked again
    assert not (tmp_path / "copy.bin").exists()


def test_a_server_that_never_answers_is_given_up_at_its_deadline(tmp_path: Path) -> None:
    client = Client(QUICK, Budget(1 << 20))
    with hostile_server(tmp_path) as server:
        server.hostility.silent.add("quiet.json")
        started = time.monotonic()
        try:
            got = client.fetch(f"{server.url}quiet.json", tmp_path / "quiet.json", 1000)
        finally:
            client.close()
        seconds = time.monotonic() - started
    assert got.outcome is Outcome.SLOW, got
    assert seconds < 5, seconds  # not tries × timeout
    assert server.hostility.requests["quiet.json"] == 1


def test_a_kept_connection_serves_the_next_file_after_a_slow_one(tmp_path: Path) -> None:
    for name in ("a.json", "b.json", "c.json"):
        (tmp_path / name).write_bytes(b"{}" * 100)
    client = Client(QUICK, Budget(1 << 20))
    with hostile_server(tmp_path) as server:
        server.hostility.trickle.add("b.json")
        try:
            got = [
                client.fetch(f"{server.url}{n}", tmp_path / f"copy-{n}", 200)
                for n in ("a.json", "b.json", "c.json")
            ]
        finally:
            client.close()
    assert [g.outcome for g in got] == [Outcome.SAVED, Outcome.SLOW, Outcome.SAVED]
    assert (tmp_path / "copy-c.json").read_bytes() == b"{}" * 100
    assert server.hostility.connections == 2  # the slow file's was closed


def test_fast_files_share_one_kept_connection(tmp_path: Path) -> None:
    names = [f"{n}.json" for n in range(20)]
    for name in names:
        (tmp_path / name).write_bytes(b"[]" * 5000)
    client = Client(QUICK, Budget(1 << 20))
    with hostile_server(tmp_path) as server:
        try:
            got = [client.fetch(f"{server.url}{n}", tmp_path / "copy" / n, 10_000) for n in names]
        finally:
            client.close()
    assert {g.outcome for g in got} == {Outcome.SAVED}
    assert server.hostility.connections == 1
    assert sum(server.hostility.requests.values()) == len(names)  # none asked twice


def test_slow_files_of_a_snapshot_are_named_problems_not_a_hang(
    snapshot: Path, served: Hostile
) -> None:
    trickled, silent = "diff/summary.json", "wilayah/pemilu/ppwp/99.json"
    served.hostility.trickle.add(f"{snapshot.name}/{trickled}")
    served.hostility.silent.add(f"{snapshot.name}/{silent}")
    url = f"{served.url}{snapshot.name}/"
    started = time.monotonic()
    report = recount_url(url, workers=1, options=RemoteOptions(connections=4, http=QUICK))
    seconds = time.monotonic() - started
    assert seconds < 30, seconds
    named = _beyond_the_folder(report, snapshot)
    assert [(kind, path) for kind, path, _ in named] == [
        (Kind.MISSING, f"{url}{trickled}"),
        (Kind.MISSING, f"{url}{silent}"),
    ]
    assert all(detail.startswith("could not be fetched: too slow") for *_, detail in named)


def test_a_manifest_that_never_comes_is_no_snapshot(snapshot: Path, served: Hostile) -> None:
    served.hostility.silent.add(f"{snapshot.name}/manifest.json")
    url = f"{served.url}{snapshot.name}/"
    with pytest.raises(NoSnapshot, match="too slow"):
        recount_url(url, workers=1, options=RemoteOptions(http=QUICK))
