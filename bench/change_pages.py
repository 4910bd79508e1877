"""How long the pages of changes take on a long change log: the nation's and a region's.

Usage: .venv/bin/python bench/change_pages.py [--events 1000000]
                                              [--database sqlite|postgresql]

Makes a fresh database (a temporary SQLite file, or a new database on the PostgreSQL server of
REKAP_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test, dropped
afterwards) whose log holds ``--events`` events of an election night: for each TPS (drawn across the
nation in a seeded order, so that every region's events spread through the log), its three
photos received, each photo's state changes, the form
assessed and its numbers set. Then it asks the portal (in process, no network) for the first
page of the nation's changes, one in the middle of the log, the oldest, and the first and the
oldest page of the provinsi, the kabupaten, the kecamatan and the desa of the first TPS, and
prints the wall milliseconds of each (the first call, then the median of five). Then the same
regions' events in order from the API (``/api/v1/log?wilayah=``, 100 a page): from the start of
the log, from its middle and from near its head (a monitor polling), each with the plan the
database chose for its query (``EXPLAIN QUERY PLAN`` on SQLite; on PostgreSQL, which is
analysed after the log is written as its autovacuum would, ``EXPLAIN ANALYZE``'s rows read).
Records nothing by itself; the hashes are not a chain (the pages do not check it).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, Select, insert, select, text
from sqlalchemy import event as engine_events

from rekap.adapters.keys import load_or_create
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import Direction, EventLog, _under_code
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.schema import event
from rekap.data import region_tree
from rekap.web.app import create_app
from rekap.web.context import AppContext
from rekap.web.portal.settings import PortalSettings
from scratch_database import fresh_databases, machine_line

AT = datetime(2024, 2, 14, 13, tzinfo=UTC)
BATCH = 20_000
SEED = 2024
PAGE = 100
FIELDS = ("paslon_1", "paslon_2", "paslon_3", "suara_sah", "suara_tidak_sah", "suara_total")


def tps_events(kode: str, photo: int) -> Iterator[tuple[str, str, dict[str, object]]]:
    """(kind, reason, payload) of one TPS's night, as the capture workflow logs it."""
    for page in (1, 2, 3):
        sha = hashlib.sha256(f"{kode}:{page}".encode()).hexdigest()
        yield "photo.received", "upload", {"kode_tps": kode, "page": page, "sha256": sha}
    for n in range(3):
        state = {"photo_id": photo + n, "before": "received", "after": "checked", "detail": ""}
        yield "photo.state_changed", f"photo {photo + n}", {"kode_tps": kode, **state}
    yield "form.assessed", "photo", {"kode_tps": kode, "state": "accepted", "reasons": []}
    for i, field in enumerate(FIELDS):
        change = {"field": field, "before": None, "after": 100 + i}
        yield "result.value_changed", "photo", {"kode_tps": kode, "contest": "ppwp", **change}


def night(events: int) -> Iterator[dict[str, object]]:
    """``events`` rows of the event table, TPS by TPS, the TPS drawn across the nation in a
    seeded order (as forms arrive on election night: every region's events spread through
    the log)."""
    codes = [c.value for r in region_tree().regions.values() for c in r.tps_codes()]
    random.Random(SEED).shuffle(codes)
    sequence = 0
    for kode in codes:
        for kind, reason, payload in tps_events(kode, sequence):
            sequence += 1
            yield {
                "sequence": sequence,
                "kind": kind,
                "at": (AT + timedelta(milliseconds=sequence)).isoformat(),
                "actor": "reader",
                "reason": reason,
                "subject": kode,
                "payload": payload,
                "previous_hash": hashlib.sha256(str(sequence - 1).encode()).hexdigest(),
                "hash": hashlib.sha256(str(sequence).encode()).hexdigest(),
            }
            if sequence == events:
                return


def fill(url: str, events: int) -> tuple[int, str]:
    """Write the log; the number of events and the first TPS's code."""
    return write_rows(url, night(events)), str(next(night(1))["subject"])


def write_rows(url: str, rows: Iterable[dict[str, object]]) -> int:
    """Write rows of the event table into a fresh database, a batch a transaction; how many."""
    engine = open_engine(url)
    upgrade(engine)
    batch: list[dict[str, object]] = []
    count = 0
    for row in rows:
        batch.append(row)
        count += 1
        if len(batch) == BATCH:
            with engine.begin() as connection:
                connection.execute(insert(event), batch)
            batch = []
    if batch:
        with engine.begin() as connection:
            connection.execute(insert(event), batch)
    engine.dispose()
    return count


def analysed(url: str) -> None:
    """PostgreSQL's statistics of the new log, as its autovacuum gathers them soon after a
    load (SQLite keeps none unless asked, and rekap does not ask)."""
    engine = open_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE event"))
    engine.dispose()


def plan_of(engine: Engine, read: Callable[[], object]) -> list[str]:
    """How the database reads the first query of the change log that ``read`` sends (the walk
    or the index's read; a walk that leaves its page short is followed by the head's position
    and the index's fill, not explained): SQLite's query plan; PostgreSQL's plan run, with the
    rows each step read and threw away."""
    sent: list[tuple[str, object]] = []

    def record(*arguments: object) -> None:
        statement, parameters = str(arguments[2]), arguments[3]
        if "FROM event" in statement:
            sent.append((statement, parameters))

    engine_events.listen(engine, "before_cursor_execute", record)
    try:
        read()
    finally:
        engine_events.remove(engine, "before_cursor_execute", record)
    statement, parameters = sent[0]
    if engine.dialect.name == "postgresql":
        explain = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
    else:
        explain = "EXPLAIN QUERY PLAN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(explain + statement, parameters).all()  # type: ignore[arg-type]
    return [str(r[-1]).strip() for r in rows]


def timed(client: TestClient, address: str) -> tuple[float, float]:
    """The first call's milliseconds, and the median of five more."""
    times = []
    for _ in range(6):
        start = time.perf_counter()
        answer = client.get(address)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (address, answer.status_code)
    return times[0], statistics.median(times[1:])


WAYS = {"by the index": False, "by walking": True, "as the database picks": None}


def unhinted(prefix: str, after: int, limit: int) -> Select[Any]:
    """A region's events after a position as a plain filter, its plan left to the database
    (``EventLog.under``'s query before it chose one by the region's size)."""
    query = select(event).where(event.c.sequence > after, *_under_code(prefix))
    return query.order_by(event.c.sequence).limit(limit)


def read_by(log: EventLog, prefix: str, after: int, way: bool | None) -> Callable[[], object]:
    """A read of a page of a region's events: ``log.under`` told which way, or the plain
    filter."""
    if way is not None:
        return partial(log.under, prefix, after, PAGE, Direction.FORWARDS, way)

    def plain() -> object:
        with log.engine.connect() as connection:
            return connection.execute(unhinted(prefix, after, PAGE)).all()

    return plain


def in_order(client: TestClient, log: EventLog, count: int, first: str) -> None:
    """A region's events in order after a position, from the API and each way of reading
    them, with the plans: for the nation, the provinsi, kabupaten, kecamatan and desa of the
    first TPS, and the smallest kabupaten and the largest kecamatan in Indonesia (by TPS)."""
    print(
        f"the API's log of a region, in order, {PAGE} a page (each way: first, then median of 2):"
    )
    sizes = region_tree().tps_counts()
    regions = {"nation": "", "provinsi": first[:2], "kabupaten": first[:4]}
    regions |= {"kecamatan": first[:6], "desa": first[:10]}
    home = [k for k in sizes if not k.startswith("99")]  # the overseas have a TPS or two
    regions["smallest kabupaten"] = min((k for k in home if len(k) == 4), key=sizes.__getitem__)
    regions["largest kecamatan"] = max((k for k in home if len(k) == 6), key=sizes.__getitem__)
    starts = {"start": 0, "middle": count // 2, "head": count - 2_000}
    for name, region in regions.items():
        print(f"  {name} {region} ({sizes[region]:,} TPS)".replace("  (", " ("))
        ways = WAYS if region else {}
        scope = f"wilayah={region}&" if region else ""
        for where, after in starts.items():
            cold, warm = timed(client, f"/api/v1/log?{scope}after={after}&limit={PAGE}")
            figures = [f"API {cold:7.1f} / {warm:7.1f} ms"]
            for way_name, way in ways.items():
                times = [milliseconds(read_by(log, region, after, way)) for _ in range(3)]
                median = statistics.median(times[1:])
                figures.append(f"{way_name} {times[0]:7.1f} / {median:7.1f}")
            print(f"    after the {where:<6} " + "  ".join(figures))
        plans: dict[str, Callable[[], object]] = {
            "API": partial(client.get, f"/api/v1/log?{scope}after=0&limit={PAGE}")
        }
        plans |= {way_name: read_by(log, region, 0, way) for way_name, way in ways.items()}
        for way_name, read in plans.items():
            print(f"    plan {way_name}, after the start:")
            for line in plan_of(log.engine, read):
                print(f"      {line}")


def milliseconds(read: Callable[[], object]) -> float:
    start = time.perf_counter()
    read()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    options = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as folder:
        for url in fresh_databases(options.database, folder):
            start = time.perf_counter()
            count, first = fill(url, options.events)
            analysed(url)
            seconds = time.perf_counter() - start
            print(f"{options.database}: {count:,} events written in {seconds:.0f} s")
            context = AppContext(
                open_engine(url),
                load_or_create(Path(folder) / "k.pem"),
                LocalPhotoStore(Path(folder)),
            )
            settings = PortalSettings(snapshots=Path(folder) / "snapshots", refresh_seconds=60.0)
            addresses = {
                "nation, newest 50": "/nasional/perubahan",
                "nation, middle of the log": f"/nasional/perubahan?sebelum={count // 2}",
                "nation, oldest 50": "/nasional/perubahan?sebelum=51",
            }
            for name, cut in (("provinsi", 2), ("kabupaten", 4), ("kecamatan", 6), ("desa", 10)):
                region = first[:cut]
                addresses[f"{name} {region}, newest"] = f"/wilayah/{region}/perubahan"
                addresses[f"{name} {region}, oldest"] = f"/wilayah/{region}/perubahan?sebelum=51"
            with TestClient(create_app(context, settings)) as client:
                client.get("/")  # the figures are built once, before the pages are timed
                for name, address in addresses.items():
                    cold, warm = timed(client, address)
                    print(f"  {name:<36} first {cold:7.1f} ms  then {warm:7.1f} ms")
                in_order(client, context.log, count, first)


if __name__ == "__main__":
    main()
