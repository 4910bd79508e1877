"""A publication that switched `latest` but ended before recording `snapshot.published`
(killed, the database away): the next publication records it, once, with the reason; a
snapshot another database published is left alone. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.schema import event
from rekap.cli.main import app
from tests.publish.test_publish_log_db import _imported, _publish, runner


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
    second = _publish(database_url, tmp_path / "out", at="2024-02-21T06:00:00+00:00")
    recorded = _published(database_url)
    assert [snapshot for snapshot, _ in recorded] == [first.name, second.name]
    assert "recorded late" in recorded[0][1]
    verified = runner.invoke(app, ["log", "verify", "--db", database_url])
    assert verified.exit_code == 0, verified.output
    _publish(database_url, tmp_path / "out", at="2024-02-22T06:00:00+00:00")
    assert len(_published(database_url)) == 3  # recorded once, not again


def test_a_snapshot_of_another_database_is_left_alone(database_url: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    _imported(other).dispose()
    _publish(other, tmp_path / "out")
    _imported(database_url).dispose()
    _publish(database_url, tmp_path / "out", at="2024-02-21T06:00:00+00:00")
    assert len(_published(database_url)) == 1  # its own only
