"""The memory that answers hot lookups forgets each entry after its time to live."""

from __future__ import annotations

from rekap.adapters.ttl_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_answered_until_its_time_to_live_ends() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(10.0, clock=clock)
    cache.put("token", 1)
    clock.now = 9.9
    assert cache.get("token") == 1
    clock.now = 10.0
    assert cache.get("token") is None
    assert cache.get("never put") is None


def test_the_oldest_entries_go_first_beyond_capacity() -> None:
    cache: TtlCache[int, int] = TtlCache(60.0, capacity=3, clock=Clock())
    for key in range(5):
        cache.put(key, key * 10)
    assert [cache.get(k) for k in range(5)] == [None, None, 20, 30, 40]
    cache.clear()
    assert cache.get(4) is None


def test_a_lookup_read_before_a_clear_is_not_remembered_after_it() -> None:
    """A lookup reads the store, a change commits and clears the cache, then the lookup
    puts what it read: the stale answer must not be served for the time to live."""
    cache: TtlCache[str, str] = TtlCache(10.0)
    before = cache.generation
    cache.clear()  # the change, between the lookup's read and its put
    cache.put("token", "enabled account", before)
    assert cache.get("token") is None
    cache.put("token", "disabled account", cache.generation)
    assert cache.get("token") == "disabled account"
