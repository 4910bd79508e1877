"""One LiveData at a time, kept fresh: checked at most every ``refresh_seconds``, updated
in place of the TPS that changed (the change log names them: also those whose findings the
capture workflow recorded), rebuilt when the findings changed in bulk (an import).

While one request refreshes, the others are served the previous figures (never a wait, once
the first figures exist). A full rebuild (after an import, or more than ``MAX_UPDATE``
changed TPS) takes seconds to a minute or more at national size: with ``in_background`` it
runs in a thread of its own, so not even the request that found the figures stale waits for
it; every request is served the previous figures until the new ones are complete.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rekap.web.portal.live import LiveData, LiveParts, build_live, update_live
from rekap.web.portal.queries import DataVersion

MAX_UPDATE = 20_000
"""More changed TPS than this, and a full rebuild is cheaper than reading them one by one."""

log = logging.getLogger(__name__)


@dataclass
class LiveCache:
    parts: LiveParts
    refresh_seconds: float
    clock: Callable[[], float] = time.monotonic
    in_background: bool = False
    """Run a full rebuild of figures that exist already in a thread (``rekap serve``); off,
    the request that finds them stale rebuilds them (tests that read right after a change)."""
    _data: LiveData | None = None
    _checked: float = float("-inf")
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rebuilding: threading.Thread | None = None

    def get(self) -> LiveData:
        data = self._data
        if data is not None and self.clock() - self._checked < self.refresh_seconds:
            return data
        if data is not None and not self._lock.acquire(blocking=False):
            return data  # another request (or the rebuild's thread) is refreshing
        if data is None:
            self._lock.acquire()
        handed_over = False
        try:
            found, handed_over = self._refresh()
            return found
        finally:
            if not handed_over:
                self._lock.release()

    def wait(self) -> None:
        """Until a rebuild running in the background is done (for tests and benchmarks)."""
        running = self._rebuilding
        if running is not None:
            running.join()

    def _refresh(self) -> tuple[LiveData, bool]:
        """The figures to serve, and whether a thread now holds the lock (a rebuild)."""
        data = self._data
        if data is not None and self.clock() - self._checked < self.refresh_seconds:
            return data, False
        version = self.parts.queries.version()
        self._checked = self.clock()
        if data is not None and data.version == version:
            return data, False
        # the TPS changed since ``data`` when updating them is enough, None for a rebuild
        changed = None if data is None or _findings_moved(data, version) else self._changed(data)
        if changed is None and data is not None and self.in_background:
            self._rebuilding = threading.Thread(
                target=self._rebuild, args=(version,), name="rekap-figures", daemon=True
            )
            self._rebuilding.start()
            return data, True
        if changed is None or data is None:
            self._data = build_live(version, self.parts)
        else:
            self._data = update_live(data, version, self.parts, changed)
        return self._data, False

    def _rebuild(self, version: DataVersion) -> None:
        """In the rebuild's thread, which holds the lock until the new figures are in place;
        a failure leaves the previous figures served and is tried again at the next refresh."""
        try:
            self._data = build_live(version, self.parts)
        except Exception:
            log.exception("the portal's figures could not be rebuilt; the previous are served")
        finally:
            self._lock.release()

    def _changed(self, data: LiveData) -> set[str] | None:
        """The TPS changed since ``data``, or None when too many to update one by one."""
        changed = self.parts.queries.changed_since(data.version.head)
        return None if len(changed) > MAX_UPDATE else changed


def _findings_moved(data: LiveData, version: DataVersion) -> bool:
    """The stored findings changed in bulk (an import), without an event about each TPS:
    only a rebuild reads them again."""
    return data.version.finding_batch != version.finding_batch
