"""A folder served over real HTTP (the standard library's server, in a thread, keeping its
connections open as real servers do), and ways for it to misbehave: more bytes than the file
holds, a body cut short, a few failures before an answer."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass
class Misbehaviour:
    longer: dict[str, bytes] = field(default_factory=dict)
    """Path → bytes sent after the file's own."""
    announce: bool = True
    """Whether a longer body's length is announced (else the connection closes at its end)."""
    cut: set[str] = field(default_factory=set)
    """Paths whose body stops half-way (the full length announced)."""
    fail_first: dict[str, int] = field(default_factory=dict)
    """Path → how many 503 answers before the file."""
    requests: Counter[str] = field(default_factory=Counter)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    misbehaviour: Misbehaviour


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each kept connection stalls 40 ms a file
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path).lstrip("/")
        misbehaviour = self.server.misbehaviour
        misbehaviour.requests[path] += 1
        if misbehaviour.requests[path] <= misbehaviour.fail_first.get(path, 0):
            self.send_error(503, "Busy")
            return
        if path in misbehaviour.longer or path in misbehaviour.cut:
            self._misbehave(path, misbehaviour)
            return
        super().do_GET()

    def _misbehave(self, path: str, misbehaviour: Misbehaviour) -> None:
        body = (Path(self.directory) / path).read_bytes()
        if path in misbehaviour.cut:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
        else:
            body += misbehaviour.longer[path]
            self.send_response(200)
            if misbehaviour.announce:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True


@dataclass(frozen=True)
class Served:
    url: str
    """The folder's address, ending with '/'."""
    misbehaviour: Misbehaviour


@contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[str]:
    """``server`` answering in a thread while the block runs; its address, ending with '/'.
    Shut down and closed after it, its thread waited for."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def serve(folder: Path) -> Iterator[Served]:
    server = _Server(("127.0.0.1", 0), partial(_Handler, directory=str(folder)))
    server.misbehaviour = Misbehaviour()
    with running(server) as url:
        yield Served(url, server.misbehaviour)
