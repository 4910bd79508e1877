"""A token bucket per credential: bursts allowed, a steady rate enforced."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rekap.web.errors import ApiError


class RateLimiter:
    def __init__(
        self, per_second: float = 20.0, burst: int = 60, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def spend(self, credential: str) -> None:
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(credential, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
            if tokens < 1.0:
                self._buckets[credential] = (tokens, now)
                raise ApiError("rate_limited", "too many requests; slow down", {"retry": True})
            self._buckets[credential] = (tokens - 1.0, now)
