"""The portal's fixtures: one real dataset per test process, the app over it, and (for the
browser tests) a uvicorn server on a free port of 127.0.0.1 and Debian's Chromium."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import delete

from rekap.adapters.storage.schema import verification_hold
from rekap.web.app import create_app
from tests.web.browsing import Tab
from tests.web.dataset import Dataset, build_dataset

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytest.importorskip("rekap.reading.digits")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here shares the dataset: keep them in one xdist worker (built once)."""
    for item in items:
        if "tests/web/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.xdist_group("web"))


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return build_dataset(tmp_path_factory.mktemp("portal"))


@pytest.fixture(scope="session")
def app(dataset: Dataset) -> FastAPI:
    return create_app(dataset.context, dataset.settings())


@pytest.fixture
def plain_draw(dataset: Dataset) -> Iterator[None]:
    """The oldest form with a place is handed out (not one drawn at random among the oldest):
    for a test that says which form each person is handed."""
    store = dataset.context.verification
    among = store.among
    store.among = 1
    try:
        yield
    finally:
        store.among = among


@pytest.fixture
def people(dataset: Dataset) -> Iterator[list[str]]:
    """The accounts a test enrols (their ids, appended by the test): their holds are let go
    afterwards, so that the other tests of the dataset find every form's places as they
    expect."""
    enrolled: list[str] = []
    yield enrolled
    with dataset.context.engine.begin() as connection:
        connection.execute(
            delete(verification_hold).where(verification_hold.c.account_id.in_(enrolled))
        )


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A fresh client (no cookies) per test, over the one app."""
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(dataset: Dataset) -> Iterator[str]:
    """The real service over HTTP, as a phone would reach it."""
    port = free_port()
    app = create_app(dataset.context, dataset.settings())
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright (never a downloaded browser build)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def tab(browser: Browser, server: str) -> Iterator[Tab]:
    """A phone-sized page of its own (no cookies), collecting console errors."""
    context = browser.new_context(base_url=server, viewport={"width": 412, "height": 915})
    yield Tab.open(context)
    context.close()
