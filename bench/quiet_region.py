"""How long a large region's log reads take once the region has gone quiet while the rest of the
nation still reports: a monitor polling ``/api/v1/log?wilayah=`` near the head, and the newest
page of its changes.

Usage: .venv/bin/python bench/quiet_region.py [--events 2000000] [--quiet 1000000]
                                              [--database sqlite|postgresql]

Writes a log of ``--events`` events of an election night (``change_pages.night``: TPS drawn
across the nation in a seeded order) in which the kabupaten of the first TPS has no event in
the last ``--quiet`` events (its forms all in early). Then reads that kabupaten's events after
its last one (what a monitor polling it asks for: nothing new) and its newest 51, each with
the walk bounded by ``WALK_WINDOW`` and unbounded (how it was read before the window), and
prints the wall milliseconds (the first call, then the median of five) and that both give the
same events.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial

from change_pages import night, write_rows
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import WALK_WINDOW, Direction, EventLog
from scratch_database import fresh_databases, machine_line

UNBOUNDED = 10**15
"""A window past any log: the walk goes as far as it must, as before the window."""


def quiet_night(events: int, quiet: int, kabupaten: str) -> Iterator[dict[str, object]]:
    """The night's rows, renumbered, with ``kabupaten`` left out of the last ``quiet``."""
    sequence = 0
    for row in night(events * 2):
        if sequence >= events - quiet and str(row["subject"]).startswith(kabupaten):
            continue
        sequence += 1
        yield {**row, "sequence": sequence}
        if sequence == events:
            return


def timed(read: Callable[[], object]) -> tuple[float, float, object]:
    """Milliseconds of the first call and the median of five more, and what it read."""
    start = time.perf_counter()
    found = read()
    first = (time.perf_counter() - start) * 1000
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        read()
        runs.append((time.perf_counter() - start) * 1000)
    return first, statistics.median(runs), found


def compare(log: EventLog, kabupaten: str) -> None:
    """Each read of the quiet kabupaten with the walk bounded and unbounded, printed."""
    last = log.under(kabupaten, None, 1, Direction.BACKWARDS, spread=True)[0].sequence
    print(f"  its last event: {last:,}")
    reads: dict[str, Callable[[int], object]] = {
        "poll after its last event": partial(_after, log, kabupaten, last),
        "poll from just before it": partial(_after, log, kabupaten, last - 10),
        "its newest 51": partial(_newest, log, kabupaten),
    }
    for name, read in reads.items():
        bounded = timed(partial(read, WALK_WINDOW))
        unbounded = timed(partial(read, UNBOUNDED))
        same = "same events" if bounded[2] == unbounded[2] else "DIFFERENT EVENTS"
        print(
            f"  {name:26} window {WALK_WINDOW:,}: {bounded[0]:7.1f} / {bounded[1]:7.1f} ms"
            f"   unbounded: {unbounded[0]:7.1f} / {unbounded[1]:7.1f} ms   {same}"
        )


def _after(log: EventLog, kabupaten: str, after: int, window: int) -> object:
    return log.under(kabupaten, after, 100, Direction.FORWARDS, True, window)


def _newest(log: EventLog, kabupaten: str, window: int) -> object:
    return log.under(kabupaten, None, 51, Direction.BACKWARDS, True, window)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--quiet", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    options = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as folder:
        for url in fresh_databases(options.database, folder):
            start = time.perf_counter()
            kabupaten = str(next(night(1))["subject"])[:4]  # the first TPS's
            write_rows(url, quiet_night(options.events, options.quiet, kabupaten))
            seconds = time.perf_counter() - start
            print(
                f"{options.database}: {options.events:,} events written in {seconds:.0f} s; "
                f"kabupaten {kabupaten} has none in the last {options.quiet:,}"
            )
            log = EventLog(open_engine(url))
            compare(log, kabupaten)
            log.engine.dispose()


if __name__ == "__main__":
    main()
