"""A region's events on a PostgreSQL database sorted by a language's collation (a server
initialised with en_US.UTF-8, as many are): the range of TPS codes under a region must not
hang on how that collation sorts punctuation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import Direction, EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.events.model import PhotoStateChanged
from tests.integration.conftest import _postgres_database

AT = datetime(2024, 2, 14, 13, 0, tzinfo=UTC)
ENGLISH_SUBJECTS = 'ALTER TABLE event ALTER COLUMN subject TYPE VARCHAR(32) COLLATE "en-x-icu"'
CODES = ("3179010001001", "3179020002002", "3180010001001", "9999010001001", "3101010001001")


@pytest.fixture
def english_sorted() -> Iterator[Engine]:
    """A log whose subjects PostgreSQL sorts by English rules (ICU), holding one event about
    a TPS of each of ``CODES``."""
    for url in _postgres_database():
        engine = open_engine(url)
        try:
            upgrade(engine)
            with engine.begin() as connection:
                connection.execute(
                    text(
                        'ALTER TABLE event ALTER COLUMN subject TYPE VARCHAR(32) COLLATE "en-x-icu"'
                    )
                )
            log = EventLog(engine)
            with engine.begin() as connection:
                events = [
                    PhotoStateChanged(kode, number, "received", "failed", "unreadable")
                    for number, kode in enumerate(CODES, 1)
                ]
                log.append(connection, list(events), AT, "reader", "read")
            yield engine
        finally:
            engine.dispose()


def _subjects(log: EventLog, prefix: str) -> tuple[set[str], set[str]]:
    forwards = {str(r.payload["kode_tps"]) for r in log.under(prefix, 0, 100, Direction.FORWARDS)}
    backwards = {
        str(r.payload["kode_tps"]) for r in log.under(prefix, None, 100, Direction.BACKWARDS)
    }
    return forwards, backwards


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("3179", {"3179010001001", "3179020002002"}),  # its last digit a 9: '317:' was its end
        ("317901", {"3179010001001"}),
        ("99", {"9999010001001"}),  # nothing after it
        ("31", {"3179010001001", "3179020002002", "3180010001001", "3101010001001"}),
        ("3180", {"3180010001001"}),
    ],
)
def test_a_regions_events_are_found_whatever_its_last_digit(
    english_sorted: Engine, prefix: str, expected: set[str]
) -> None:
    forwards, backwards = _subjects(EventLog(english_sorted), prefix)
    assert forwards == expected
    assert backwards == expected
