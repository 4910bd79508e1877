"""A photo whose file the store has lost (deleted, a backup restored without it): its routes
answer 410 ``photo_missing`` saying so (they answered a bare 500), the worker fails it once as
``lost_from_store`` (never retaken for ever), and once the file is put back `rekap photos
retry --all-failed` has it read."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from typer.testing import CliRunner

from rekap.adapters.photo_files import LocalPhotoStore
from rekap.cli.main import app
from rekap.reading.result import PageReading
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Service
from tests.service.test_photo_retry import KODE, not_a_form, processor, states


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
