"""On PostgreSQL, a photo's job is queued (procrastinate) in the transaction that records it,
and a worker process drains the queue; a job for a photo already processed does nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from rekap.adapters.queue import QUEUE, run_worker, sweep, waiting_photos, worker_app
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
