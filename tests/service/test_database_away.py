"""An upload while the database refuses connections (a restart, a failover, a disk full) is
answered 503 ``database_unavailable`` with ``Retry-After``: nothing was recorded and the phone
sends it again later. It was a bare 500 "internal error", which says neither."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.integration.conftest import POSTGRES_ADMIN_URL
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Service

KODE = "7471011007001"


def allow_connections(service: Service, allowed: bool) -> None:
    name = make_url(service.database_url).database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        )
        if not allowed:  # every open connection of the service's pool is cut
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
    admin.dispose()


def test_an_upload_while_the_database_is_away_is_answered_503(service: Service) -> None:
    if service.context.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL server that refuses connections")
    officer = service.upload_pages(KODE, {1: synthetic_jpeg(61)})  # token and key now known
    data = synthetic_jpeg(62)

    def upload() -> tuple[int, dict[str, object], str]:
        answer = service.client.post(
            f"/api/v1/tps/{KODE}/photos",
            files={"photo": ("p.jpg", data, "image/jpeg")},
            data=officer.form_for(data, 2),
            headers=officer.headers,
        )
        return answer.status_code, answer.json(), answer.headers.get("retry-after", "")

    allow_connections(service, False)
    try:
        code, body, retry_after = upload()
    finally:
        allow_connections(service, True)
    assert code == 503, body
    error = body["error"]
    assert isinstance(error, dict) and error["code"] == "database_unavailable"
    assert error["details"] == {"reason": "database_error", "retry_after_s": 30}
    assert retry_after == "30"
    code, body, _ = upload()  # the phone sends it again once the database is back
    assert code == 201, body
    assert len(service.context.photos.states(KODE)) == 2


def test_a_table_missing_from_sqlite_is_an_internal_error_not_a_wait(service: Service) -> None:
    """SQLite names a missing table with the same error class as a lock: waiting never mends
    it, so it is no 503 'try again later'."""
    if service.context.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's OperationalError for a missing table")
    with service.context.engine.begin() as connection:
        connection.execute(text("ALTER TABLE photo RENAME TO photo_gone"))
    answer = service.client.get(
        f"/api/v1/tps/{KODE}/photos", headers={"Authorization": f"Bearer {service.admin_token}"}
    )
    assert answer.status_code == 500, answer.text
    assert answer.json()["error"]["code"] == "internal"
