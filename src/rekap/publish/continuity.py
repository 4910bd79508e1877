"""Whether a new snapshot may follow the previous one: its change log continues the previous
snapshot's, and its time is not before it.

A snapshot names the change-log position it reflects (``log_head``). The next one, published
over it, must come from a log that holds that very event (same sequence, same hash): otherwise
its diff compares two unrelated databases (a mistyped ``--db`` reads as every result gone) and
``latest`` moves to a log that does not continue the one already published. And a snapshot is
never older than the previous one, nor than the newest event it reflects, nor later than the
publishing machine's clock: ``latest`` names the newest snapshot, and a snapshot's time is when
its numbers were known (a time still to come would claim numbers not yet known, and would
refuse every later publication until that time).

The checks return refusals (data) for the caller to report; they read nothing themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rekap.publish.records import PreviousSnapshot

LOG_NOT_CONTINUED = "log-not-continued"
BEFORE_PREVIOUS = "before-previous"
BEFORE_LOG_HEAD = "before-log-head"
AFTER_NOW = "after-now"


@dataclass(frozen=True)
class Refusal:
    """Why a snapshot may not be published over the previous one: a stable id and a message."""

    reason: str
    message: str


def log_continues(
    previous: PreviousSnapshot | None, hash_at: Callable[[int], str | None]
) -> Refusal | None:
    """None when the log that ``hash_at`` reads (the hash of its event of a sequence, None
    when it has none) holds the previous snapshot's log head; a refusal otherwise. A previous
    snapshot that names no head (nothing logged) is continued by any log."""
    if previous is None or previous.log_head is None:
        return None
    sequence, expected = previous.log_head
    found = hash_at(sequence)
    if found == expected:
        return None
    held = "has no such event" if found is None else f"has another event there ({found[:12]}…)"
    return Refusal(
        LOG_NOT_CONTINUED,
        f"the previous snapshot {previous.snapshot_id} reflects the change log up to event "
        f"{sequence} ({expected[:12]}…); this database's log {held}: it is not the database "
        "that snapshot was published from",
    )


def _created_at(previous: PreviousSnapshot) -> datetime | None:
    try:
        document = json.loads(previous.manifest)
        created = datetime.fromisoformat(document["created_at"])
    except (ValueError, TypeError, KeyError):
        return None
    return created if created.tzinfo is not None else None


def time_follows(
    created: datetime, previous: PreviousSnapshot | None, head_at: datetime | None, now: datetime
) -> Refusal | None:
    """None when ``created`` is no earlier than the previous snapshot's ``created_at`` (as its
    manifest gives it) and than ``head_at``, the time of the newest event the snapshot
    reflects (None: nothing logged), and no later than ``now``; a refusal otherwise."""
    if created > now:
        return Refusal(
            AFTER_NOW,
            f"the snapshot time {created.isoformat()} is after this machine's time "
            f"({now.isoformat(timespec='seconds')}): a snapshot cannot reflect results of a "
            "time still to come",
        )
    before = None if previous is None else _created_at(previous)
    if before is not None and created < before:
        assert previous is not None
        return Refusal(
            BEFORE_PREVIOUS,
            f"the snapshot time {created.isoformat()} is before that of the previous snapshot "
            f"{previous.snapshot_id} ({before.isoformat()})",
        )
    if head_at is not None and created < head_at:
        return Refusal(
            BEFORE_LOG_HEAD,
            f"the snapshot time {created.isoformat()} is before the newest event it reflects "
            f"({head_at.isoformat()})",
        )
    return None
