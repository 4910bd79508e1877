"""The portal's first figures of a store: time and memory of every TPS's facts, held in memory.

Usage: .venv/bin/python bench/portal_figures.py DATABASE_URL

For a national figure, import Sirekap's national file into a fresh database first (about 2–6
minutes on 2 cores), e.g. on tmpfs:

    .venv/bin/rekap db init --db sqlite:////dev/shm/nat/n.db
    .venv/bin/rekap import sirekap --db sqlite:////dev/shm/nat/n.db \\
        ../shared/data/sirekap-2024/sirekap-ppwp-tps-2024-gigit-36prov.csv.gz
    .venv/bin/python bench/portal_figures.py sqlite:////dev/shm/nat/n.db

For a store of captured TPS (photographed, read or verified, published, with their findings),
fill a fresh database with ``bench/captured_store.py`` first (Klaten's 4,198 TPS by default).

Builds the service as ``rekap serve`` does (a key never saved, photos in a temporary folder),
then times the portal's first figures (``Portal.live``: what ``serve_portal`` builds before it
accepts a request), and prints the process's resident memory before and after, and the bytes
a form row and a result row hold in memory (``tracemalloc``, over every row of the store).
Records nothing.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sized

from rekap.adapters.keys import unsaved_key
from rekap.adapters.photo_store import open_photo_store
from rekap.cli.db import open_store
from rekap.web.app import create_app
from rekap.web.context import AppContext
from rekap.web.portal.queries import PortalQueries
from scratch_database import machine_line


def resident_mb() -> int:
    with open("/proc/self/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) // 1024


def held_per_row(read: Callable[[], Sized]) -> tuple[int, float]:
    """How many rows ``read`` gives and the bytes each holds once read (all read at once)."""
    tracemalloc.start()
    try:
        rows = read()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return len(rows), held / max(len(rows), 1)


def main() -> None:
    url = sys.argv[1]
    print(machine_line())
    store = open_store(url)
    with tempfile.TemporaryDirectory() as photos:
        context = AppContext(store.engine, unsaved_key(), open_photo_store(photos))
        portal = create_app(context, None).state.portal
        print(f"service built: resident {resident_mb():,} MB")
        wall, cpu = time.perf_counter(), time.process_time()
        live = portal.live()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(
            f"first figures: {wall:.2f} s wall, {cpu:.2f} s CPU, {len(live.tps):,} TPS; "
            f"resident {resident_mb():,} MB (peak {peak:,} MB)"
        )
    queries = PortalQueries(store.engine, portal.queries.contest)
    for name, read in (("form", queries.forms), ("result", queries.results)):
        rows, each = held_per_row(read)
        print(f"a {name} row held: {each:,.0f} bytes ({rows:,} rows)" if rows else f"no {name}s")


if __name__ == "__main__":
    main()
