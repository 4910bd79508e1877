"""A photo whose file the store has lost (deleted, a backup restored without it): its routes
answer 410 ``photo_missing`` saying so (they answered a bare 500), the worker fails it once as
``lost_from_store`` (never retaken for ever), and once the file is put back `rekap photos
retry --all-failed` has it read."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.photo_store import StoreUnavailable
from rekap.adapters.processing import PhotoProcessor
from rekap.adapters.storage.schema import photo
from rekap.cli.main import app
from rekap.reading.result import PageReading
from rekap.services.photo_failures import DAMAGED_IN_STORE, processing_failed
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Service
from tests.service.test_photo_retry import KODE, not_a_form, processor, queued, states


def now() -> datetime:
    return datetime.now(UTC)


def test_a_photo_lost_from_the_store_is_said_missing_failed_once_and_retried(
    service: Service,
) -> None:
    data = synthetic_jpeg(41)
    service.upload_pages(KODE, {1: data})
    files = service.context.files
    assert isinstance(files, LocalPhotoStore)
    sha256 = hashlib.sha256(data).hexdigest()
    path = files.path(sha256, ".jpg")
    path.unlink()

    for url in ("/api/v1/photos/1", f"/api/v1/photos/sha256/{sha256}", "/foto/1/kecil.jpg"):
        answer = service.client.get(url)
        assert answer.status_code == 410, (url, answer.status_code, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "photo_missing" and "lost the file" in error["message"]
        assert error["details"] == {"reason": "missing", "sha256": sha256}
        assert "max-age" not in answer.headers.get("cache-control", "")

    read: list[bytes] = []

    def reading(photo: bytes, page: int) -> PageReading:
        read.append(photo)
        return not_a_form(photo, page)

    worker = processor(service, reading)
    assert worker.run_until_idle(now) == 1  # failed once, not left claimed to loop
    [(state, reason)] = states(service).values()
    assert state == "failed" and "lost its file" in reason and read == []
    said = (
        CliRunner().invoke(app, ["photos", "failed", "--json", "--db", service.database_url]).output
    )
    [listed] = [json.loads(line) for line in said.splitlines() if line.startswith("{")]
    assert listed["kind"] == "lost_from_store"

    path.write_bytes(data)  # put back from a copy
    result = CliRunner().invoke(
        app,
        ["photos", "retry", "--all-failed", "--reason", "restored", "--db", service.database_url],
    )
    assert result.exit_code == 0, result.output
    assert worker.run_until_idle(now) == 1
    assert read == [data]
    assert service.client.get("/api/v1/photos/1").content == data


def test_the_officer_sending_a_lost_photo_again_has_it_read(service: Service) -> None:
    """The officer's resend of a photo the store lost was the photo already received: answered
    with its receipt, its file stored again, but left failed for ever (only an operator could
    retry it). It now goes back to be processed, logged as the officer's."""
    data = synthetic_jpeg(42)
    officer = service.upload_pages(KODE, {2: data})
    files = service.context.files
    assert isinstance(files, LocalPhotoStore)
    files.path(hashlib.sha256(data).hexdigest(), ".jpg").unlink()
    worker = processor(service, not_a_form)
    assert worker.run_until_idle(now) == 1
    assert "lost its file" in states(service)[1][1]

    answer = service.client.post(
        f"/api/v1/tps/{KODE}/photos",
        files={"photo": ("p.jpg", data, "image/jpeg")},
        data=officer.form_for(data, 2),
        headers=officer.headers,
    )
    assert answer.status_code == 200 and answer.json()["duplicate"], answer.text
    assert states(service) == {1: ("received", "")}
    [revived] = [
        r
        for r in service.context.log.records()
        if r.kind == "photo.state_changed" and r.payload["before"] == "failed"
    ]
    assert revived.payload["after"] == "received" and revived.actor != "reader"
    if service.context.engine.dialect.name == "postgresql":
        assert ("photo-1", "todo") in queued(service)  # its job queued again
    assert worker.run_until_idle(now) == 1
    assert states(service) == {1: ("failed", "not_a_form: no fiducials")}  # read this time

    again = service.client.post(  # refused for what it is: a resend changes nothing
        f"/api/v1/tps/{KODE}/photos",
        files={"photo": ("p.jpg", data, "image/jpeg")},
        data=officer.form_for(data, 2),
        headers=officer.headers,
    )
    assert again.status_code == 200
    assert states(service) == {1: ("failed", "not_a_form: no fiducials")}


def test_a_resend_leaves_a_photo_whose_file_is_damaged_failed(service: Service) -> None:
    """A file still there with other bytes is not written again by a resend (the store keeps
    a file it holds): reviving the photo would fail it again and again, each time logged."""
    data = synthetic_jpeg(43)
    officer = service.upload_pages(KODE, {2: data})
    damaged = processing_failed(f"PhotoCorrupted: {DAMAGED_IN_STORE}")
    with service.context.engine.begin() as connection:  # as a worker fails a damaged file
        connection.execute(update(photo).values(state="failed", reason=damaged))
    before = states(service)[1]
    assert before == ("failed", damaged)
    answer = service.client.post(
        f"/api/v1/tps/{KODE}/photos",
        files={"photo": ("p.jpg", data, "image/jpeg")},
        data=officer.form_for(data, 2),
        headers=officer.headers,
    )
    assert answer.status_code == 200, answer.text
    assert states(service)[1] == before


def test_a_file_the_store_cannot_give_is_failed_after_a_few_tries(service: Service) -> None:
    """The photo folder readable, but this photo's file not (here a folder under its name, as
    a damaged file system leaves): it was taken again every claim timeout for ever, unseen.
    After three tries it is failed visibly, retried once the file is put right; a store that
    does not answer at all (the folder gone) costs no photo its tries."""
    data = synthetic_jpeg(43)
    service.upload_pages(KODE, {3: data})
    files = service.context.files
    assert isinstance(files, LocalPhotoStore)
    path = files.path(hashlib.sha256(data).hexdigest(), ".jpg")
    path.unlink()
    path.mkdir()
    worker = processor(service, not_a_form)
    at = now()
    clock = [at]

    def tries(count: int, error: type[OSError]) -> None:
        for _ in range(count):
            clock[0] += timedelta(minutes=10)  # each try after the last one's claim timeout
            with pytest.raises(error):
                worker.process_next(lambda: clock[0])

    files.root.rename(files.root.with_name("away"))  # the whole store away: nothing counted
    tries(5, StoreUnavailable)
    assert states(service)[1][0] == "received"
    files.root.with_name("away").rename(files.root)
    tries(2, IsADirectoryError)
    assert states(service)[1][0] == "received"  # two tries: still waiting
    assert worker.process_next(lambda: clock[0] + timedelta(minutes=10))  # the third: failed
    [(state, reason)] = states(service).values()
    assert state == "failed" and "cannot give its file (3 tries)" in reason, reason
    assert str(files.root) not in reason  # the reason is public: no server path in it

    path.rmdir()
    path.write_bytes(data)
    result = CliRunner().invoke(
        app,
        ["photos", "retry", "--all-failed", "--reason", "file fixed", "--db", service.database_url],
    )
    assert result.exit_code == 0, result.output
    assert worker.run_until_idle(lambda: at + timedelta(hours=3)) == 1
    assert states(service) == {1: ("failed", "not_a_form: no fiducials")}


def test_the_tries_are_counted_on_the_photo_whichever_worker_made_them(
    service: Service,
) -> None:
    """The three tries were counted by each worker in memory: three per worker, begun again
    at every restart, so a photo the store would not give could be taken again for ever by
    workers that restart (or three times as often with three of them). They are now counted
    on the photo: three in all; a try the store answers starts the count again."""
    data = synthetic_jpeg(44)
    service.upload_pages(KODE, {3: data})
    files = service.context.files
    assert isinstance(files, LocalPhotoStore)
    path = files.path(hashlib.sha256(data).hexdigest(), ".jpg")
    clock = [now()]

    def new_worker() -> PhotoProcessor:  # a worker restarted, or another one
        clock[0] += timedelta(minutes=10)  # each try after the last one's claim timeout
        return processor(service, not_a_form)

    def misses() -> int:
        with service.context.engine.connect() as connection:
            return int(connection.execute(select(photo.c.store_misses)).scalar_one())

    def refused_twice() -> None:
        path.unlink()
        path.mkdir()  # a file the store cannot give while it answers
        for _ in range(2):
            with pytest.raises(IsADirectoryError):
                new_worker().process_next(lambda: clock[0])
        assert states(service)[1][0] == "received"

    refused_twice()
    assert misses() == 2
    path.rmdir()
    path.write_bytes(data)  # the store gives it, but its outcome meets the database away
    worker = new_worker()
    worker.finish = lambda *_args: (_ for _ in ()).throw(  # type: ignore[method-assign]
        OperationalError("UPDATE photo", {}, ConnectionError("the database went away"))
    )
    with pytest.raises(OperationalError):
        worker.process_next(lambda: clock[0])
    assert states(service)[1][0] == "received" and misses() == 0  # counted from none again
    refused_twice()
    new_worker().process_next(lambda: clock[0])  # the third in a row, by a third worker
    [(state, reason)] = states(service).values()
    assert state == "failed" and "cannot give its file (3 tries)" in reason, reason
    assert misses() == 0  # a retried photo starts with none
