"""Deleting the queue's finished jobs a bounded batch at a time.

Procrastinate's own ``delete_old_jobs`` finds a job's last event by sorting *every* job of the
queue's tables with its events (``DISTINCT ON (job.id) … ORDER BY job.id, event.at DESC``),
then deletes all that qualify in one statement: with an election's millions of jobs, each
hour's clean-up sorted them all, and the hour after the election day passed the three days
deleted a day's jobs in one transaction. Here the same jobs are deleted, found from the other
end: the events older than the cutoff, walked in order of time along an index of
``procrastinate_events (at, id)``, a few thousand per statement. A job can only qualify when
all its events are that old, so each such job is met on the walk; each batch deletes the jobs
it meets that qualify, in its own transaction, so no statement holds more than a batch's rows
and the work done follows the number of jobs deleted, not the size of the tables.

The rule is procrastinate's, unchanged: a job of the queue, ``succeeded``, with at least one
event, whose latest event (by ``at``, where an event with no time sorts as the latest) is older
than ``hours`` before the start of the clean-up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, LiteralString, Protocol

import psycopg

EVENTS_BY_TIME = "rekap_procrastinate_events_at_id"
"""The index the clean-up walks: not one of procrastinate's, so named apart from them."""

BATCH_EVENTS = 5_000
"""Events read per statement (about 1,700 jobs of three events each)."""

LOCK_KEY = 0x72656B61_70696478  # 'rekapidx': one process at a time builds the index
TAKE_LOCK: LiteralString = "SELECT pg_try_advisory_lock(%(key)s)"
VALIDITY: LiteralString = (
    "SELECT pg_index.indisvalid FROM pg_index WHERE pg_index.indexrelid = to_regclass(%(name)s)"
)
DROP_INDEX: LiteralString = f"DROP INDEX CONCURRENTLY IF EXISTS {EVENTS_BY_TIME}"
CREATE_INDEX: LiteralString = (
    f"CREATE INDEX CONCURRENTLY {EVENTS_BY_TIME} ON procrastinate_events (at, id)"
)
LOCK_POLL_S = 0.5
"""How often a process waiting for another's build looks again."""

CUTOFF: LiteralString = "SELECT NOW() - make_interval(hours => %(hours)s) AS cutoff"

DELETE_BATCH: LiteralString = """
WITH batch AS (
    SELECT event.id, event.at, event.job_id
    FROM procrastinate_events AS event
    WHERE event.at < %(cutoff)s
      AND (event.at, event.id) > (%(after_at)s::timestamptz, %(after_id)s::bigint)
    ORDER BY event.at, event.id
    LIMIT %(size)s
), deleted AS (
    DELETE FROM procrastinate_jobs AS job
    WHERE job.id IN (SELECT batch.job_id FROM batch)
      AND job.status = 'succeeded'
      AND job.queue_name = %(queue)s
      AND NOT EXISTS (
          SELECT 1 FROM procrastinate_events AS other
          WHERE other.job_id = job.id AND (other.at IS NULL OR other.at >= %(cutoff)s)
      )
    RETURNING job.id
)
SELECT
    (SELECT count(*) FROM batch) AS events,
    (SELECT count(*) FROM deleted) AS jobs,
    (SELECT batch.at::text FROM batch ORDER BY batch.at DESC, batch.id DESC LIMIT 1) AS last_at,
    (SELECT batch.id FROM batch ORDER BY batch.at DESC, batch.id DESC LIMIT 1) AS last_id
"""
"""One batch: the next ``size`` events older than the cutoff after the last one seen (by
``(at, id)``), and of their jobs those that qualify, deleted (their events with them, by
procrastinate's ``ON DELETE CASCADE``). The last event seen comes back as text so that the
walk starts from ``-infinity`` and resumes from any time PostgreSQL can hold."""


class AsyncQueries(Protocol):
    """What the clean-up needs of procrastinate's async connector (the worker's own pool)."""

    async def execute_query_one_async(
        self, query: LiteralString, **arguments: Any
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one clean-up did: jobs deleted, and the statements it took."""

    jobs: int = 0
    batches: int = 0


async def delete_finished_jobs(
    connector: AsyncQueries, queue: str, hours: int, size: int = BATCH_EVENTS
) -> Pruned:
    """Delete the jobs of ``queue`` that succeeded more than ``hours`` ago (procrastinate's
    rule, see the module), ``size`` events at a time, each batch its own transaction."""
    cutoff: datetime = (await connector.execute_query_one_async(CUTOFF, hours=hours))["cutoff"]
    after_at, after_id = "-infinity", 0
    jobs = batches = 0
    while True:
        row = await connector.execute_query_one_async(
            DELETE_BATCH,
            cutoff=cutoff,
            after_at=after_at,
            after_id=after_id,
            size=size,
            queue=queue,
        )
        batches += 1
        jobs += int(row["jobs"])
        if int(row["events"]) < size:
            return Pruned(jobs, batches)
        after_at, after_id = str(row["last_at"]), int(row["last_id"])


class IndexBuild(Enum):
    """What a worker's start found of the clean-up's index, and did."""

    FOUND = "found"
    """Valid already (made by an earlier start, or by another process meanwhile)."""
    BUILT = "built"
    REBUILT = "rebuilt"
    """An invalid one (left by a build that failed) dropped and built again."""


def ensure_events_index(conninfo: str, poll_s: float = LOCK_POLL_S) -> IndexBuild:
    """Make the clean-up's index unless a valid one exists, without holding up the queue's
    writers: ``CREATE INDEX CONCURRENTLY`` lets jobs be deferred, fetched and finished (each
    writes an event) while it reads the table, where a plain build locked them out for its
    whole length (seconds on a queue of millions of events). It runs outside any transaction,
    on a session of its own, and waits for the transactions open on the database to end.

    One process builds at a time: the one holding an advisory lock (a session's, released
    when its connection closes, whether the build ends or fails). The others do not wait on the
    lock inside a statement (a waiting statement is an open transaction, which a concurrent
    build waits for in turn: the two would deadlock); they try it again each ``poll_s`` and
    stop as soon as the index is valid. A failed concurrent build leaves its index behind,
    marked invalid (never used by a query, yet still written with each event), and a check of
    the name alone would accept it for ever; under the lock no other build is under way, so
    an invalid index found then is such a leftover: it is dropped and built again."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        while not _valid(connection):
            if _take_lock(connection):
                return _build(connection)
            time.sleep(poll_s)
        return IndexBuild.FOUND


def _valid(connection: psycopg.Connection[Any]) -> bool | None:
    """True for a valid index, False for an invalid one, None for none."""
    row = connection.execute(VALIDITY, {"name": EVENTS_BY_TIME}).fetchone()
    return None if row is None else bool(row[0])


def _take_lock(connection: psycopg.Connection[Any]) -> bool:
    row = connection.execute(TAKE_LOCK, {"key": LOCK_KEY}).fetchone()
    return row is not None and bool(row[0])


def _build(connection: psycopg.Connection[Any]) -> IndexBuild:
    """Under the lock: build the index, dropping an invalid one first (looked at again, as
    another process may have built it since)."""
    valid = _valid(connection)
    if valid:
        return IndexBuild.FOUND
    if valid is False:
        connection.execute(DROP_INDEX)
    connection.execute(CREATE_INDEX)
    return IndexBuild.BUILT if valid is None else IndexBuild.REBUILT
