"""Defects the security tests found, reproduced exactly; each was fixed and its test now
guards against its return (ids beyond the integer column, NUL bytes, Unicode digits, routes
inside included routers, concurrent log writers)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine, text

from rekap.events.model import AccountEnrolled
from rekap.web.access import UndeclaredAccess, check_every_route_declares_access
from tests.security.world import TPS_D, World

TOO_BIG = 2**70  # any integer beyond the database's integer column (2**31 on PostgreSQL)


def on_postgresql(world: World) -> bool:
    return world.context.engine.dialect.name == "postgresql"


def test_create_app_refuses_an_undeclared_route_in_a_router() -> None:
    router = APIRouter(prefix="/api/v1")

    @router.get("/undeclared")
    def undeclared() -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    with pytest.raises(UndeclaredAccess):
        check_every_route_declares_access(app)


TOO_BIG_IDS = [
    ("GET", f"/api/v1/photos/{TOO_BIG}", None),
    ("GET", f"/api/v1/log?after={TOO_BIG}", None),
    ("POST", f"/api/v1/verification/tasks/{TOO_BIG}/entries", "verifier_in"),
    ("POST", f"/verifikasi/tugas/{TOO_BIG}", "verifier_in"),
    ("GET", f"/petugas/kwitansi/{TOO_BIG}.json", "officer_a"),
    ("GET", f"/foto/{TOO_BIG}/kecil.jpg", None),
    ("GET", f"/foto/{TOO_BIG}/paslon_1.jpg", None),
]


@pytest.mark.parametrize(("method", "path", "caller"), TOO_BIG_IDS)
def test_an_id_too_big_for_the_database_is_not_a_server_error(
    world: World, method: str, path: str, caller: str | None
) -> None:
    headers = world.actors[caller].headers if caller else {}
    body: dict[str, object] | None = (
        {"values": {}} if path.startswith("/api/v1/verification") else None
    )
    answer = world.client.request(method, path, headers=headers, json=body)
    assert answer.status_code < 500


def test_a_nul_byte_in_a_snapshot_path_is_not_a_server_error(world: World) -> None:
    assert world.client.get("/data/snapshots/%00").status_code == 404


def test_a_nul_byte_in_a_tps_code_is_not_a_server_error(
    world: World, request: pytest.FixtureRequest
) -> None:
    assert world.client.get("/api/v1/tps/%00/history").status_code < 500


def test_a_nul_byte_in_an_account_name_is_not_a_server_error(
    world: World, request: pytest.FixtureRequest
) -> None:
    body = {"name": "nul\x00name", "role": "verifier", "scope": "33"}
    answer = world.client.post("/api/v1/accounts", json=body, headers=world.actors["admin"].headers)
    assert answer.status_code < 500


@pytest.mark.parametrize("where", ["field", "mulai"])
def test_a_unicode_digit_on_the_verifier_page_is_not_a_server_error(
    world: World, where: str
) -> None:
    form = {f.id: "1" for f in world.context.form.fields}
    if where == "field":
        form["paslon_1"] = "\u00b2"
    else:
        form["mulai"] = "\u00b2"
    task_id = world.tasks[TPS_D]
    answer = world.client.post(
        f"/verifikasi/tugas/{task_id}", data=form, headers=world.actors["verifier_in"].headers
    )
    assert answer.status_code < 500


def test_two_writers_extend_the_change_log_one_after_the_other(
    world: World, request: pytest.FixtureRequest
) -> None:
    """Two transactions append to the log at once: the second waits for the first and then
    chains after it. Found by bench/capture_uploads.py: on PostgreSQL, concurrent uploads
    answer 500 (``duplicate key value violates unique constraint "event_pkey"``)."""
    if not on_postgresql(world):
        pytest.skip("SQLite serialises writers itself; the lock in question is PostgreSQL's")
    engine = world.context.engine
    log = world.context.log
    at = datetime.now(UTC)
    failures: list[BaseException] = []

    def second_writer() -> None:
        try:
            with engine.begin() as connection:
                second = AccountEnrolled("b" * 16, "b", "verifier", "33")
                log.append(connection, [second], at, "b", "second writer")
        except BaseException as error:  # handed to the test's thread
            failures.append(error)

    with engine.connect() as first:
        transaction = first.begin()
        log.append(first, [AccountEnrolled("a" * 16, "a", "verifier", "33")], at, "a", "first")
        thread = threading.Thread(target=second_writer, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not _someone_waits_for_a_lock(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
        transaction.commit()
    thread.join(timeout=10)
    assert not thread.is_alive()
    if failures:
        raise failures[0]


def _someone_waits_for_a_lock(engine: Engine) -> bool:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one()) > 0
