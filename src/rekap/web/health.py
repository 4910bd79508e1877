"""What `GET /api/v1/health` says: whether the database and the photo store answer, and the
processing backlog, cheaply enough for a load balancer to ask every second.

The database is asked ``SELECT 1`` and the photo store looked at (its ``probe``: no photo
read or written) at most once per ``probe_every`` seconds, the photos counted by state at
most once per ``count_every``; every probe between is answered from what was found last. A
database or store that does not answer makes the whole answer 503 (uploads cannot be taken);
its cause goes to the server's log (logger ``rekap.web``), never to the caller.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from rekap.adapters.photo_store import PhotoStore as PhotoFiles
from rekap.adapters.photo_store import StoreProbe
from rekap.adapters.storage.engine import reader
from rekap.adapters.storage.photos import count_by_state, oldest_waiting

LOG = logging.getLogger("rekap.web")


@dataclass(frozen=True, slots=True)
class Backlog:
    counts: dict[str, int]
    oldest_waiting: str | None
    """When the photo waiting longest to be read was received (none waiting: None)."""
    at: datetime


class Health:
    def __init__(
        self,
        engine: Engine,
        files: PhotoFiles,
        probe_every: float = 5.0,
        count_every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.files = files
        self.probe_every = probe_every
        self.count_every = count_every
        self.clock = clock
        self._lock = threading.Lock()
        self._probed_at: float | None = None
        self._counted_at: float | None = None
        self._database = ""
        self._store = StoreProbe("ok")
        self._backlog: Backlog | None = None

    def report(self) -> tuple[int, dict[str, Any]]:
        """The HTTP status (200, or 503 when the database or the store does not answer) and
        the body."""
        # one look at a time: probes arriving while one looks (an S3 endpoint slow to refuse)
        # are answered from the last look rather than pile up behind it; only the first waits
        if self._lock.acquire(blocking=self._probed_at is None):
            try:
                self._refresh()
            finally:
                self._lock.release()
        database, store, backlog = self._database, self._store, self._backlog
        down = bool(database) or store.status == "unavailable"
        status = "unavailable" if down else "degraded" if store.status != "ok" else "ok"
        body: dict[str, Any] = {
            "status": status,
            "database": {"status": "unavailable" if database else "ok"},
            "photo_store": {"status": store.status},
            "photos": None if backlog is None else backlog.counts,
            "oldest_waiting_since": None if backlog is None else backlog.oldest_waiting,
            "counted_at": None if backlog is None else backlog.at.isoformat(),
        }
        if store.problem:
            body["photo_store"]["problem"] = store.problem
        if store.free_bytes is not None:
            body["photo_store"]["free_bytes"] = store.free_bytes
        return (503 if down else 200), body

    def _refresh(self) -> None:
        now = self.clock()
        if self._probed_at is None or now - self._probed_at >= self.probe_every:
            self._probed_at = now
            self._database = self._probe_database()
            if not self._database and (
                self._counted_at is None or now - self._counted_at >= self.count_every
            ):
                self._counted_at = now
                self._backlog = self._count()
            holds = self._backlog is None or any(self._backlog.counts.values())
            self._store = self.files.probe(holds_photos=holds)
            if self._store.status != "ok":
                LOG.warning(
                    "health: the photo store is %s: %s", self._store.problem, self._store.detail
                )

    def _probe_database(self) -> str:
        """'' when the database answers; else the cause (said on the log)."""
        try:
            with reader(self.engine) as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # refused, unreachable, too slow: said, not raised
            cause = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            LOG.warning("health: the database does not answer: %s", cause)
            return cause
        return ""

    def _count(self) -> Backlog | None:
        try:
            with reader(self.engine) as connection:
                counts = count_by_state(connection)
                first = oldest_waiting(connection)
        except Exception as error:  # the database gone since its probe: counted next time
            LOG.warning("health: the photos cannot be counted: %s", type(error).__name__)
            return self._backlog
        return Backlog(counts, first, datetime.now(UTC))
