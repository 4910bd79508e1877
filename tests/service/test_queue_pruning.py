"""The hourly clean-up of the queue's tables deletes exactly the jobs procrastinate's own
``delete_old_jobs`` deleted (succeeded, of the queue, whose latest event is over 72 hours old),
now a bounded batch at a time along an index of the events' times: two copies of the same
tables, one cleaned by each, keep the same jobs and events (real PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import procrastinate
import pytest
from sqlalchemy import Engine, text

from rekap.adapters.queue import (
    KEEP_FINISHED_HOURS,
    QUEUE,
    conninfo,
    ensure_clean_up_index,
    ensure_queue_schema,
)
from rekap.adapters.queue_pruning import delete_finished_jobs
from rekap.adapters.storage.engine import open_engine
from tests.integration.conftest import _postgres_database

STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborting", "aborted")
HOUR = 60
AGES = (None, -600, 0, 5, 71 * HOUR, 72 * HOUR - 3, 72 * HOUR + 3, 73 * HOUR, 96 * HOUR)
"""Minutes before now an event happened (None: no time; negative: scheduled ahead), never
within 3 minutes of the 72 hours, so that the two copies, cleaned seconds apart, agree."""

T = TypeVar("T")
Job = tuple[str, str, list[str | None]]
"""A job as stored: its queue, its status, and the times of its events (SQL expressions)."""


def minutes_ago(age: int | None) -> str | None:
    return None if age is None else f"NOW() - make_interval(mins => {age})"


def jobs_of_every_kind(seed: int, count: int) -> list[Job]:
    """Jobs of both queues and every status, with none to four events at ages that tie
    often (so that batches end between events of one time), and a few by hand."""
    draw = random.Random(seed)
    made: list[Job] = [
        (QUEUE, "succeeded", ["'-infinity'", minutes_ago(80 * HOUR)]),  # deleted
        (QUEUE, "succeeded", ["'-infinity'", "'infinity'"]),  # not: its latest is ahead
        (QUEUE, "succeeded", [minutes_ago(96 * HOUR), None]),  # not: no time sorts latest
        (QUEUE, "succeeded", []),  # not: no event at all
        ("other", "succeeded", [minutes_ago(96 * HOUR)]),  # not: another queue
        (QUEUE, "failed", [minutes_ago(96 * HOUR)]),  # not: failed jobs stay
    ]
    for _ in range(count):
        ages = [draw.choice(AGES) for _ in range(draw.randint(0, 4))]
        queue = draw.choice((QUEUE, QUEUE, QUEUE, "other"))
        status = draw.choice(("succeeded",) * 6 + STATUSES)
        made.append((queue, status, [minutes_ago(age) for age in ages]))
    return made


def store(engine: Engine, jobs: list[Job], name: str = "job") -> None:
    """Write the jobs as procrastinate's tables hold them (its triggers add a waiting job's
    `deferred` event), one statement after another, the same in every copy."""
    with engine.begin() as connection:
        for number, (queue, status, times) in enumerate(jobs, 1):
            job_id = connection.execute(
                text(
                    "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, "
                    "args, status) VALUES (:queue, 'rekap.process_photo', :lock, '{}', "
                    "CAST(:status AS procrastinate_job_status)) RETURNING id"
                ),
                {"queue": queue, "lock": f"{name}-{number}", "status": status},
            ).scalar_one()
            for at in times:
                connection.execute(
                    text(
                        "INSERT INTO procrastinate_events (job_id, type, at) "
                        f"VALUES (:job, 'started', {at or 'NULL'})"
                    ),
                    {"job": job_id},
                )


def kept(engine: Engine) -> tuple[set[int], set[int]]:
    with engine.connect() as connection:
        jobs = {int(i) for (i,) in connection.execute(text("SELECT id FROM procrastinate_jobs"))}
        events = {
            int(i) for (i,) in connection.execute(text("SELECT id FROM procrastinate_events"))
        }
    return jobs, events


def in_app(engine: Engine, work: Callable[[procrastinate.App], Awaitable[T]]) -> T:
    """``work`` done with a worker's app (its pool of connections) on the engine's database."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(engine)))

    async def run() -> T:
        async with app.open_async():
            return await work(app)

    return asyncio.run(run())


@pytest.fixture
def two_queues() -> Iterator[tuple[Engine, Engine]]:
    """Two fresh databases with the queue's schema as rekap makes it (a worker's start adds
    the clean-up's index)."""
    for first in _postgres_database():
        for second in _postgres_database():
            engines = open_engine(first), open_engine(second)
            for engine in engines:
                ensure_queue_schema(engine)
                ensure_clean_up_index(engine)
            yield engines
            for engine in engines:
                engine.dispose()


RETRIED = """
UPDATE procrastinate_jobs SET status = CAST(:status AS procrastinate_job_status)
WHERE id IN (SELECT id FROM procrastinate_jobs WHERE status = :was AND id % 3 = 1)
"""
"""A third of the failed jobs retried (``retried``), taken (``started``) and succeeded
(``succeeded``): procrastinate's trigger writes each change's event, now."""

SET_BY_HAND = """
UPDATE procrastinate_jobs SET status = 'succeeded' WHERE status = 'failed' RETURNING id
"""
"""The other failed jobs marked succeeded by hand (an operator's SQL, as a test of photo
retries does): procrastinate's trigger writes no event for this change."""


def later_changes(engine: Engine, seed: int) -> set[int]:
    """New jobs and events, retries, and hand-made changes, the same in every copy; returns
    the jobs marked succeeded by hand."""
    store(engine, jobs_of_every_kind(seed, 150), name="later")
    with engine.begin() as connection:
        for was, status in (("failed", "todo"), ("todo", "doing"), ("doing", "succeeded")):
            connection.execute(text(RETRIED), {"was": was, "status": status})
        return {int(i) for (i,) in connection.execute(text(SET_BY_HAND))}


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [1, 2])
def test_the_batches_delete_exactly_what_procrastinate_deleted(
    two_queues: tuple[Engine, Engine], seed: int
) -> None:
    """procrastinate's ``delete_old_jobs`` sorted every job with its events each hour; the
    batches delete the same jobs (with their events), whatever the batch's size; and again
    at a later clean-up (its cutoff 2 hours on, standing in for the hours passed), after new
    jobs and events, retries, and failed jobs marked succeeded by hand. These last have no
    event newer than the first clean-up's cutoff: a walk resumed from it would keep them."""
    theirs, ours = two_queues
    jobs = jobs_of_every_kind(seed, 400)
    for engine in two_queues:
        store(engine, jobs)
    before, events_before = kept(theirs)
    assert kept(ours) == (before, events_before)

    in_app(
        theirs,
        lambda app: app.job_manager.delete_old_jobs(nb_hours=KEEP_FINISHED_HOURS, queue=QUEUE),
    )
    pruned = in_app(
        ours, lambda app: delete_finished_jobs(app.connector, QUEUE, KEEP_FINISHED_HOURS, 7)
    )

    left, events_left = kept(theirs)
    assert 0 < len(before - left) < len(before)  # some jobs went, not all
    assert kept(ours) == (left, events_left)
    assert pruned.jobs == len(before - left)
    assert pruned.batches > len(before - left) // 7  # the batch size was not ignored

    by_hand = later_changes(theirs, seed + 10)
    assert later_changes(ours, seed + 10) == by_hand
    before = kept(theirs)[0]
    assert kept(ours)[0] == before
    hours = KEEP_FINISHED_HOURS - 2
    in_app(theirs, lambda app: app.job_manager.delete_old_jobs(nb_hours=hours, queue=QUEUE))
    pruned = in_app(ours, lambda app: delete_finished_jobs(app.connector, QUEUE, hours, 7))

    left, events_left = kept(theirs)
    gone = before - left
    assert gone & by_hand  # hand-marked jobs whose events were all old went
    assert gone - by_hand  # and others: older than the later cutoff, or new ones
    assert kept(ours) == (left, events_left)
    assert pruned.jobs == len(gone)
