"""Account changes at the same moment, on SQLite and PostgreSQL: each takes the log's writer
lock before it reads what it checks, so two administrators disabling each other leave one,
and a device revoked twice at once is revoked (and logged) once. And the migration that
added revocation, down and up with data."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy import event as sqlalchemy_event

from rekap.adapters.keys import raw_public
from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import alembic_config, upgrade
from rekap.adapters.storage.schema import account, photo
from rekap.capture.access import Role

AT = datetime(2024, 2, 14, 20, tzinfo=UTC)


def _slow_after(engine: Engine, needle: str) -> None:
    """Each worker thread lingers 0.3 s after a statement containing ``needle``, inside its
    transaction: time for the other to read the same state, unless a lock keeps it out."""

    def linger(*args: Any) -> None:
        if needle in args[2] and threading.current_thread() is not threading.main_thread():
            time.sleep(0.3)

    sqlalchemy_event.listen(engine, "after_cursor_execute", linger)


def _at_once(*calls: Callable[[], object]) -> list[object]:
    found: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            found[i] = calls[i]()
        except Exception as error:
            found[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join(30)
    return found


def _store(database_url: str) -> AccountStore:
    engine = open_engine(database_url)
    upgrade(engine)
    return AccountStore(engine, EventLog(engine))


def test_two_administrators_disabling_each_other_leave_one(database_url: str) -> None:
    store = _store(database_url)
    first, _ = store.enrol("a", Role.ADMIN, "", AT, "t")
    second, _ = store.enrol("b", Role.ADMIN, "", AT, "t")
    _slow_after(store.engine, "account.role =")  # the count of enabled administrators
    found = _at_once(
        lambda: store.disable(second.account_id, AT, first.account_id, "x"),
        lambda: store.disable(first.account_id, AT, second.account_id, "x"),
    )
    query = select(account.c.id).where(account.c.role == "admin", account.c.disabled.is_(False))
    with store.engine.connect() as connection:
        assert len(connection.execute(query).all()) == 1, found
    assert sum(isinstance(f, Exception) for f in found) == 1
    store.engine.dispose()


def test_a_device_revoked_twice_at_once_is_revoked_once(database_url: str) -> None:
    store = _store(database_url)
    officer, _ = store.enrol("o", Role.OFFICER, "7471011001001", AT, "t")
    key = raw_public(Ed25519PrivateKey.generate().public_key())
    device_id = store.register_device(officer, key, AT)
    _slow_after(store.engine, "device.revoked_at")
    found = _at_once(
        lambda: store.revoke_device(device_id, AT, "a", "stolen"),
        lambda: store.revoke_device(device_id, AT, "b", "stolen"),
    )
    assert sorted(changed for changed, _ in found) == [False, True], found  # type: ignore[misc]
    kinds = [r.kind for r in store.log.records()]
    assert kinds.count("device.revoked") == 1
    assert kinds.count("account.token_reissued") == 1
    store.engine.dispose()


def test_the_revocation_column_comes_and_goes_with_photos_stored(database_url: str) -> None:
    """Migration 0006 down and up again while photos point at their devices (a rebuild of
    the device table would break their foreign keys on SQLite)."""
    store = _store(database_url)
    officer, _ = store.enrol("o", Role.OFFICER, "7471011001001", AT, "t")
    key = raw_public(Ed25519PrivateKey.generate().public_key())
    device_id = store.register_device(officer, key, AT)
    row = {
        "sha256": "ab" * 32,
        "kode_tps": "7471011001001",
        "contest": "ppwp",
        "page": 1,
        "format": "jpg",
        "width": 1,
        "height": 1,
        "captured_at": AT.isoformat(),
        "received_at": AT.isoformat(),
        "account_id": officer.account_id,
        "device_id": device_id,
        "device_signature": "00",
        "receipt_signature": "00",
        "state": "received",
        "reason": "",
    }
    with store.engine.begin() as connection:
        connection.execute(insert(photo).values(**row))
    config = alembic_config(store.engine)
    command.downgrade(config, "0005")
    assert "revoked_at" not in {c["name"] for c in inspect(store.engine).get_columns("device")}
    command.upgrade(config, "head")
    assert store.revoke_device(device_id, AT, "a", "lost")[0]
    with store.engine.connect() as connection:
        assert connection.execute(select(photo.c.device_id)).scalar_one() == device_id
    store.engine.dispose()
