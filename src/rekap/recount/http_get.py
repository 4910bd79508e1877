"""One file over HTTP(S), streamed to disk under a size cap.

Connections are kept open (one per thread and server), every socket operation has a timeout,
and a failed transfer is tried again a few times. The outcome is data (saved, absent, over its
cap, cut short, failed), never an exception: a hostile or broken server is something to report.
Standard library only: ``http.client``, as ``urllib`` opens a new connection per file.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

CHUNK = 1 << 16
REDIRECTS = 5
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
ABSENT_STATUS = frozenset({404, 410})
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "rekap-recount"


class Outcome(Enum):
    SAVED = "saved"
    ABSENT = "absent"
    """404 or 410: the server does not have it."""
    OVERSIZED = "oversized"
    """More bytes than the cap: cut off, nothing kept."""
    CUT = "cut"
    """The body stopped before the length the server announced (after every try)."""
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

    def close(self) -> None:
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()

    def fetch(self, url: str, destination: Path, cap: int) -> Fetched:
        """``url`` into ``destination`` when its body is at most ``cap`` bytes."""
        tries = 0
        waited = 0.0
        while True:
            if self.budget.spent:
                return Fetched(Outcome.SPENT, 0, "the download cap is spent")
            attempt = self._once(url, destination, cap)
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

    def _once(self, url: str, destination: Path, cap: int) -> Attempt:
        """One try, following redirects."""
        for _ in range(REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                return Attempt(Fetched(Outcome.FAILED, 0, f"not an http(s) address: {url}"))
            key = (parts.scheme, parts.netloc)
            connection = self._connection(*key)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            try:
                connection.request("GET", target, headers={"User-Agent": USER_AGENT})
                response = connection.getresponse()
            except (OSError, http.client.HTTPException) as error:
                self._drop(key)
                fetched = Fetched(Outcome.NO_ANSWER, 0, _reason(error))
                return Attempt(fetched, again=True)
            status = response.status
            if status == 200:
                return self._save(response, destination, cap, key)
            location = response.getheader("Location")
            self._discard(response, key)
            if status in REDIRECT_STATUS and location:
                url = urljoin(url, location)
                continue
            failed = Fetched(Outcome.FAILED, 0, f"HTTP {status} {response.reason}".rstrip())
            if status in ABSENT_STATUS:
                return Attempt(Fetched(Outcome.ABSENT, 0, failed.detail))
            if status in RETRY_STATUS:
                return Attempt(failed, True, _retry_after(response), status == 429)
            return Attempt(failed)
        return Attempt(Fetched(Outcome.FAILED, 0, f"more than {REDIRECTS} redirects"))

    def _save(
        self, response: http.client.HTTPResponse, destination: Path, cap: int, key: Key
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
            fetched = self._stream(response, out, cap, length)
        if fetched.outcome is not Outcome.SAVED:
            self.budget.give_back(fetched.received)
            destination.unlink(missing_ok=True)
            self._drop(key)
            return Attempt(fetched, again=fetched.outcome is Outcome.CUT)
        return Attempt(fetched)

    def _stream(
        self, response: http.client.HTTPResponse, out: BinaryIO, cap: int, length: int | None
    ) -> Fetched:
        """The body into ``out``: at most ``cap`` bytes (one more is read to tell a longer
        body), and as many as the server announced."""
        received = 0
        while True:
            try:
                chunk = response.read(min(CHUNK, cap + 1 - received))
            except (OSError, http.client.HTTPException) as error:
                return Fetched(Outcome.CUT, received, f"the transfer broke: {_reason(error)}")
            if not chunk:
                break
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
