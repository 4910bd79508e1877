"""A trouble said at most once per interval while it lasts, with how often it came meanwhile.

An outage (the database away, the photo store refusing) meets every request or every worker
try: said each time it would bury the log; never said, the operator would not learn of it.
``Throttled`` counts each time the trouble comes and tells when to say it: the first time at
once, then again once ``every`` seconds have passed, with how many times it came since it was
last said (that one included).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Throttled:
    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._lock = threading.Lock()
        self._said_at: float | None = None
        self._since = 0

    def came(self) -> int | None:
        """Count the trouble once more: how many times it came since it was last said (this
        one included) when it is to be said now, else None."""
        with self._lock:
            self._since += 1
            now = self.clock()
            if self._said_at is not None and now - self._said_at < self.every:
                return None
            came, self._said_at, self._since = self._since, now, 0
            return came

    def reset(self) -> None:
        """The trouble is over: the next time it comes is said at once."""
        with self._lock:
            self._said_at, self._since = None, 0
