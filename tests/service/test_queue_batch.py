"""Photos queued a batch at a time (an operator's retry, the sweep) on PostgreSQL: one statement
for the batch inside the caller's transaction, at most one waiting job per photo, a photo whose
job already waits not queued again, and a job another process queued meanwhile never aborting
the caller's transaction (two real connections)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, event, text

from rekap.adapters import queue
from rekap.adapters.keys import raw_public
from rekap.adapters.queue import (
    defer_all_in_transaction,
    defer_in_transaction,
    ensure_queue_schema,
)
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.photos import Arrival, Upload
from rekap.capture.access import Role
from rekap.capture.photo_check import CheckedPhoto, check_photo
from tests.integration.conftest import _postgres_database
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Service
from tests.service.test_photo_retry import (
    KODE,
    crashing,
    now,
    processor,
    queued,
    retried_events,
)


@pytest.fixture
def engine() -> Iterator[Engine]:
    for url in _postgres_database():
        made = open_engine(url)
        ensure_queue_schema(made)
        yield made
        made.dispose()


def jobs(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT queueing_lock, status FROM procrastinate_jobs"))
        return sorted((str(lock), str(status)) for lock, status in rows)


def savepoints(connection: Connection) -> list[str]:
    """The savepoints the connection will begin, as they are begun."""
    begun: list[str] = []
    event.listen(connection, "savepoint", lambda _connection, name: begun.append(name))
    return begun


def marked(connection: Connection) -> None:
    """Something else the caller's transaction writes after queueing: lost if it aborted."""
    connection.execute(text("CREATE TABLE IF NOT EXISTS marks (n int)"))
    connection.execute(text("INSERT INTO marks VALUES (1)"))


def marks(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM marks")).scalar_one())


@pytest.mark.postgres
def test_a_batch_passes_over_photos_whose_job_waits(engine: Engine) -> None:
    with engine.begin() as connection:
        assert defer_in_transaction(connection, 2)
        assert defer_in_transaction(connection, 4)
        connection.execute(  # photo 4's job ran: a new one may wait
            text("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE queueing_lock = :l"),
            {"l": "photo-4"},
        )
    with engine.begin() as connection:
        begun = savepoints(connection)
        assert defer_all_in_transaction(connection, [5, 4, 3, 2, 1]) == [1, 3, 4, 5]
        assert len(begun) == 1  # one statement for the batch, not one savepoint a photo
        assert defer_all_in_transaction(connection, [1, 2, 3]) == []  # all wait now
        assert len(begun) == 1  # none left to queue: no statement at all
        marked(connection)
    assert jobs(engine) == [
        ("photo-1", "todo"),
        ("photo-2", "todo"),
        ("photo-3", "todo"),
        ("photo-4", "succeeded"),
        ("photo-4", "todo"),
        ("photo-5", "todo"),
    ]
    assert marks(engine) == 1
    assert shape(engine, "photo-1") == shape(engine, "photo-2")  # batched as deferred alone


def shape(engine: Engine, lock: str) -> tuple[object, ...]:
    """A waiting job as stored, its photo aside."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT task_name, queue_name, priority, lock, scheduled_at, args - 'photo_id', "
                "args ->> 'photo_id' = substr(queueing_lock, 7) "
                "FROM procrastinate_jobs WHERE queueing_lock = :lock AND status = 'todo'"
            ),
            {"lock": lock},
        ).one()
    assert tuple(row)[:2] == (queue.TASK, queue.QUEUE)
    return tuple(row)


@pytest.mark.postgres
def test_a_photo_named_twice_is_queued_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "DEFER_BATCH", 2)  # photos 1-2, 3-4 and 5: a statement each
    with engine.begin() as connection:
        begun = savepoints(connection)
        assert defer_all_in_transaction(connection, [3, 1, 3, 5, 1, 2, 4, 5]) == [1, 2, 3, 4, 5]
        assert len(begun) == 3
    assert jobs(engine) == [(f"photo-{i}", "todo") for i in (1, 2, 3, 4, 5)]


def wait_for_a_lock_wait(engine: Engine) -> None:
    """Until a session of the database waits for a lock (the batch, for the other's job)."""
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            if waiting:
                return
            connection.rollback()  # the activity is read once a transaction
            time.sleep(0.05)
    raise AssertionError("the batch never waited for the other transaction's job")


def queue_beside(engine: Engine, other_commits: bool) -> tuple[list[int], list[str]]:
    """Photo 2 queued by another connection, not yet committed, while this one queues photos
    1-3 (so the query for waiting jobs does not see it); the other then commits or rolls back.
    Returns what this one queued and the savepoints it began."""

    def batch() -> tuple[list[int], list[str]]:
        with engine.begin() as connection:
            begun = savepoints(connection)
            queued = defer_all_in_transaction(connection, [1, 2, 3])
            marked(connection)
        return queued, begun

    with ThreadPoolExecutor(1) as runner, engine.connect() as other:
        other_transaction = other.begin()
        assert defer_in_transaction(other, 2)
        outcome = runner.submit(batch)
        wait_for_a_lock_wait(engine)
        if other_commits:
            other_transaction.commit()
        else:
            other_transaction.rollback()
        return outcome.result(timeout=30)


@pytest.mark.postgres
def test_a_job_queued_meanwhile_by_another_connection_refuses_only_that_photo(
    engine: Engine,
) -> None:
    queued, begun = queue_beside(engine, other_commits=True)
    assert queued == [1, 3]  # photo 2's job waits: the other's
    assert len(begun) == 4  # the batch refused, then one at a time
    assert jobs(engine) == [("photo-1", "todo"), ("photo-2", "todo"), ("photo-3", "todo")]
    assert marks(engine) == 1  # the caller's transaction went on and committed


@pytest.mark.postgres
def test_a_job_the_other_connection_took_back_is_queued_by_the_batch(engine: Engine) -> None:
    queued, begun = queue_beside(engine, other_commits=False)
    assert queued == [1, 2, 3]
    assert len(begun) == 1
    assert jobs(engine) == [("photo-1", "todo"), ("photo-2", "todo"), ("photo-3", "todo")]
    assert marks(engine) == 1


def test_a_retry_with_a_job_still_waiting_retries_every_photo(service: Service) -> None:
    """A retry's photos are queued together; one whose job still waits (not yet taken by a
    worker) is retried all the same, with its event, and keeps its one waiting job."""
    if service.context.engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue is the PostgreSQL deployment's")
    service.upload_pages(KODE, {p: synthetic_jpeg(80 + p) for p in (1, 2, 3)})
    assert processor(service, crashing).run_until_idle(now) == 3
    with service.context.engine.begin() as connection:  # the jobs of photos 1 and 3 have run
        connection.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'succeeded' "
                "WHERE queueing_lock IN ('photo-1', 'photo-3')"
            )
        )
    answer = service.client.post(
        "/api/v1/photos/retry",
        json={"reason": "reader fixed", "all_failed": True},
        headers={"Authorization": f"Bearer {service.admin_token}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["retried"] == [1, 2, 3]
    assert [i for i, _, _ in retried_events(service)] == [1, 2, 3]
    assert queued(service) == [
        ("photo-1", "succeeded"),
        ("photo-1", "todo"),
        ("photo-2", "todo"),
        ("photo-3", "succeeded"),
        ("photo-3", "todo"),
    ]


def test_a_group_commit_of_uploads_queues_each_new_photo_once(service: Service) -> None:
    """The photos one transaction records (a group commit) are queued together: each new one
    once, a photo sent twice in the batch once, and a batch of photos already stored none."""
    if service.context.engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue is the PostgreSQL deployment's")
    at = now()
    accounts = service.context.accounts
    officer, _ = accounts.enrol("KPPS batch", Role.OFFICER, KODE, at, "test")
    key = Ed25519PrivateKey.generate()
    device = accounts.register_device(officer, raw_public(key.public_key()), at)
    arrivals = []
    for page in (1, 2, 3):
        checked = check_photo(synthetic_jpeg(40 + page))
        assert isinstance(checked, CheckedPhoto)
        upload = Upload(KODE, "ppwp", page, at, device, b"\0" * 64, checked)
        arrivals.append(Arrival(officer, upload, at))
    sent_again = Arrival(officer, arrivals[0].upload, at)  # the same photo, a second request
    receipts = service.context.photos.receive_many([*arrivals, sent_again])
    assert [r.duplicate for r in receipts] == [False, False, False, True]
    wanted = sorted((f"photo-{r.photo_id}", "todo") for r in receipts[:3])
    assert jobs(service.context.engine) == wanted
    again = service.context.photos.receive_many(arrivals)
    assert all(r.duplicate for r in again)
    assert jobs(service.context.engine) == wanted
