"""`rekap serve` publishes the snapshot folders under /data/snapshots/ (with `latest`): a
recount of that address, through the real service over HTTP, agrees with the folder's."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from rekap.adapters.keys import load_or_create
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.recount.problems import Kind
from rekap.recount.remote import recount_url
from rekap.recount.run import recount
from rekap.web.app import create_app
from rekap.web.context import AppContext
from rekap.web.portal.settings import PortalSettings
from tests.publish.conftest import Publisher, make_records


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[str]:
    """The service on a free port of 127.0.0.1 (SQLite), serving ``tmp_path/out``."""
    engine = open_engine(f"sqlite:///{tmp_path / 'rekap.db'}")
    upgrade(engine)
    context = AppContext(
        engine, load_or_create(tmp_path / "server.pem"), LocalPhotoStore(tmp_path / "photos")
    )
    app = create_app(context, PortalSettings(snapshots=tmp_path / "out"))
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listening.close()
        engine.dispose()


def test_a_recount_through_rekap_serve_agrees(portal: str, publish_small: Publisher) -> None:
    snapshot = Path(publish_small(make_records(3)).location)
    report = recount_url(f"{portal}/data/snapshots/", workers=1, deep=True)
    assert report.ok, [str(p) for p in report.problems]
    assert report.snapshot == f"{portal}/data/snapshots/{snapshot.name}/"
    assert report.checked == recount(snapshot, workers=1, deep=True).checked
    (snapshot / "pemilu/hhcw/ppwp/11.json").unlink()
    missing = recount_url(f"{portal}/data/snapshots", workers=1).problems
    assert [(p.kind, p.path) for p in missing] == [
        (Kind.MISSING, f"{report.snapshot}pemilu/hhcw/ppwp/11.json")
    ]
