"""``snapshot.published``, recorded once per snapshot made public: by the publication that
switched ``latest`` to it or, when that one ended (killed, the database away) before it
could, by the next publication, late. Both check, under the log's writer lock, that the
event is not there already (a publication may still be recording its own while the next
one starts)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from sqlalchemy import Connection, Engine, select

from rekap.adapters.keys import verify_signature
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.schema import event
from rekap.events.model import SnapshotPublished
from rekap.publish.records import PreviousSnapshot

LATE_REASON = "recorded late: the publication of snapshot {id} ended before recording it"


def recorded(connection: Connection, snapshot_id: str, manifest_sha256: str, after: int) -> bool:
    """Whether the log holds ``snapshot.published`` for this very snapshot (id and manifest:
    the same id may be published elsewhere too) after the event ``after``."""
    found = connection.execute(
        select(event.c.payload).where(
            event.c.kind == SnapshotPublished.kind, event.c.sequence > after
        )
    ).scalars()
    return any(
        isinstance(p, dict)
        and p.get("snapshot") == snapshot_id
        and p.get("manifest_sha256") == manifest_sha256
        for p in found
    )


def hash_at(connection: Connection, sequence: int) -> str | None:
    """The hash of the log's event ``sequence``; None when the log has none."""
    found = connection.execute(
        select(event.c.hash).where(event.c.sequence == sequence)
    ).scalar_one_or_none()
    return None if found is None else str(found)


def record_published(
    connection: Connection,
    log: EventLog,
    published: SnapshotPublished,
    after: int,
    at: datetime,
    actor: str,
    reason: str,
) -> bool:
    """Append ``published`` unless it is there already; the caller's transaction."""
    log.head(connection, lock=True)
    if recorded(connection, published.snapshot, published.manifest_sha256, after):
        return False
    log.append(connection, [published], at, actor, reason)
    return True


def signed_by(previous: PreviousSnapshot, public_raw: bytes) -> bool:
    """Whether ``manifest.sig`` is this key's signature of the manifest."""
    if previous.signature is None:
        return False
    try:
        signature = base64.b64decode(previous.signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return verify_signature(public_raw, previous.manifest, signature)


def record_if_missing(
    engine: Engine,
    previous: PreviousSnapshot | None,
    public_raw: bytes,
    at: datetime,
    actor: str,
) -> bool:
    """Record ``snapshot.published`` for ``previous`` (the snapshot ``latest`` names) when it
    is this publisher's (signed with its key), reflects this log (its manifest's head is an
    event of it, hash and all: one another database published is left alone), and the log
    has no such event after that head. True when it was recorded."""
    if previous is None or previous.log_head is None or not signed_by(previous, public_raw):
        return False
    sequence, head_hash = previous.log_head
    log = EventLog(engine)
    late = SnapshotPublished(previous.snapshot_id, previous.manifest_sha256)
    with engine.begin() as connection:
        log.head(connection, lock=True)
        if hash_at(connection, sequence) != head_hash:
            return False
        reason = LATE_REASON.format(id=previous.snapshot_id)
        return record_published(connection, log, late, sequence, at, actor, reason)
