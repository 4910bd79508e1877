"""When a TPS's photos were taken (as the phone says) and received: what the rules on photo
times read (``W-FOTO-DINI``, ``W-FOTO-JAM``). A photo that failed (not a form) says nothing of
the TPS."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

PhotoTimes = tuple[tuple[datetime, datetime], ...]
"""(taken, received) of each photo, in time order."""


def stored_time(stored: str) -> datetime:
    """A stored time (ISO 8601; one stored without a zone is UTC)."""
    found = datetime.fromisoformat(stored)
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def photo_times(rows: Iterable[tuple[str, str]]) -> PhotoTimes:
    """The (taken, received) times of stored photos, as stored text, in time order."""
    return tuple(sorted((stored_time(taken), stored_time(got)) for taken, got in rows))


def split(times: PhotoTimes) -> tuple[tuple[datetime, ...], tuple[datetime, ...]]:
    """``captured_at`` and ``received_at`` of a ``TpsResult``."""
    return tuple(taken for taken, _ in times), tuple(got for _, got in times)
