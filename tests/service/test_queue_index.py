"""The index the queue's hourly clean-up walks is built at a worker's start without holding up
the queue's writers (``CREATE INDEX CONCURRENTLY``), an invalid one left by a failed build is
replaced, and workers starting together all start (real PostgreSQL, real processes)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg
import pytest
from sqlalchemy import Engine

from rekap.adapters.queue import conninfo, ensure_clean_up_index, ensure_queue_schema
from rekap.adapters.queue_pruning import EVENTS_BY_TIME, LOCK_KEY, IndexBuild
from rekap.adapters.storage.engine import open_engine
from tests.integration.conftest import _postgres_database

pytestmark = pytest.mark.postgres

INDEX = (
    "SELECT pg_index.indisvalid, pg_get_indexdef(pg_index.indexrelid) FROM pg_index "
    "WHERE pg_index.indexrelid = to_regclass(%(name)s)"
)
ADD_JOB = (
    "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args) "
    "VALUES ('photos', 'rekap.process_photo', %(lock)s, '{}') RETURNING id"
)
"""A job deferred as procrastinate defers it: its trigger writes the job's first event."""


@pytest.fixture
def queue() -> Iterator[Engine]:
    """A fresh database with the queue's tables, as `rekap serve` makes them."""
    for url in _postgres_database():
        engine = open_engine(url)
        ensure_queue_schema(engine)
        yield engine
        engine.dispose()


def session(engine: Engine) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(conninfo(engine), autocommit=True)


def index_of(engine: Engine) -> tuple[bool, str] | None:
    """The index's validity and definition; None when there is none."""
    with session(engine) as connection:
        row = connection.execute(INDEX, {"name": EVENTS_BY_TIME}).fetchone()
    return None if row is None else (bool(row[0]), str(row[1]))


def until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.02)


def test_a_worker_start_builds_it_once_and_serve_does_not(queue: Engine) -> None:
    """The queue's tables (made by `rekap serve` or `rekap photos retry`) come without it; a
    worker's start builds it, valid; later starts find it."""
    assert index_of(queue) is None
    assert ensure_clean_up_index(queue) is IndexBuild.BUILT
    found = index_of(queue)
    assert found is not None
    valid, definition = found
    assert valid and definition.endswith("ON public.procrastinate_events USING btree (at, id)")
    assert ensure_clean_up_index(queue) is IndexBuild.FOUND
    assert index_of(queue) == found


def test_an_invalid_index_left_by_a_failed_build_is_replaced(queue: Engine) -> None:
    """A concurrent build that fails leaves its index behind, invalid: here a unique build
    of the same name over two events of one job. The next start drops it and builds the
    clean-up's own."""
    with session(queue) as connection:
        job = connection.execute(ADD_JOB, {"lock": "photo-1"}).fetchone()
        assert job is not None
        connection.execute(
            "INSERT INTO procrastinate_events (job_id, type) VALUES (%(job)s, 'started')",
            {"job": job[0]},
        )
        with pytest.raises(psycopg.errors.UniqueViolation):
            connection.execute(
                f"CREATE UNIQUE INDEX CONCURRENTLY {EVENTS_BY_TIME} "
                "ON procrastinate_events (job_id)"
            )
    left = index_of(queue)
    assert left is not None and left[0] is False  # the name alone would have passed

    assert ensure_clean_up_index(queue) is IndexBuild.REBUILT
    rebuilt = index_of(queue)
    assert rebuilt is not None
    valid, definition = rebuilt
    assert valid and "UNIQUE" not in definition and definition.endswith("(at, id)")


def test_jobs_are_deferred_while_it_builds(queue: Engine) -> None:
    """The build waits for a transaction that is writing an event (a job deferred, not yet
    committed); meanwhile other jobs are still deferred at once, each writing its event. A
    plain ``CREATE INDEX`` queued behind that transaction, and every writer behind it."""
    # the sessions close first on the way out (a failure's too), ending the build's wait
    with ThreadPoolExecutor(1) as pool, session(queue) as writing, session(queue) as other:
        writing.execute("BEGIN")
        writing.execute(ADD_JOB, {"lock": "photo-1"})
        build = pool.submit(ensure_clean_up_index, queue)
        until(lambda: building_waits(other))
        other.execute("SET lock_timeout = '3s'")
        for number in range(2, 12):  # would fail on the lock's timeout behind a plain build
            other.execute(ADD_JOB, {"lock": f"photo-{number}"})
        assert not build.done()
        writing.execute("COMMIT")
        assert build.result(timeout=30) is IndexBuild.BUILT
        count = other.execute("SELECT count(*) FROM procrastinate_events").fetchone()
    assert count == (11,)
    found = index_of(queue)
    assert found is not None and found[0]


def building_waits(connection: psycopg.Connection[tuple[object, ...]]) -> bool:
    """Whether the index's build is under way and waiting for a lock."""
    row = connection.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND query LIKE 'CREATE INDEX%' AND wait_event_type = 'Lock'"
    ).fetchone()
    return row is not None and row[0] == 1


START = """
import sys
from rekap.adapters.queue_pruning import ensure_events_index
print(ensure_events_index(sys.argv[1], poll_s=0.05).value)
"""


def test_workers_starting_together_all_start_and_one_builds(queue: Engine) -> None:
    """Three worker processes start while the build's lock is taken (as by a worker building
    it): they wait, not failing; once it is free one builds the index and the others find it."""
    with session(queue) as holder:
        holder.execute("SELECT pg_advisory_lock(%(key)s)", {"key": LOCK_KEY})
        named = conninfo(queue) + "?application_name=rekap-starting"
        starts = [
            subprocess.Popen(
                [sys.executable, "-c", START, named], stdout=subprocess.PIPE, text=True
            )
            for _ in range(3)
        ]
        until(lambda: sessions_named(holder, "rekap-starting") == 3)
        time.sleep(0.3)  # several rounds of their polling
        assert all(start.poll() is None for start in starts)
        assert index_of(queue) is None
        holder.execute("SELECT pg_advisory_unlock(%(key)s)", {"key": LOCK_KEY})
        said = sorted(start.communicate(timeout=60)[0].strip() for start in starts)
    assert [start.returncode for start in starts] == [0, 0, 0]
    assert said == ["built", "found", "found"]
    found = index_of(queue)
    assert found is not None and found[0]


def sessions_named(connection: psycopg.Connection[tuple[object, ...]], name: str) -> int:
    row = connection.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %(name)s",
        {"name": name},
    ).fetchone()
    return 0 if row is None else int(str(row[0]))


def test_workers_racing_without_help_all_start(queue: Engine) -> None:
    """Two starts at the same moment, with no one holding the lock before them."""
    barrier = threading.Barrier(2)

    def start() -> IndexBuild:
        barrier.wait()
        return ensure_clean_up_index(queue)

    with ThreadPoolExecutor(2) as pool:
        builds: list[Future[IndexBuild]] = [pool.submit(start) for _ in range(2)]
        results = sorted(build.result(timeout=60).value for build in builds)
    assert results == ["built", "found"]
    found = index_of(queue)
    assert found is not None and found[0]
