"""The last step of a photo's life: published, when a snapshot has released its numbers.

``rekap publish`` reads which photos it is about to publish (accepted or verified) together
with the results, writes the snapshot, and then, in the transaction that logs the snapshot,
moves exactly those photos to ``published``: each only if it is still in the state it had
when the snapshot read it, so a photo that was re-read or sent to verification meanwhile is
left for the next snapshot. One ``photo.state_changed`` event per photo; the tally's
coverage (``published``) changes in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, bindparam, select, update

from rekap.adapters.storage.engine import reader
from rekap.adapters.storage.event_store import Entry, EventLog
from rekap.adapters.storage.schema import photo
from rekap.adapters.storage.tally_store import LiveTally
from rekap.capture.states import PhotoState, check_transition
from rekap.events.model import PhotoStateChanged

PUBLISHABLE = (PhotoState.ACCEPTED.value, PhotoState.VERIFIED.value)
PUBLISHER = "rekap publish"

PhotoRef = tuple[int, str, str]
"""(photo id, TPS code, state when the snapshot read it)."""


def publishable(engine: Engine, contest: str) -> list[PhotoRef]:
    """Every photo whose numbers a snapshot taken now would publish."""
    query = (
        select(photo.c.id, photo.c.kode_tps, photo.c.state)
        .where(photo.c.contest == contest, photo.c.state.in_(PUBLISHABLE))
        .order_by(photo.c.id)
    )
    with reader(engine) as connection:
        return [(int(i), str(k), str(s)) for i, k, s in connection.execute(query)]


def mark_published(
    connection: Connection,
    contest: str,
    photos: Sequence[PhotoRef],
    at: datetime,
    detail: str,
) -> int:
    """Move the photos read for a snapshot to ``published``; returns how many moved."""
    change = (
        update(photo)
        .where(photo.c.id == bindparam("photo_id"), photo.c.state == bindparam("before"))
        .values(state=PhotoState.PUBLISHED.value)
    )
    moved: list[Entry] = []
    codes: set[str] = set()
    for photo_id, kode_tps, before in photos:
        check_transition(PhotoState(before), PhotoState.PUBLISHED)
        if connection.execute(change, {"photo_id": photo_id, "before": before}).rowcount:
            after = PhotoState.PUBLISHED.value
            event = PhotoStateChanged(kode_tps, photo_id, before, after, detail)
            moved.append(Entry(event, at, PUBLISHER, detail))
            codes.add(kode_tps)
    EventLog(connection.engine).append_each(connection, moved)
    LiveTally(connection.engine).refresh_in(connection, contest, codes)
    return len(moved)
