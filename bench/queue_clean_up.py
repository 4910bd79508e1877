"""How long the queue's hourly clean-up takes with an election's jobs, and whether a worker
fetching a job waits meanwhile: procrastinate's own ``delete_old_jobs`` against rekap's batched
deletion (``rekap.adapters.queue_pruning``), which deletes the same jobs.

Usage: .venv/bin/python bench/queue_clean_up.py [--jobs 2500000] [--old 0.25] [--span 24]
                                                [--todo 20000] [--batch 5000]

Makes a fresh database on the PostgreSQL server of REKAP_TEST_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test; dropped afterwards) with procrastinate's
schema as installed (its ``apply_schema``: tables, triggers, indexes), and fills the tables as
procrastinate leaves them: ``--jobs`` photo jobs deferred one after another over ``--span``
hours, of which the share ``--old`` ended more than 72 hours ago, each with its events
(``deferred``, ``started`` up to a minute later, ``succeeded`` 0.04-1.04 s after; 2% retried
once: ``deferred_for_retry``, ``started`` again; 0.1% failed after a retry), written in order
of time; a sweep job each minute (three events); and ``--todo`` photo jobs waiting, inserted
as procrastinate defers them (its triggers write their events). Then VACUUM ANALYZE, as
autovacuum would have.

Each method runs on its own copy of that database (``CREATE DATABASE … TEMPLATE``): first
procrastinate's ``delete_old_jobs(nb_hours=72, queue="photos")`` as rekap ran it each hour,
on the tables as procrastinate makes them; then ``ensure_clean_up_index`` (a worker's start,
which builds the clean-up's index on the filled tables, once, concurrently) and rekap's
clean-up, ``--batch`` events a statement. Throughout, a worker-like client takes a waiting job
(``procrastinate_fetch_job_v2``, as a worker fetches) and finishes it, one every 50 ms; the
latency of each fetch is kept. Printed per method: wall seconds, jobs deleted, the database's
temporary files written (a sort spilled to disk), and the fetches during it (count, median,
99th percentile, longest) beside the median of the fetches in the 2 s before. The copies are
cleaned a minute or so apart, so the second deletes the jobs that crossed the 72 hours
meanwhile too (the rule is the same: ``tests/service/test_queue_pruning.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import statistics
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, LiteralString

import procrastinate
import psycopg
from sqlalchemy import create_engine

from rekap.adapters.queue import KEEP_FINISHED_HOURS, QUEUE, conninfo, ensure_clean_up_index
from rekap.adapters.queue_pruning import AsyncQueries, delete_finished_jobs

SERVER = os.environ.get(
    "REKAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FETCH_EVERY_S = 0.05
"""A worker reads a photo in about 40 ms of CPU: one fetch each 50 ms is one busy worker."""

PLAN = """
SELECT setseed(0.42);
CREATE UNLOGGED TABLE plan AS
SELECT g AS id, 'rekap.process_photo' AS task, 'photo-' || g AS queueing_lock,
       jsonb_build_object('photo_id', g) AS args,
       %(start)s::timestamptz + make_interval(secs => (g - 1) * %(step)s) AS deferred_at,
       make_interval(secs => random() * 60) AS wait,
       make_interval(secs => 0.04 + random()) AS run,
       random() < 0.02 AS retried, random() < 0.001 AS failed
FROM generate_series(1, %(jobs)s) AS g
UNION ALL
SELECT %(jobs)s + m, 'rekap.sweep_photos', 'sweep',
       jsonb_build_object('timestamp', m * 60),
       %(start)s::timestamptz + make_interval(mins => m - 1),
       make_interval(secs => random()), make_interval(secs => 0.01 + random() / 10),
       false, false
FROM generate_series(1, %(minutes)s) AS m;
"""

JOBS = """
INSERT INTO procrastinate_jobs (id, queue_name, task_name, queueing_lock, args, status, attempts)
SELECT id, 'photos', task, queueing_lock, args,
       (CASE WHEN failed THEN 'failed' ELSE 'succeeded' END)::procrastinate_job_status,
       CASE WHEN retried OR failed THEN 2 ELSE 1 END
FROM plan ORDER BY id;
"""

EVENTS = """
INSERT INTO procrastinate_events (job_id, type, at)
SELECT job_id, type::procrastinate_job_event_type, at FROM (
    SELECT id AS job_id, 'deferred' AS type, deferred_at AS at FROM plan
    UNION ALL SELECT id, 'started', deferred_at + wait FROM plan
    UNION ALL SELECT id, 'deferred_for_retry', deferred_at + wait + run
        FROM plan WHERE retried OR failed
    UNION ALL SELECT id, 'started', deferred_at + wait + run + interval '1 second'
        FROM plan WHERE retried OR failed
    UNION ALL SELECT id, CASE WHEN failed THEN 'failed' ELSE 'succeeded' END,
        deferred_at + wait + CASE WHEN retried OR failed
            THEN run * 2 + interval '1 second' ELSE run END
        FROM plan
) AS event ORDER BY at;
"""

WAITING = """
SELECT setval('procrastinate_jobs_id_seq', (SELECT max(id) FROM procrastinate_jobs));
INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args)
SELECT 'photos', 'rekap.process_photo', 'waiting-' || g, jsonb_build_object('photo_id', g)
FROM generate_series(1, %(todo)s) AS g;
DROP TABLE plan;
"""


def libpq(url: str) -> str:
    return conninfo(create_engine(url))


@contextmanager
def database(admin: str, template: str | None = None) -> Iterator[str]:
    """A new database (a copy of ``template`` when given), dropped afterwards."""
    name = f"rekap_bench_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(libpq(admin), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy}'.encode())
    try:
        yield name
    finally:
        with psycopg.connect(libpq(admin), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def url_of(name: str) -> str:
    return SERVER.rsplit("/", 1)[0] + f"/{name}"


def fill(url: str, jobs: int, old: float, span_h: float, todo: int) -> None:
    app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=libpq(url)))
    with app.open():
        app.schema_manager.apply_schema()  # procrastinate's schema, as rekap first makes it
    with psycopg.connect(libpq(url), autocommit=True) as connection:
        now = connection.execute(b"SELECT now()").fetchone()
        assert now is not None
        start = now[0].timestamp() - (KEEP_FINISHED_HOURS + old * span_h) * 3600
        minutes = int((now[0].timestamp() - start) / 60)
        step = span_h * 3600 / jobs
        values = {
            "start": datetime.fromtimestamp(start, UTC),
            "step": step,
            "jobs": jobs,
            "minutes": minutes,
            "todo": todo,
        }
        for name, sql in (("plan", PLAN), ("jobs", JOBS), ("events", EVENTS), ("todo", WAITING)):
            began = time.perf_counter()
            with connection.transaction():
                for statement in filter(str.strip, sql.split(";")):
                    used = {k: v for k, v in values.items() if f"%({k})s" in statement}
                    connection.execute(statement.encode(), used)
            print(f"  fill {name}: {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        connection.execute(b"VACUUM ANALYZE")
        print(f"  fill vacuum analyze: {time.perf_counter() - began:.1f} s")
        print("  " + describe(connection))


def describe(connection: psycopg.Connection[Any]) -> str:
    statuses = connection.execute(
        b"SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1 ORDER BY 1"
    ).fetchall()
    events = connection.execute(b"SELECT count(*) FROM procrastinate_events").fetchone()
    size = connection.execute(b"SELECT pg_size_pretty(pg_database_size(current_database()))")
    jobs = ", ".join(f"{status} {count:,}" for status, count in statuses)
    return f"jobs: {jobs}; events {events[0] if events else 0:,}; {size.fetchone()}"


@dataclass
class Fetcher:
    """A worker's fetches: one job taken and finished each ``FETCH_EVERY_S``."""

    url: str
    fetches: list[tuple[float, float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with psycopg.connect(libpq(self.url), autocommit=True) as connection:
            worker = connection.execute(b"SELECT procrastinate_register_worker_v1()").fetchone()
            assert worker is not None
            while not self.stop.is_set():
                began = time.perf_counter()
                job = connection.execute(
                    b"SELECT id FROM procrastinate_fetch_job_v2(ARRAY['photos'], %s)",
                    (worker[0],),
                ).fetchone()
                self.fetches.append((began, time.perf_counter() - began))
                if job is not None and job[0] is not None:
                    connection.execute(
                        b"SELECT procrastinate_finish_job_v1(%s, 'succeeded', false)", (job[0],)
                    )
                self.stop.wait(max(0.0, FETCH_EVERY_S - (time.perf_counter() - began)))

    def during(self, began: float, ended: float) -> list[float]:
        return [s for at, s in self.fetches if began <= at < ended]


@dataclass
class Timed:
    """The clean-up's connector, each statement timed."""

    inner: AsyncQueries
    seconds: list[float] = field(default_factory=list)

    async def execute_query_one_async(
        self, query: LiteralString, **arguments: Any
    ) -> dict[str, Any]:
        began = time.perf_counter()
        try:
            return await self.inner.execute_query_one_async(query, **arguments)
        finally:
            self.seconds.append(time.perf_counter() - began)


def temp_bytes(url: str) -> int:
    with psycopg.connect(libpq(url), autocommit=True) as connection:
        row = connection.execute(
            b"SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def job_count(url: str) -> int:
    with psycopg.connect(libpq(url), autocommit=True) as connection:
        row = connection.execute(b"SELECT count(*) FROM procrastinate_jobs").fetchone()
    return int(row[0]) if row else 0


def watched(label: str, url: str, work: Callable[[], object]) -> None:
    """Run ``work`` while a worker fetches jobs; print what it cost them."""
    fetcher = Fetcher(url)
    thread = threading.Thread(target=fetcher.run, daemon=True)
    jobs, spilled = job_count(url), temp_bytes(url)
    thread.start()
    time.sleep(2.0)
    began = time.perf_counter()
    work()
    ended = time.perf_counter()
    time.sleep(0.5)
    fetcher.stop.set()
    thread.join()
    before = [s * 1000 for s in fetcher.during(began - 2.0, began)]
    during = sorted(s * 1000 for s in fetcher.during(began, ended))
    gone = jobs - job_count(url)
    spill = (temp_bytes(url) - spilled) / 2**20
    p99 = during[int(len(during) * 0.99)] if during else float("nan")
    print(
        f"{label}: {ended - began:.2f} s, {gone:,} jobs deleted, temp files {spill:,.0f} MiB; "
        f"fetches during it {len(during)} (median {statistics.median(during or [0]):.1f} ms, "
        f"p99 {p99:.1f} ms, longest {max(during or [0]):.1f} ms; "
        f"median before {statistics.median(before or [0]):.1f} ms)"
    )


def in_app(url: str, work: Callable[[procrastinate.App], Awaitable[object]]) -> Callable[[], None]:
    def run() -> None:
        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=libpq(url)))

        async def within() -> None:
            async with app.open_async():
                await work(app)

        asyncio.run(within())

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2_500_000)
    parser.add_argument("--old", type=float, default=0.25, help="share ended over 72 h ago")
    parser.add_argument("--span", type=float, default=24.0, help="hours the jobs came over")
    parser.add_argument("--todo", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5_000)
    options = parser.parse_args()
    logging.getLogger("procrastinate").setLevel(logging.ERROR)  # its notes on a main-module app
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{options.jobs:,} photo jobs over {options.span:g} h, {options.old:.0%} ended over "
        f"{KEEP_FINISHED_HOURS} h ago; {options.todo:,} waiting; batches of {options.batch:,}"
    )
    with database(SERVER) as filled:
        fill(url_of(filled), options.jobs, options.old, options.span, options.todo)
        with database(SERVER, filled) as copy:
            url = url_of(copy)
            watched(
                "procrastinate delete_old_jobs",
                url,
                in_app(
                    url,
                    lambda app: app.job_manager.delete_old_jobs(
                        nb_hours=KEEP_FINISHED_HOURS, queue=QUEUE
                    ),
                ),
            )
        with database(SERVER, filled) as copy:
            url = url_of(copy)
            watched(
                "index built at a worker's start (once)",
                url,
                lambda: ensure_clean_up_index(create_engine(url)),
            )
            timed: list[Timed] = []

            async def batched(app: procrastinate.App) -> None:
                timed.append(Timed(app.connector))
                pruned = await delete_finished_jobs(
                    timed[0], QUEUE, KEEP_FINISHED_HOURS, options.batch
                )
                print(f"  {pruned.batches} statements")

            watched("rekap batched deletion", url, in_app(url, batched))
            statements = sorted(timed[0].seconds)
            print(
                f"  statements: median {statistics.median(statements) * 1000:.0f} ms, "
                f"longest {statements[-1] * 1000:.0f} ms"
            )
            with psycopg.connect(libpq(url), autocommit=True) as connection:
                print("  after: " + describe(connection))
    print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
