"""A token bucket per credential: bursts allowed, a steady rate enforced."""

from __future__ import annotations

import math
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
        self.max_buckets = 100_000
        self._lock = threading.Lock()

    def spend(self, credential: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._buckets) >= self.max_buckets:
                self._forget_full(now)
            tokens, last = self._buckets.get(credential, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
            if tokens < 1.0:
                self._buckets[credential] = (tokens, now)
                wait = max(1, math.ceil((1.0 - tokens) / self.per_second))
                details = {"retry": True, "retry_after_s": wait}
                raise ApiError("rate_limited", "too many requests; slow down", details)
            self._buckets[credential] = (tokens - 1.0, now)

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled (a new one starts full anyway), so one bucket
        per network address does not grow without bound."""
        refill_s = self.burst / self.per_second
        self._buckets = {
            credential: (tokens, last)
            for credential, (tokens, last) in self._buckets.items()
            if now - last < refill_s
        }
