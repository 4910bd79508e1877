"""A small thread-safe cache whose entries expire: hot lookups (a bearer token, a phone's key)
answered from memory, while a change in the store is seen within the time to live."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(
        self, ttl_s: float, capacity: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.capacity = capacity
        self.clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    @property
    def generation(self) -> int:
        """Counts the ``clear`` calls: a lookup that read the store before a change must not
        put what it read after the change cleared the cache (``put(..., generation)``)."""
        return self._generation

    def get(self, key: K) -> V | None:
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= now:
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: K, value: V, generation: int | None = None) -> None:
        """Remember ``value``, unless the cache was cleared since ``generation`` was read."""
        expires = self.clock() + self.ttl_s
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1
