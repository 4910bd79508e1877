"""One LiveData at a time, kept fresh: checked at most every ``refresh_seconds``, updated
in place of the TPS that changed, rebuilt when the findings changed in bulk.

While one request refreshes, the others are served the previous figures (never a wait, once
the first figures exist).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rekap.web.portal.live import LiveData, LiveParts, build_live, update_live
from rekap.web.portal.queries import DataVersion

MAX_UPDATE = 20_000
"""More changed TPS than this, and a full rebuild is cheaper than reading them one by one."""


@dataclass
class LiveCache:
    parts: LiveParts
    refresh_seconds: float
    clock: Callable[[], float] = time.monotonic
    _data: LiveData | None = None
    _checked: float = float("-inf")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> LiveData:
        data = self._data
        if data is not None and self.clock() - self._checked < self.refresh_seconds:
            return data
        if data is not None and not self._lock.acquire(blocking=False):
            return data  # another request is refreshing: serve the figures we have
        if data is None:
            self._lock.acquire()
        try:
            return self._refresh()
        finally:
            self._lock.release()

    def _refresh(self) -> LiveData:
        data = self._data
        if data is not None and self.clock() - self._checked < self.refresh_seconds:
            return data
        version = self.parts.queries.version()
        self._checked = self.clock()
        if data is not None and data.version == version:
            return data
        self._data = self._next(data, version)
        return self._data

    def _next(self, data: LiveData | None, version: DataVersion) -> LiveData:
        if data is None or (data.version.last_finding, data.version.findings) != (
            version.last_finding,
            version.findings,
        ):
            return build_live(version, self.parts)
        changed = self.parts.queries.changed_since(data.version.head)
        if len(changed) > MAX_UPDATE:
            return build_live(version, self.parts)
        return update_live(data, version, self.parts, changed)
