"""On PostgreSQL, a photo's job is queued (procrastinate) in the transaction that records it,
and a worker process drains the queue; a job for a photo already processed does nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from procrastinate.jobs import Job
from sqlalchemy import Engine, text

from rekap.adapters.queue import (
    CLEAN_UP,
    QUEUE,
    SWEEP,
    Sweep,
    defer_in_transaction,
    retry_stalled_jobs,
    run_worker,
    sweep,
    sweep_at_start,
    waiting_photos,
    worker_app,
)
from rekap.cli.serve import build_processor
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Service
from tests.service.test_election_day import photos_of, simulated

pytest.importorskip("rekap.reading.digits")


def now() -> datetime:
    return datetime.now(UTC)


def jobs(service: Service) -> list[tuple[str, str]]:
    with service.context.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT queueing_lock, status FROM procrastinate_jobs WHERE queue_name = :q"),
            {"q": QUEUE},
        )
        return sorted((str(lock), str(status)) for lock, status in rows)


@pytest.mark.slow
def test_photos_are_queued_with_their_record_and_drained(service: Service) -> None:
    if service.context.engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue is the PostgreSQL deployment's")
    tps = simulated(0.0, seed=21)[0]
    service.upload_pages(tps.kode.value, photos_of(tps, seed=3))
    queued = jobs(service)
    assert [status for _, status in queued] == ["todo"] * 3
    assert sweep(service.context.engine, now()) == 0  # nothing is stale yet

    processor = build_processor(service.context)
    app = worker_app(
        service.context.engine, lambda photo_id: processor.process_photo(photo_id, now), now
    )
    run_worker(app, concurrency=1, wait=False)
    assert {status for _, status in jobs(service)} == {"succeeded"}
    states = {s for _, _, s, _ in service.context.photos.states(tps.kode.value)}
    assert "received" not in states
    assert processor.process_photo(1, now) is False  # a second run of a job does nothing


def test_a_sweep_passes_over_photos_whose_job_waits(service: Service) -> None:
    """A sweep (each minute, and at each worker's start) tried to queue every waiting photo
    again, one savepoint each, though its job waited: minutes a sweep with an election night's
    backlog. It now queues only photos left without a waiting job (a worker killed mid-job)."""
    if service.context.engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue is the PostgreSQL deployment's")
    engine = service.context.engine
    service.upload_pages("7471011007001", {page: synthetic_jpeg(page) for page in (1, 2, 3)})
    later = now() + timedelta(hours=1)  # every claim long stale, had there been one
    assert waiting_photos(engine, later) == []
    with engine.begin() as connection:  # a worker took the second job, and was killed
        connection.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing' WHERE queueing_lock = 'photo-2'")
        )
    assert waiting_photos(engine, later) == [2]
    assert sweep(engine, later, timedelta(minutes=5)) == 1
    assert waiting_photos(engine, later) == []
    assert ("photo-2", "todo") in jobs(service)


def dead_and_live_workers(engine: Engine) -> tuple[int, int]:
    """Two procrastinate workers: one silent for five minutes (killed), one beating now."""
    with engine.begin() as connection:
        dead, live = (
            connection.execute(
                text(
                    "INSERT INTO procrastinate_workers (last_heartbeat) "
                    "VALUES (NOW() - make_interval(secs => :ago)) RETURNING id"
                ),
                {"ago": ago},
            ).scalar_one()
            for ago in (300, 0)
        )
    return int(dead), int(live)


def run_by(engine: Engine, lock: str, worker_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker "
                "WHERE queueing_lock = :lock AND status = 'todo'"
            ),
            {"worker": worker_id, "lock": lock},
        )


def test_a_killed_workers_jobs_are_put_back_to_run(service: Service) -> None:
    """A job taken by a worker then killed stayed `doing` for ever: the sweep queued its photo
    again, so nothing was lost, but the queue's table said the job ran and kept the row. The
    sweep now puts such a job back to run (procrastinate's stalled jobs: its worker's heartbeat
    stopped), or ends it as failed when its photo has another job waiting; a live worker's job
    is left alone."""
    if service.context.engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue is the PostgreSQL deployment's")
    engine = service.context.engine
    service.upload_pages("7471011007001", {page: synthetic_jpeg(40 + page) for page in (1, 2, 3)})
    dead, live = dead_and_live_workers(engine)
    run_by(engine, "photo-1", dead)
    run_by(engine, "photo-2", dead)
    run_by(engine, "photo-3", live)
    assert service.context.photos.claim_id(3, now()) is not None  # the live worker reads it
    with engine.begin() as connection:  # photo 1 was queued again by an earlier sweep
        assert defer_in_transaction(connection, 1)
    app = worker_app(engine, lambda _photo_id: None, now)

    swept = sweep_at_start(app, engine, now(), timedelta(minutes=5))
    assert swept == Sweep(retried_jobs=1, ended_jobs=1, requeued_photos=0)
    assert jobs(service) == [
        ("photo-1", "failed"),
        ("photo-1", "todo"),
        ("photo-2", "todo"),
        ("photo-3", "doing"),
    ]
    assert sweep_at_start(app, engine, now(), timedelta(minutes=5)) == Sweep()

    run_by(engine, "photo-2", dead)  # taken again by a worker killed since: the minute's sweep

    async def minute_sweep() -> None:
        async with app.open_async():
            await app.tasks[SWEEP].func(timestamp=0)

    asyncio.run(minute_sweep())
    assert ("photo-2", "todo") in jobs(service)


def test_a_stalled_job_another_sweep_took_first_is_no_error(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers started together sweep together: the stalled job one of them put back to run is
    still in the list the other read, and putting it back again must not stop that worker."""
    if service.context.engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue is the PostgreSQL deployment's")
    engine = service.context.engine
    service.upload_pages("7471011007001", {1: synthetic_jpeg(51)})
    dead, _ = dead_and_live_workers(engine)
    run_by(engine, "photo-1", dead)
    app = worker_app(engine, lambda _photo_id: None, now)

    async def read_then_let_another_sweep_first() -> Sweep:
        async with app.open_async():
            manager = app.job_manager
            stalled = list(await manager.get_stalled_jobs(queue=QUEUE))
            assert len(stalled) == 1
            await manager.retry_job(stalled[0])  # the other worker's sweep

            async def as_read_before(**_options: object) -> list[Job]:
                return stalled

            monkeypatch.setattr(manager, "get_stalled_jobs", as_read_before)
            return await retry_stalled_jobs(app)

    assert asyncio.run(read_then_let_another_sweep_first()) == Sweep()
    assert jobs(service) == [("photo-1", "todo")]


def test_jobs_that_succeeded_days_ago_are_deleted(service: Service) -> None:
    """Every photo's job, and each minute's sweep, stayed in the queue's tables for ever:
    millions of rows nationally. Each hour a worker deletes those that succeeded more than
    three days ago; later ones, failed ones and waiting ones stay."""
    if service.context.engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue is the PostgreSQL deployment's")
    engine = service.context.engine
    service.upload_pages("7471011007001", {page: synthetic_jpeg(70 + page) for page in (1, 2, 3)})
    service.upload_pages("7471011007002", {1: synthetic_jpeg(74)})
    ended = (("photo-1", "succeeded"), ("photo-2", "succeeded"), ("photo-3", "failed"))
    with engine.begin() as connection:
        for lock, status in ended:
            connection.execute(
                text("UPDATE procrastinate_jobs SET status = :status WHERE queueing_lock = :lock"),
                {"status": status, "lock": lock},
            )
        connection.execute(  # photos 1 and 3 ended four days ago, photo 2 an hour ago
            text(
                "UPDATE procrastinate_events SET at = NOW() - make_interval(hours => "
                "CASE WHEN job.queueing_lock = 'photo-2' THEN 1 ELSE 96 END) "
                "FROM procrastinate_jobs AS job WHERE job.id = procrastinate_events.job_id"
            )
        )
    app = worker_app(engine, lambda _photo_id: None, now)

    async def hourly() -> None:
        async with app.open_async():
            await app.tasks[CLEAN_UP].func(timestamp=0)

    asyncio.run(hourly())
    assert jobs(service) == [
        ("photo-2", "succeeded"),
        ("photo-3", "failed"),
        ("photo-4", "todo"),
    ]
