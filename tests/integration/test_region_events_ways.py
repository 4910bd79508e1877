"""A region's events read either way (found by the subject index, or by walking the log by its
position) are the events a plain filter gives, in order after a position and newest first
before one: on SQLite, on PostgreSQL, and on PostgreSQL sorting the subjects by a language's
rules (regions whose code ends in 9, and the last region of all, included)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import WALK_WINDOW, Direction, EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.events.chain import Recorded
from rekap.events.model import Event, PhotoStateChanged, SnapshotPublished
from tests.integration.conftest import _postgres_database
from tests.integration.test_region_events_collation import ENGLISH_SUBJECTS

AT = datetime(2024, 2, 14, 13, 0, tzinfo=UTC)
CODES = (
    "3179010001001",
    "3179020002002",
    "3179092009009",
    "3180010001001",
    "3101010001001",
    "7471011007001",
    "7471011007002",
    "9999010001001",
    "9999999999999",
)
PREFIXES = ("", "31", "3179", "317909", "3179092009", "3180", "7471", "747101", "99", "9999")
EVENTS = 90
WAYS = (None, True, False)  # by the code's length, by walking the log, by the subject index
WINDOWS = (1, 2, 7, 30, WALK_WINDOW)
"""How far a walk may go before the subject index fills the rest of the page: from almost
nowhere to past the whole log."""


@pytest.fixture(params=["sqlite", "postgresql", "postgresql-english"])
def log(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventLog]:
    """A log of ``EVENTS`` events about the TPS of ``CODES`` in a seeded order, one event that
    names no TPS among them, on each kind of database."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('ways') / 'rekap.db'}"])
    else:
        urls = _postgres_database()
    for url in urls:
        engine = open_engine(url)
        try:
            upgrade(engine)
            if request.param == "postgresql-english":
                with engine.begin() as connection:
                    connection.execute(text(ENGLISH_SUBJECTS))
            event_log = EventLog(engine)
            draw = random.Random(2024)
            with engine.begin() as connection:
                events: list[Event] = [
                    PhotoStateChanged(draw.choice(CODES), n, "a", "b", "") for n in range(EVENTS)
                ]
                event_log.append(connection, events, AT, "reader", "read")
                published = SnapshotPublished("s1", "sha")
                event_log.append(connection, [published], AT, "publisher", "publish")
            yield event_log
        finally:
            engine.dispose()


def _about(record: Recorded, prefix: str) -> bool:
    return record.sequence <= EVENTS and str(record.payload["kode_tps"]).startswith(prefix)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(PREFIXES),
    st.integers(0, EVENTS + 2),
    st.integers(1, 12),
    st.sampled_from(WAYS),
    st.sampled_from(WINDOWS),
)
def test_every_way_reads_what_a_plain_filter_gives(
    log: EventLog, prefix: str, position: int, limit: int, spread: bool | None, window: int
) -> None:
    everything = list(log.records())
    assert len(everything) == EVENTS + 1
    # the nation's are every event; a region's, those about its TPS (not the last, about none)
    about = [r for r in everything if not prefix or _about(r, prefix)]
    after = [r for r in about if r.sequence > position][:limit]
    assert log.under(prefix, position, limit, Direction.FORWARDS, spread, window) == after
    before = [r for r in reversed(about) if r.sequence < position][:limit]
    assert log.under(prefix, position, limit, Direction.BACKWARDS, spread, window) == before
    newest = list(reversed(about))[:limit]
    assert log.under(prefix, None, limit, Direction.BACKWARDS, spread, window) == newest
    oldest = about[:limit]
    assert log.under(prefix, None, limit, Direction.FORWARDS, spread, window) == oldest
