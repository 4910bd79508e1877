"""One file over HTTP(S), streamed to disk under a size cap.

Connections are kept open (one per thread and server), every socket operation has a timeout,
and a failed transfer is tried again a few times. Each file also has a deadline over all its
tries, which a watchdog enforces (a socket timeout alone is reset by every byte, so a server
trickling bytes, or answering its headers a byte at a time, could hold a file for hours). The
outcome is data (saved, absent, over its cap, cut short, too slow, failed), never an exception:
a hostile or broken server is something to report. Standard library only: ``http.client``, as
``urllib`` opens a new connection per file.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import BinaryIO
from urllib.parse import SplitResult, urljoin, urlsplit

CHUNK = 1 << 16
REDIRECTS = 5
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
ABSENT_STATUS = frozenset({404, 410})
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "rekap-recount"
FILE_GRACE_S = 60.0
"""Seconds any file may take before it must keep up ``MIN_RATE`` (to connect, to be answered,
to start): a server that accepts a connection and never answers is given up after this."""
MIN_RATE = 8 << 10
"""Bytes a second a file must average past its grace (64 kbit/s a connection: far below any
link a recount runs on, far above a server trickling bytes to keep its connection alive). A
file's deadline is ``FILE_GRACE_S`` plus a second per ``MIN_RATE`` bytes it has received, so
it grows with the file, and a transfer at ``MIN_RATE`` or faster never reaches it."""
WATCH_TICK_S = 0.25
"""Seconds between the watchdog's looks at the transfers under way."""


class Outcome(Enum):
    SAVED = "saved"
    ABSENT = "absent"
    """404 or 410: the server does not have it."""
    OVERSIZED = "oversized"
    """More bytes than the cap: cut off, nothing kept."""
    CUT = "cut"
    """The body stopped before the length the server announced (after every try)."""
    SLOW = "too slow"
    """Not fetched whole by its deadline (``FILE_GRACE_S``, ``MIN_RATE``): nothing kept."""
    SPENT = "spent"
    """The download budget is spent: not fetched, or not fetched whole."""
    NO_ANSWER = "no answer"
    """No connection, or no response (after every try)."""
    FAILED = "failed"
    """An HTTP error, too many redirects, or the file could not be written."""


@dataclass(frozen=True, slots=True)
class Fetched:
    outcome: Outcome
    received: int = 0
    detail: str = ""


@dataclass(frozen=True)
class HttpLimits:
    timeout: float = 30.0
    """Seconds for a connection or any one read."""
    tries: int = 4
    """Tries of a file whose transfer fails (no answer, a 5xx, a body cut short)."""
    rate_limited_s: float = 120.0
    """Seconds a file may wait on 429 answers, on top of its tries."""
    grace_s: float = FILE_GRACE_S
    """Seconds a file may take before it must keep up ``min_rate`` (all its tries together;
    the waits between tries not counted)."""
    min_rate: float = MIN_RATE
    """Bytes a second a file must average past its grace."""


class FileClock:
    """One file's time: ``grace_s`` plus a second per ``min_rate`` bytes received over all its
    tries. Past it the file is too slow; the waits between tries are not counted."""

    def __init__(self, limits: HttpLimits) -> None:
        self.limits = limits
        self.started = time.monotonic()
        self.received = 0
        self.expired = False
        """Set once the time is up (by the watchdog, which then shuts the socket)."""

    def left(self) -> float:
        allowed = self.limits.grace_s + self.received / self.limits.min_rate
        return allowed - (time.monotonic() - self.started)

    def over(self) -> bool:
        if not self.expired and self.left() <= 0:
            self.expired = True
        return self.expired

    def connect_timeout(self) -> float:
        """Seconds to connect: the timeout, or less when less time is left."""
        return max(0.001, min(self.limits.timeout, self.left()))

    def pause(self, seconds: float) -> None:
        """Not count ``seconds`` spent waiting between tries."""
        self.started += seconds

    def too_slow(self, received: int) -> Fetched:
        seconds = time.monotonic() - self.started
        allowed = f"{self.limits.grace_s:g} s and a second per {self.limits.min_rate:,.0f} bytes"
        detail = f"too slow: {self.received:,} bytes in {seconds:.1f} s (a file gets {allowed})"
        return Fetched(Outcome.SLOW, received, detail)


class Watchdog:
    """Ends a transfer past its file's deadline: shuts its socket down, which wakes the read
    waiting on it (a socket timeout alone is reset by every byte a trickling server sends).

    One thread, started with the first transfer watched and stopped by ``stop``."""

    def __init__(self, tick: float = WATCH_TICK_S) -> None:
        self.tick = tick
        self._watched: dict[int, tuple[socket.socket, FileClock]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @contextmanager
    def watching(self, sock: socket.socket | None, clock: FileClock) -> Iterator[None]:
        """Watch ``sock`` for this thread's transfer while the block runs."""
        if sock is None:
            yield
            return
        ident = threading.get_ident()
        with self._lock:
            self._watched[ident] = (sock, clock)
            if self._thread is None:
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._stop,), name="rekap-fetch-watchdog", daemon=True
                )
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._watched.pop(ident, None)

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None:
            thread.join()

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self.tick):
            with self._lock:  # a watched socket is not reused for another file meanwhile
                for sock, clock in self._watched.values():
                    if not clock.expired and clock.over():
                        _shut(sock)


class Budget:
    """The bytes all transfers together may still write (shared by the threads)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.left = total
        self._lock = threading.Lock()

    @property
    def spent(self) -> bool:
        return self.left <= 0

    def take(self, size: int) -> bool:
        with self._lock:
            if size > self.left:
                self.left = 0
                return False
            self.left -= size
            return True

    def give_back(self, size: int) -> None:
        with self._lock:
            self.left += size


Connection = http.client.HTTPConnection
Key = tuple[str, str]
"""A connection's scheme and server."""


@dataclass(frozen=True, slots=True)
class Attempt:
    fetched: Fetched
    again: bool = False
    """Worth another try (no answer, a body cut short, a 5xx or 429)."""
    wait: float = 0.0
    """Seconds the server asked to wait (``Retry-After``)."""
    limited: bool = False
    """A 429: rate limited."""


class Client:
    """GETs files into place, several threads at a time, each with its own connections."""

    def __init__(self, limits: HttpLimits, budget: Budget) -> None:
        self.limits = limits
        self.budget = budget
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        self._watchdog = Watchdog()

    def close(self) -> None:
        """Close every connection and stop the watchdog's thread (before a fork)."""
        self._watchdog.stop()
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()

    def fetch(self, url: str, destination: Path, cap: int) -> Fetched:
        """``url`` into ``destination`` when its body is at most ``cap`` bytes, by its
        deadline (``FileClock``)."""
        tries = 0
        waited = 0.0
        clock = FileClock(self.limits)
        while True:
            if self.budget.spent:
                return Fetched(Outcome.SPENT, 0, "the download cap is spent")
            if clock.over():
                return clock.too_slow(0)
            attempt = self._once(url, destination, cap, clock)
            if not attempt.again:
                return attempt.fetched
            if attempt.limited and waited < self.limits.rate_limited_s:
                delay = max(attempt.wait, 1.0)  # rate limited: waiting is not a failed try
                waited += delay
            else:
                tries += 1
                fetched = attempt.fetched
                if tries >= self.limits.tries:
                    return Fetched(
                        fetched.outcome, fetched.received, f"{fetched.detail}, {tries} tries"
                    )
                # at once the first time (a kept connection the server had closed), then longer
                delay = max(attempt.wait, 0.0 if tries == 1 else 0.5 * 2 ** (tries - 2))
            time.sleep(delay)
            clock.pause(delay)

    def _once(self, url: str, destination: Path, cap: int, clock: FileClock) -> Attempt:
        """One try, following redirects."""
        for _ in range(REDIRECTS + 1):
            parts = _http_parts(url)
            if parts is None:
                detail = f"not a valid http(s) address: {_shown(url)}"
                return Attempt(Fetched(Outcome.FAILED, 0, detail))
            key = (parts.scheme, parts.netloc)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            try:
                connection = self._connection(*key)
                connection.timeout = clock.connect_timeout()  # used only to connect
                connection.request("GET", target, headers={"User-Agent": USER_AGENT})
            except (ValueError, http.client.InvalidURL) as error:  # a name idna cannot encode
                self._drop(key)
                detail = f"not a valid http(s) address: {_shown(url)} ({_reason(error)})"
                return Attempt(Fetched(Outcome.FAILED, 0, detail))
            except (OSError, http.client.HTTPException) as error:
                return self._no_answer(key, clock, error)
            sock = connection.sock
            if sock is not None:
                sock.settimeout(self.limits.timeout)  # it connected with what time was left
            with self._watchdog.watching(sock, clock):
                answer = self._answer(connection, key, url, destination, cap, clock)
            if isinstance(answer, Attempt):
                return answer
            url = answer
        return Attempt(Fetched(Outcome.FAILED, 0, f"more than {REDIRECTS} redirects"))

    def _no_answer(self, key: Key, clock: FileClock, error: Exception) -> Attempt:
        """A request or its answer failed: the connection is dropped and the file tried
        again, unless its time is up."""
        self._drop(key)
        if clock.over():
            return Attempt(clock.too_slow(0))
        return Attempt(Fetched(Outcome.NO_ANSWER, 0, _reason(error)), again=True)

    def _answer(
        self,
        connection: Connection,
        key: Key,
        url: str,
        destination: Path,
        cap: int,
        clock: FileClock,
    ) -> Attempt | str:
        """The server's answer to one request: the try's end, or the address it redirects to."""
        try:
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            return self._no_answer(key, clock, error)
        status = response.status
        if status == 200:
            return self._save(response, destination, cap, key, clock)
        location = response.getheader("Location")
        self._discard(response, key)
        if status in REDIRECT_STATUS and location:
            try:
                return urljoin(url, location)
            except ValueError:
                detail = f"redirected to an address that is not valid: {_shown(location)}"
                return Attempt(Fetched(Outcome.FAILED, 0, detail))
        failed = Fetched(Outcome.FAILED, 0, f"HTTP {status} {response.reason}".rstrip())
        if status in ABSENT_STATUS:
            return Attempt(Fetched(Outcome.ABSENT, 0, failed.detail))
        if status in RETRY_STATUS:
            return Attempt(failed, True, _retry_after(response), status == 429)
        return Attempt(failed)

    def _save(
        self,
        response: http.client.HTTPResponse,
        destination: Path,
        cap: int,
        key: Key,
        clock: FileClock,
    ) -> Attempt:
        length = _length(response)
        if length is not None and length > cap:
            self._drop(key)
            return Attempt(Fetched(Outcome.OVERSIZED, length, f"{length:,} bytes announced"))
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            out = destination.open("wb")
        except OSError as error:
            self._drop(key)
            return Attempt(Fetched(Outcome.FAILED, 0, f"cannot be saved: {_reason(error)}"))
        with out:
            fetched = self._stream(response, out, cap, length, clock)
        response.close()  # ``read1`` (3.11) leaves it open at its length, blocking the next
        if fetched.outcome is not Outcome.SAVED:
            self.budget.give_back(fetched.received)
            destination.unlink(missing_ok=True)
            self._drop(key)
            return Attempt(fetched, again=fetched.outcome is Outcome.CUT)
        return Attempt(fetched)

    def _stream(
        self,
        response: http.client.HTTPResponse,
        out: BinaryIO,
        cap: int,
        length: int | None,
        clock: FileClock,
    ) -> Fetched:
        """The body into ``out``: at most ``cap`` bytes (one more is read to tell a longer
        body), and as many as the server announced, by the file's deadline. ``read1`` returns
        what one read of the socket brings, so the deadline is looked at between reads (and a
        read the watchdog ends is never taken for the body's end)."""
        received = 0
        while True:
            if clock.over():
                return clock.too_slow(received)
            try:
                chunk = response.read1(min(CHUNK, cap + 1 - received))
            except (OSError, http.client.HTTPException) as error:
                if clock.over():
                    return clock.too_slow(received)
                return Fetched(Outcome.CUT, received, f"the transfer broke: {_reason(error)}")
            if not chunk:
                if clock.over():
                    return clock.too_slow(received)
                break
            clock.received += len(chunk)
            if received + len(chunk) > cap:  # what was written is given back to the budget
                return Fetched(Outcome.OVERSIZED, received, "sent more")
            if not self.budget.take(len(chunk)):
                return Fetched(Outcome.SPENT, received, "the download cap is spent")
            received += len(chunk)
            try:
                out.write(chunk)
            except OSError as error:
                return Fetched(Outcome.FAILED, received, f"cannot be saved: {_reason(error)}")
        if length is not None and received < length:
            return Fetched(Outcome.CUT, received, f"the transfer stopped at {received:,} bytes")
        return Fetched(Outcome.SAVED, received)

    def _connection(self, scheme: str, netloc: str) -> Connection:
        pool: dict[Key, Connection] | None = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        found = pool.get((scheme, netloc))
        if found is not None:
            return found
        timeout = self.limits.timeout
        if scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            made: Connection = http.client.HTTPSConnection(
                netloc, timeout=timeout, context=self._tls
            )
        else:
            made = http.client.HTTPConnection(netloc, timeout=timeout)
        pool[(scheme, netloc)] = made
        with self._lock:
            self._opened.append(made)
        return made

    def _drop(self, key: Key) -> None:
        """Close a connection whose state is unknown (a broken or abandoned transfer)."""
        pool: dict[Key, Connection] = getattr(self._local, "pool", {})
        connection = pool.pop(key, None)
        if connection is not None:
            connection.close()
            with self._lock:
                if connection in self._opened:
                    self._opened.remove(connection)

    def _discard(self, response: http.client.HTTPResponse, key: Key) -> None:
        """Read a short error page so the connection can be used again; close it otherwise."""
        length = _length(response)
        if length is None or length > CHUNK:
            self._drop(key)
            return
        try:
            response.read()
        except (OSError, http.client.HTTPException):
            self._drop(key)


def _http_parts(url: str) -> SplitResult | None:
    """``url`` split, when it is a well-formed http(s) address."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- a port that is not a number raises
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts


def _shown(url: str) -> str:
    """An address as a server sent it, fit for a message (printable, not too long)."""
    shown = url if url.isprintable() else ascii(url)[1:-1]
    return shown if len(shown) <= 200 else f"{shown[:200]}…"


def _shut(sock: socket.socket) -> None:
    """Shut ``sock`` down, which wakes a read waiting on it (the base class's ``shutdown``:
    an ``SSLSocket``'s own first drops its TLS state under the reading thread)."""
    with suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _length(response: http.client.HTTPResponse) -> int | None:
    value = response.getheader("Content-Length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def _retry_after(response: http.client.HTTPResponse) -> float:
    value = (response.getheader("Retry-After") or "").strip()
    return min(float(value), 30.0) if value.isdigit() else 0.0


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
