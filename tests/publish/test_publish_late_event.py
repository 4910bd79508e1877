"""A publication that switched `latest` but ended before recording `snapshot.published`
(killed, the database away): the next publication records it, once, with the reason; a
snapshot another database published is left alone. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.schema import event
from rekap.adapters.storage.snapshot_events import record_published
from rekap.cli.main import app
from rekap.events.model import SnapshotPublished
from rekap.publish.previous import checked_previous
from tests.publish.test_publish_log_db import _imported, _publish, runner

NOW = datetime(2024, 2, 22, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("publishing_in_2100")


def _published(database_url: str) -> list[tuple[str, str]]:
    engine = open_engine(database_url)
    try:
        return [
            (str(r.payload["snapshot"]), r.reason)
            for r in EventLog(engine).records()
            if r.kind == "snapshot.published"
        ]
    finally:
        engine.dispose()


def _forget_last_event(database_url: str) -> None:
    """The state a publication killed right after its switch leaves: no event for it."""
    engine = open_engine(database_url)
    with engine.begin() as connection:
        head = EventLog(engine).head(connection)
        assert head is not None and head.kind == "snapshot.published"
        connection.execute(delete(event).where(event.c.sequence == head.sequence))
    engine.dispose()


def test_the_next_publication_records_a_switch_left_unrecorded(
    database_url: str, tmp_path: Path
) -> None:
    _imported(database_url).dispose()
    first = _publish(database_url, tmp_path / "out")
    _forget_last_event(database_url)
    assert _published(database_url) == []
    second = _publish(database_url, tmp_path / "out", at="2099-02-21T06:00:00+00:00")
    recorded = _published(database_url)
    assert [snapshot for snapshot, _ in recorded] == [first.name, second.name]
    assert "recorded late" in recorded[0][1]
    verified = runner.invoke(app, ["log", "verify", "--db", database_url])
    assert verified.exit_code == 0, verified.output
    _publish(database_url, tmp_path / "out", at="2099-02-22T06:00:00+00:00")
    assert len(_published(database_url)) == 3  # recorded once, not again


def test_a_snapshot_of_another_database_is_left_alone(database_url: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    _imported(other).dispose()
    _publish(other, tmp_path / "out")
    _imported(database_url).dispose()
    _publish(database_url, tmp_path / "out", "2099-02-21T06:00:00+00:00", "--new-log")
    assert len(_published(database_url)) == 1  # its own only


def test_a_snapshot_is_recorded_once_whoever_records_it(database_url: str, tmp_path: Path) -> None:
    """The publication that switched may still be recording its event when the next one
    starts and records it late: whichever comes second records nothing."""
    _imported(database_url).dispose()
    folder = _publish(database_url, tmp_path / "out")
    engine = open_engine(database_url)
    log = EventLog(engine)
    (first,) = [r for r in log.records() if r.kind == "snapshot.published"]
    again = SnapshotPublished(first.payload["snapshot"], first.payload["manifest_sha256"])
    elsewhere = SnapshotPublished(folder.name, "0" * 64)  # the same id, another manifest
    with engine.begin() as connection:
        assert not record_published(connection, log, again, 0, NOW, "t", "again")
        assert record_published(connection, log, elsewhere, 0, NOW, "t", "elsewhere")
    assert len(_published(database_url)) == 2
    engine.dispose()


def test_a_snapshot_this_key_did_not_sign_is_not_recorded(
    database_url: str, tmp_path: Path
) -> None:
    _imported(database_url).dispose()
    first = _publish(database_url, tmp_path / "out")
    _forget_last_event(database_url)
    manifest = first / "manifest.json"
    manifest.write_bytes(manifest.read_bytes() + b"\n")  # its signature no longer holds
    # refused as signed by another key, unless --new-key says to go on
    args = ["--out", str(tmp_path / "out"), "--scope", "3101", "--workers", "1"]
    args += ["--key", str(tmp_path / "key.pem"), "--at", "2099-02-21T06:00:00+00:00"]
    refused = runner.invoke(app, ["publish", *args, "--db", database_url])
    assert refused.exit_code == 2, refused.output
    _publish(database_url, tmp_path / "out", "2099-02-21T06:00:00+00:00", "--new-key")
    assert first.name not in [snapshot for snapshot, _ in _published(database_url)]


@pytest.mark.parametrize("sequence", [2**64, -1, 0, True, "5"])
def test_a_head_beyond_any_log_is_no_head(sequence: object) -> None:
    manifest = json.dumps(
        {"snapshot_id": "x", "log_head": {"sequence": sequence, "hash": "ab"}}
    ).encode()
    assert checked_previous("x", manifest, None, "ppwp").log_head is None
