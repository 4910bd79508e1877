"""The public routes that give a photo's bytes (by id, by SHA-256, the portal's thumbnail and
crops) answer 503 ``storage_unavailable`` while the photo store cannot be read (the endpoint
down, the bucket missing), as an upload does while it cannot store one: never a bare 500. The
operator reads the cause on the server's log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from rekap.adapters.keys import load_or_create
from rekap.adapters.photo_s3 import S3PhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.schema import photo
from rekap.web import storage_trouble
from rekap.web.app import create_app
from rekap.web.context import AppContext
from rekap.web.portal import PortalSettings
from tests.s3.test_processing_s3 import picture, receive, unreachable


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{tmp_path / 'rekap.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def client(engine: Engine, tmp_path: Path, files: S3PhotoStore) -> TestClient:
    context = AppContext(engine, load_or_create(tmp_path / "server.pem"), files)
    settings = PortalSettings(
        snapshots=tmp_path / "snapshots", refresh_seconds=0.0, rebuild_in_background=False
    )
    return TestClient(create_app(context, settings))


@pytest.mark.parametrize("trouble", ["the endpoint down", "the bucket missing"])
def test_a_photo_the_store_cannot_give_now_is_503(
    engine: Engine,
    tmp_path: Path,
    s3_client: Any,
    bucket: str,
    trouble: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data, checked = picture()
    S3PhotoStore(s3_client, bucket).put(checked.sha256, checked.format.suffix, data)
    receive(engine, tmp_path, checked)
    with engine.connect() as connection:
        photo_id = connection.execute(select(photo.c.id)).scalar_one()
    paths = (f"/api/v1/photos/{photo_id}", f"/api/v1/photos/sha256/{checked.sha256}")

    with client(engine, tmp_path, S3PhotoStore(s3_client, bucket)) as up:
        for path in paths:
            answer = up.get(path)
            assert answer.status_code == 200, answer.text
            assert answer.content == data

    away = (
        S3PhotoStore(unreachable(), bucket)
        if trouble == "the endpoint down"
        else S3PhotoStore(s3_client, f"{bucket}-gone")
    )
    monkeypatch.setattr(
        storage_trouble, "READ_TROUBLE", storage_trouble.StorageTrouble(0.0, "read", "rekap.web")
    )
    with client(engine, tmp_path, away) as down:
        for path in (*paths, f"/foto/{photo_id}/kecil.jpg", f"/foto/{photo_id}/dpt_l.jpg"):
            answer = down.get(path)
            assert answer.status_code == 503, (path, answer.text)
            error = answer.json()["error"]
            assert error["code"] == "storage_unavailable"
            assert error["details"] == {"reason": "storage_error", "retry_after_s": 60}
            assert answer.headers["Retry-After"] == "60"
            assert "max-age" not in answer.headers.get("Cache-Control", "")
    told = [r.getMessage() for r in caplog.records if r.name == "rekap.web"]
    assert told and all(f"s3://{away.bucket}/" in m for m in told)
    assert all("photos cannot be read" in m for m in told)
