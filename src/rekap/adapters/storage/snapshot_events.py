"""A publication's ``snapshot.published`` event, recorded late when the publication that
switched ``latest`` to its snapshot ended (killed, the database away) before recording it:
the next publication records it, so the log names every snapshot made public from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.schema import event
from rekap.events.model import SnapshotPublished
from rekap.publish.records import PreviousSnapshot

LATE_REASON = "recorded late: the publication of snapshot {id} ended before recording it"


def record_if_missing(
    engine: Engine, previous: PreviousSnapshot | None, at: datetime, actor: str
) -> bool:
    """Record ``snapshot.published`` for ``previous`` (the snapshot ``latest`` names) when
    the log has no such event and the snapshot reflects this log (its manifest's head is an
    event of it, hash and all: a snapshot published from another database is left alone).
    True when it was recorded."""
    if previous is None or previous.log_head is None:
        return False
    sequence, head_hash = previous.log_head
    log = EventLog(engine)
    with engine.begin() as connection:
        log.head(connection, lock=True)  # one writer at a time, as for any other event
        at_head = connection.execute(
            select(event.c.hash).where(event.c.sequence == sequence)
        ).scalar_one_or_none()
        if at_head != head_hash:
            return False
        published = connection.execute(
            select(event.c.payload).where(
                event.c.kind == SnapshotPublished.kind, event.c.sequence > sequence
            )
        ).scalars()
        if any(
            isinstance(p, dict) and p.get("snapshot") == previous.snapshot_id for p in published
        ):
            return False
        late = SnapshotPublished(previous.snapshot_id, previous.manifest_sha256)
        reason = LATE_REASON.format(id=previous.snapshot_id)
        log.append(connection, [late], at, actor, reason)
    return True
