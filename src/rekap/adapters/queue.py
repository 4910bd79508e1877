"""The distributed work queue on PostgreSQL (procrastinate), for national-scale deployments.

A received photo's job is deferred on the *same* database connection, inside the transaction
that records the photo: the job exists exactly when the photo does. Workers (`rekap worker`,
any number, on any machine) run ``rekap.process_photo``; a job whose photo is no longer waiting
does nothing, so running a job twice is harmless. A sweep re-defers photos left waiting by a
killed worker. The embedded default (SQLite) needs none of this: in-process workers claim
photos from the database directly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import procrastinate
from sqlalchemy import Connection, Engine, select, text

from rekap.adapters.storage.schema import photo
from rekap.capture.states import PhotoState

TASK = "rekap.process_photo"
SWEEP = "rekap.sweep_photos"
QUEUE = "photos"


def conninfo(engine: Engine) -> str:
    """A libpq connection string for the engine's PostgreSQL database."""
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def defer_in_transaction(connection: Connection, photo_id: int) -> bool:
    """Queue the processing of a photo inside the caller's open transaction; False when a job
    for the photo is already waiting."""
    driver = connection.connection.driver_connection
    app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector())
    deferrer = app.configure_task(
        TASK, queue=QUEUE, connection=driver, queueing_lock=f"photo-{photo_id}"
    )
    savepoint = connection.begin_nested()  # a refused duplicate must not abort the caller
    try:
        deferrer.defer(photo_id=photo_id)
    except procrastinate.exceptions.AlreadyEnqueued:
        savepoint.rollback()  # a job for this photo is already waiting
        return False
    savepoint.commit()
    return True


def ensure_queue_schema(engine: Engine) -> None:
    """Create procrastinate's tables once, in the same database."""
    with engine.connect() as connection:
        exists = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    if exists is None:
        app = procrastinate.App(
            connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo(engine))
        )
        with app.open():
            app.schema_manager.apply_schema()


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
    with engine.begin() as connection:
        return sum(defer_in_transaction(connection, photo_id) for photo_id in photo_ids)


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
    def sweep_photos(timestamp: int) -> None:
        sweep(engine, now(), grace)

    del process_photo, sweep_photos
    return app


def run_worker(app: procrastinate.App, concurrency: int = 1, wait: bool = True) -> None:
    options: dict[str, Any] = {"queues": [QUEUE], "concurrency": concurrency, "wait": wait}
    app.run_worker(**options)
