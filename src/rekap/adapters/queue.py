"""The distributed work queue on PostgreSQL (procrastinate), for national-scale deployments.

A received photo's job is deferred on the *same* database connection, inside the transaction
that records the photo: the job exists exactly when the photo does (the photos of a group
commit of uploads, of an operator's retry or of a sweep, by one statement for a batch). Workers
(`rekap worker`, any number, on any machine) run ``rekap.process_photo``; a job whose photo is
no longer waiting does nothing, so running a job twice is harmless. A sweep (at each worker's
start, then each minute) puts back to run the jobs a killed worker left `doing`
(procrastinate's stalled jobs), then re-defers the photos still left waiting without a job;
each hour, the jobs that succeeded days ago are deleted. The embedded default (SQLite) needs
none of this: in-process workers claim photos from the database directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import procrastinate
from procrastinate.exceptions import ConnectorException, UniqueViolation
from procrastinate.jobs import Job, Status
from sqlalchemy import Connection, Engine, select, text

from rekap.adapters.queue_pruning import (
    IndexBuild,
    Pruned,
    delete_finished_jobs,
    ensure_events_index,
)
from rekap.adapters.storage.schema import photo
from rekap.capture.states import PhotoState

TASK = "rekap.process_photo"
SWEEP = "rekap.sweep_photos"
CLEAN_UP = "rekap.remove_finished_jobs"
QUEUE = "photos"
KEEP_FINISHED_HOURS = 72
"""How long a job that ran to its end is kept in the queue's tables (for an operator looking
into the last days); each photo's own record is the change log, kept for ever."""
STALLED_AFTER_S = 30.0
"""A worker silent this long is taken for dead (procrastinate's default ``stalled_worker_timeout``;
a live worker beats every 10 s, whatever its job), and its jobs still `doing` are stalled."""


def conninfo(engine: Engine) -> str:
    """A libpq connection string for the engine's PostgreSQL database."""
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def queueing_lock(photo_id: int) -> str:
    """The photo's lock in the queue: procrastinate keeps at most one waiting job per lock."""
    return f"photo-{photo_id}"


def _app() -> procrastinate.App:
    """An app that defers on a connection it is given (the caller's), never on its own."""
    return procrastinate.App(connector=procrastinate.SyncPsycopgConnector())


def defer_in_transaction(connection: Connection, photo_id: int) -> bool:
    """Queue the processing of a photo inside the caller's open transaction; False when a job
    for the photo is already waiting."""
    driver = connection.connection.driver_connection
    deferrer = _app().configure_task(
        TASK, queue=QUEUE, connection=driver, queueing_lock=queueing_lock(photo_id)
    )
    savepoint = connection.begin_nested()  # a refused duplicate must not abort the caller
    try:
        deferrer.defer(photo_id=photo_id)
    except procrastinate.exceptions.AlreadyEnqueued:
        savepoint.rollback()  # a job for this photo is already waiting
        return False
    savepoint.commit()
    return True


WAITING_LOCKS = text(
    "SELECT queueing_lock FROM procrastinate_jobs "
    "WHERE status = 'todo' AND queueing_lock = ANY(:locks)"
)
"""Which of these locks a waiting job holds (procrastinate's unique index of them)."""


DEFER_BATCH = 1000
"""Photos queued by one statement: a sweep after a long outage may queue a backlog of hundreds
of thousands, too many for one statement's parameters."""


def defer_all_in_transaction(connection: Connection, photo_ids: Iterable[int]) -> list[int]:
    """Queue the processing of photos inside the caller's open transaction, as
    ``defer_in_transaction`` does one, a statement for up to ``DEFER_BATCH`` of them; returns
    the photos queued, by id (one whose job already waits is not; one named twice, once).

    One at a time, each photo cost a savepoint, a procrastinate call and a round trip: most of
    the time of an operator's retry of thousands of photos. They go in order of id, so that two
    processes queueing some of the same photos wait for each other rather than deadlock."""
    wanted = sorted(set(photo_ids))
    queued: list[int] = []
    for start in range(0, len(wanted), DEFER_BATCH):
        queued.extend(_defer_batch(connection, wanted[start : start + DEFER_BATCH]))
    return queued


def _defer_batch(connection: Connection, photo_ids: list[int]) -> list[int]:
    """Queue photos (distinct, by id) in one statement. The photos whose job waits are left out
    first, as procrastinate refuses a whole batch for one waiting lock (its ``AlreadyEnqueued``
    names only the first). A job queued by another process since that query (a sweep, a retry
    beside this one) refuses the batch still: its savepoint is rolled back, sparing the
    caller's transaction, and these photos are queued one at a time."""
    locks = [queueing_lock(photo_id) for photo_id in photo_ids]
    waiting = {str(lock) for (lock,) in connection.execute(WAITING_LOCKS, {"locks": locks})}
    fresh = [i for i, lock in zip(photo_ids, locks, strict=True) if lock not in waiting]
    if not fresh:
        return []
    app = _app()
    jobs = [
        app.configure_task(
            TASK,
            queue=QUEUE,
            queueing_lock=queueing_lock(photo_id),
            task_kwargs={"photo_id": photo_id},
        ).job
        for photo_id in fresh
    ]
    driver = connection.connection.driver_connection
    savepoint = connection.begin_nested()
    try:
        app.job_manager.batch_defer_jobs(jobs=jobs, connection=driver)
    except procrastinate.exceptions.AlreadyEnqueued:
        savepoint.rollback()  # one of them queued meanwhile by another process
        return [photo_id for photo_id in fresh if defer_in_transaction(connection, photo_id)]
    savepoint.commit()
    return fresh


def ensure_queue_schema(engine: Engine) -> None:
    """Create procrastinate's tables once, in the same database (the index the workers' hourly
    clean-up walks is a worker's to make: ``ensure_clean_up_index``)."""
    with engine.connect() as connection:
        exists = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    if exists is None:
        app = procrastinate.App(
            connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo(engine))
        )
        with app.open():
            app.schema_manager.apply_schema()


def ensure_clean_up_index(engine: Engine) -> IndexBuild:
    """The index the hourly clean-up walks, made at a worker's start when missing or left
    invalid by a failed build, without holding up the queue's writers
    (``rekap.adapters.queue_pruning.ensure_events_index``). Only workers run the clean-up,
    so only they make it: `rekap serve` and `rekap photos retry` start without waiting on it."""
    return ensure_events_index(conninfo(engine))


JOB_WAITING = text(
    "NOT EXISTS (SELECT 1 FROM procrastinate_jobs AS job WHERE job.status = 'todo' "
    "AND job.queueing_lock = 'photo-' || photo.id)"
)
"""No job of the photo waits to run (procrastinate's index of the waiting jobs' locks)."""


def waiting_photos(engine: Engine, older_than: datetime) -> list[int]:
    """Photos still waiting, whose claim (if any) is older than ``older_than``, and whose job
    is not waiting to run: a photo whose job waits is taken by it, and trying to queue it
    again cost each sweep a savepoint per photo of the whole backlog."""
    query = select(photo.c.id).where(
        photo.c.state == PhotoState.RECEIVED.value,
        (photo.c.claimed_at.is_(None)) | (photo.c.claimed_at < older_than.isoformat()),
        JOB_WAITING,
    )
    with engine.connect() as connection:
        return [int(i) for (i,) in connection.execute(query)]


def sweep(engine: Engine, now: datetime, grace: timedelta = timedelta(minutes=2)) -> int:
    """Re-queue photos left waiting without a waiting job (a worker killed mid-job, a job
    lost); returns how many were queued again."""
    photo_ids = waiting_photos(engine, now - grace)
    if not photo_ids:
        return 0
    with engine.begin() as connection:
        return len(defer_all_in_transaction(connection, photo_ids))


@dataclass(frozen=True)
class Sweep:
    """What one sweep did: stalled jobs put back to run, stalled jobs ended because another job
    of their photo already waits, photos queued again."""

    retried_jobs: int = 0
    ended_jobs: int = 0
    requeued_photos: int = 0


async def retry_stalled_jobs(app: procrastinate.App) -> Sweep:
    """Put back to run the jobs left `doing` by a worker that stopped beating (killed, its
    machine gone): procrastinate never does it by itself, and the queue's table said for ever
    that they ran. A job whose photo has another job waiting (queued again by the sweep) is
    ended as failed instead, since a photo has one waiting job at most. Another worker's sweep
    taking the same job first is no error."""
    manager = app.job_manager
    stalled = await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=STALLED_AFTER_S)
    retried = ended = 0
    for job in stalled:
        try:
            await manager.retry_job(job)
            retried += 1
        except UniqueViolation:
            ended += await _end_stalled(app, job)
        except ConnectorException as error:
            await _raise_unless_taken(app, job, error)
    return Sweep(retried_jobs=retried, ended_jobs=ended)


async def _end_stalled(app: procrastinate.App, job: Job) -> int:
    try:
        await app.job_manager.finish_job(job, Status.FAILED, delete_job=False)
    except ConnectorException as error:
        await _raise_unless_taken(app, job, error)
        return 0
    return 1


async def _raise_unless_taken(app: procrastinate.App, job: Job, error: Exception) -> None:
    """Raise ``error`` unless the job is no longer `doing` (another worker's sweep took it)."""
    assert job.id is not None
    if await app.job_manager.get_job_status_async(job.id) is Status.DOING:
        raise error


async def sweep_queue(
    app: procrastinate.App, engine: Engine, now: datetime, grace: timedelta
) -> Sweep:
    """The whole sweep: stalled jobs first (their photos then have a waiting job), then the
    photos still left without one."""
    jobs = await retry_stalled_jobs(app)
    requeued = await asyncio.to_thread(sweep, engine, now, grace)
    return Sweep(jobs.retried_jobs, jobs.ended_jobs, requeued)


def sweep_at_start(
    app: procrastinate.App, engine: Engine, now: datetime, grace: timedelta
) -> Sweep:
    """The sweep a worker runs before it takes jobs, on its own connection pool."""

    async def run() -> Sweep:
        async with app.open_async():
            return await sweep_queue(app, engine, now, grace)

    return asyncio.run(run())


async def remove_finished_jobs(app: procrastinate.App) -> Pruned:
    """Delete the jobs that succeeded more than ``KEEP_FINISHED_HOURS`` ago, with their
    events: one row per photo and per minute's sweep, kept for ever, grew the queue's tables
    with the election (millions of rows nationally). Failed jobs stay for an operator. The
    rule is procrastinate's ``delete_old_jobs``; the deletion is a batch at a time
    (``rekap.adapters.queue_pruning``), as that one sorted every job with its events."""
    return await delete_finished_jobs(app.connector, QUEUE, KEEP_FINISHED_HOURS)


def worker_app(
    engine: Engine,
    process: Callable[[int], object],
    now: Callable[[], datetime],
    grace: timedelta = timedelta(minutes=2),
) -> procrastinate.App:
    """The worker side: the task that processes one photo, and a periodic sweep."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(engine)))

    @app.task(name=TASK, queue=QUEUE, retry=3)
    def process_photo(photo_id: int) -> None:
        process(photo_id)

    @app.periodic(cron="* * * * *")
    @app.task(name=SWEEP, queue=QUEUE, queueing_lock="sweep")
    async def sweep_photos(timestamp: int) -> None:
        await sweep_queue(app, engine, now(), grace)

    @app.periodic(cron="17 * * * *")
    @app.task(name=CLEAN_UP, queue=QUEUE, queueing_lock="clean-up")
    async def remove_old_jobs(timestamp: int) -> None:
        await remove_finished_jobs(app)

    del process_photo, sweep_photos, remove_old_jobs
    return app


def run_worker(app: procrastinate.App, concurrency: int = 1, wait: bool = True) -> None:
    options: dict[str, Any] = {"queues": [QUEUE], "concurrency": concurrency, "wait": wait}
    app.run_worker(**options)
