"""The change log in the relational store: appended in the caller's transaction, read in order.

Appending takes the caller's open connection, so an event is committed with the change it
records or not at all. On PostgreSQL the last record is read ``FOR UPDATE`` so that two writers
cannot both extend the same head; SQLite serialises writers itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, func, insert, or_, select, text
from sqlalchemy.exc import IntegrityError

from rekap.adapters.storage.schema import event, log_head
from rekap.events.chain import Recorded, append
from rekap.events.heads import SignedHead, Signer, sign_head
from rekap.events.model import Event, ResultImported, ValueChanged

LOG_LOCK = 0x7265_6B61_7000  # "rekap" in hex: the advisory lock that serialises log writers

WALK_WINDOW = 200_000
"""How many events of the log a large region's read walks at most. Walking finds a busy
region's page in a few thousand events, but a large region gone quiet while the rest of the
nation reports (a provinsi done early, a monitor polling near the head) would have each read
walk every event since its last one: 0.3 s for 1 million events on SQLite, growing with the
log. Past the window the rest of the page comes from the subject index, which reads only the
region's own events. A region of ``SPREAD_TPS`` TPS fills a page of 100 within about 82,000
events of a national night's log, so a busy region stays within the window."""


class Direction(Enum):
    """Which way a region's events are read from a position: ``FORWARDS``, those after it,
    oldest first (the API's log, polled from where a monitor stopped); ``BACKWARDS``, those
    before it, newest first (the pages of changes). Its value is its step along the log."""

    FORWARDS = 1
    BACKWARDS = -1

    def past(self, position: int) -> ColumnElement[bool]:
        """The events past ``position`` this way: after it, or before it."""
        if self is Direction.FORWARDS:
            return event.c.sequence > position
        return event.c.sequence < position

    def up_to(self, position: int) -> ColumnElement[bool]:
        """The events not past ``position`` this way, it included: where a walk stops."""
        if self is Direction.FORWARDS:
            return event.c.sequence <= position
        return event.c.sequence >= position

    def order(self, position: ColumnElement[Any]) -> ColumnElement[Any]:
        """``position`` (an event's) sorted this way."""
        return position if self is Direction.FORWARDS else position.desc()


def _row_to_record(row: dict[str, object]) -> Recorded:
    return Recorded(
        sequence=int(str(row["sequence"])),
        kind=str(row["kind"]),
        at=datetime.fromisoformat(str(row["at"])),
        actor=str(row["actor"]),
        reason=str(row["reason"]),
        payload=dict(row["payload"]),  # type: ignore[call-overload]
        previous_hash=str(row["previous_hash"]),
        hash=str(row["hash"]),
    )


@dataclass(frozen=True, slots=True)
class Entry:
    """One event to append, with who caused it, when and why."""

    event: Event
    at: datetime
    actor: str
    reason: str
    subject: str | None = None


def lock_writers(connection: Connection) -> None:
    """Take the log's writer lock for the rest of the transaction: PostgreSQL's advisory lock;
    SQLite transactions already hold the database's write lock (BEGIN IMMEDIATE, engine.py).
    Every writer of the log, the tally or the photo table takes it before reading what it
    will change, so its reads stand until it commits."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK})


class EventLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def head(self, connection: Connection, lock: bool = False) -> Recorded | None:
        """The newest record. With ``lock``, first take the log's writer lock for the rest of
        the transaction (PostgreSQL: an advisory lock; SQLite transactions already hold the
        database's write lock, see engine.py), so the head read is the one appended to."""
        if lock:
            lock_writers(connection)
        query = select(event).order_by(event.c.sequence.desc()).limit(1)
        row = connection.execute(query).mappings().first()
        return None if row is None else _row_to_record(dict(row))

    def append(
        self,
        connection: Connection,
        events: list[Event],
        at: datetime,
        actor: str,
        reason: str,
        subject: str | None = None,
    ) -> list[Recorded]:
        """Chain ``events`` after the current head, inside the caller's transaction."""
        return self.append_each(connection, [Entry(e, at, actor, reason, subject) for e in events])

    def append_each(self, connection: Connection, entries: Sequence[Entry]) -> list[Recorded]:
        """Chain entries of several actors and times after the current head, in one insert,
        inside the caller's transaction (a group commit records many uploads at once)."""
        previous = self.head(connection, lock=True)
        records = []
        subjects = []
        for entry in entries:
            previous = append(previous, entry.event, entry.at, entry.actor, entry.reason)
            records.append(previous)
            subjects.append(entry.subject or _subject(previous))
        if records:
            connection.execute(
                insert(event),
                [
                    {
                        "sequence": r.sequence,
                        "kind": r.kind,
                        "at": r.at.isoformat(),
                        "actor": r.actor,
                        "reason": r.reason,
                        "subject": subject,
                        "payload": dict(r.payload),
                        "previous_hash": r.previous_hash,
                        "hash": r.hash,
                    }
                    for r, subject in zip(records, subjects, strict=True)
                ],
            )
        return records

    def records(self, after: int = 0, batch: int = 10_000) -> Iterator[Recorded]:
        """Every record in order, read in batches (constant memory for a national log)."""
        last = after
        while True:
            query = (
                select(event).where(event.c.sequence > last).order_by(event.c.sequence).limit(batch)
            )
            with self.engine.connect() as connection:
                rows = [dict(r) for r in connection.execute(query).mappings()]
            if not rows:
                return
            for row in rows:
                yield _row_to_record(row)
            last = int(rows[-1]["sequence"])

    def history(self, subject: str) -> list[Recorded]:
        query = select(event).where(event.c.subject == subject).order_by(event.c.sequence)
        with self.engine.connect() as connection:
            return [_row_to_record(dict(r)) for r in connection.execute(query).mappings()]

    def under(
        self,
        prefix: str,
        position: int | None,
        limit: int,
        direction: Direction,
        spread: bool | None = None,
        window: int = WALK_WINDOW,
    ) -> list[Recorded]:
        """The events about a TPS (or region) whose code starts with ``prefix`` (a region's
        code), read from ``position`` the way ``direction`` says: in order after it, from where
        a monitor last stopped (the API's log), or newest first before it, page by page as a
        person reads a region's changes (None: from the log's start or its head).
        ``under_query`` says how they are found. A large region's walk goes no further than
        ``window`` events; a page it leaves short is filled from the subject index beyond them
        (``WALK_WINDOW`` says why)."""
        with self.engine.connect() as connection:
            if not (prefix and _is_spread(prefix, spread)):
                return _records(connection, under_query(prefix, position, limit, direction, spread))
            if position is None:  # a walk starts at the log's start, or past its head
                position = 0 if direction is Direction.FORWARDS else _last_sequence(connection) + 1
            end = position + direction.value * window
            found = _records(connection, under_query(prefix, position, limit, direction, True, end))
            if len(found) < limit and _holds_past(connection, end, direction):
                rest = under_query(prefix, end, limit - len(found), direction, spread=False)
                found += _records(connection, rest)
        return found

    def sign_head(self, signer: Signer, at: datetime) -> SignedHead | None:
        """Sign the current head unless it is already signed; None for an empty log."""
        with self.engine.connect() as connection:
            head = self.head(connection)
            if head is None:
                return None
            signed = connection.execute(
                select(log_head.c.sequence).where(log_head.c.sequence == head.sequence)
            ).first()
        if signed is not None:
            return None
        signed_head = sign_head(head.sequence, head.hash, at, signer)
        return signed_head if self.save_head(signed_head) else None

    def save_head(self, head: SignedHead) -> bool:
        """Store a signed head; False when that head was signed already (by another server
        of the same database between our look and our write: every ``rekap serve`` signs the
        head it finds, each minute)."""
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(log_head).values(
                        sequence=head.sequence,
                        hash=head.hash,
                        at=head.at.isoformat(),
                        key_id=head.key_id,
                        signature=head.signature.hex(),
                    )
                )
        except IntegrityError:
            return False
        return True

    def heads(self) -> list[SignedHead]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(log_head).order_by(log_head.c.sequence)).mappings()
            return [
                SignedHead(
                    int(r["sequence"]),
                    str(r["hash"]),
                    datetime.fromisoformat(str(r["at"])),
                    str(r["key_id"]),
                    bytes.fromhex(str(r["signature"])),
                )
                for r in rows
            ]


def _under_code(
    prefix: str, subject: ColumnElement[Any] = event.c.subject
) -> list[ColumnElement[bool]]:
    """The events whose subject (a TPS code) begins with the region's code ``prefix``, as a
    range the subject index serves; none asked for no prefix (the whole log). Both ends are
    digits: the end is the code after the prefix ('3179' to '318'; none after '99'). A bound
    with another character ('317:') would be sorted by the database's collation, and in a
    language's (PostgreSQL initialised with en_US.UTF-8) punctuation weighs nothing: '317:'
    sorted before '31790001', and a region whose code ends in 9 had no events."""
    if not prefix:
        return []
    head = prefix.rstrip("9")
    if not head:
        return [subject >= prefix]
    following = head[:-1] + chr(ord(head[-1]) + 1)
    return [subject >= prefix, subject < following]


SMALL_REGION = 6
"""A kecamatan, a desa or a TPS: few events, wherever they lie in the log."""

SPREAD_TPS = 1_000
"""From how many TPS a region's events are read by walking the log rather than found by the
subject index. A page of 50 walks about 50 × (the nation's TPS / the region's) events; the index
reads all of the region's, about 45 a TPS on election night: the two meet near 1,000 TPS of
823,000 (a small kabupaten has fewer, a large kecamatan more)."""


def spread_of(tps_counts: Mapping[str, int], kode: str) -> bool:
    """Whether a region's events are read by walking the log: the nation's (``kode`` '') and
    a region's of ``SPREAD_TPS`` TPS or more by ``tps_counts`` (the region tree's); a smaller
    region's, a TPS's and an unknown code's are found by the subject index. The API's log and
    the pages of changes decide it here alike."""
    return not kode or tps_counts.get(kode, 0) >= SPREAD_TPS


def _is_spread(prefix: str, spread: bool | None) -> bool:
    """Whether a region's events are read by walking the log (``spread``, when the caller
    knows the region's size; by default by the length of its code)."""
    return len(prefix) < SMALL_REGION if spread is None else spread


def under_query(
    prefix: str,
    position: int | None,
    limit: int,
    direction: Direction,
    spread: bool | None = None,
    until: int | None = None,
) -> Select[Any]:
    """The query of ``EventLog.under``: a region's events past ``position`` (after it forwards,
    before it backwards; None: from the log's start or its head), read the way the region's
    size asks for.

    A small region's events (``spread`` False; by default a kecamatan's, a desa's or a TPS's)
    are few among a nation's and may lie anywhere in the log: they are found by the subject
    index and only they are sorted (walking the log would pass every other region's events,
    to the end of the log when the region has fewer than ``limit`` past ``position``). A large
    region's (``spread`` True; by default a provinsi's or a kabupaten's) are many and spread
    through the log, and the nation's are all of it: the log is walked from ``position`` by
    its position until the page is full (sorting all of a provinsi's events would read them
    all), or, for a region, as far as ``until`` when given. The expressions that stop a
    database from taking the other way (``sequence + 0``, ``subject || ''``) keep each plan
    whatever the database guesses of the region's size."""
    query = select(event)
    if position is not None:
        query = query.where(direction.past(position))
    if not prefix:
        return query.order_by(direction.order(event.c.sequence)).limit(limit)
    if not _is_spread(prefix, spread):
        query = query.where(*_under_code(prefix))
        return query.order_by(direction.order(event.c.sequence + 0)).limit(limit)
    query = query.where(*_under_code(prefix, event.c.subject.concat("")))
    if until is not None:
        query = query.where(direction.up_to(until))
    return query.order_by(direction.order(event.c.sequence)).limit(limit)


def _holds_past(connection: Connection, position: int, direction: Direction) -> bool:
    """Whether the log holds events past ``position`` this way (its first is 1, its last the
    head)."""
    if direction is Direction.FORWARDS:
        return position < _last_sequence(connection)
    return position > 1


def _records(connection: Connection, query: Select[Any]) -> list[Recorded]:
    return [_row_to_record(dict(r)) for r in connection.execute(query).mappings()]


def _last_sequence(connection: Connection) -> int:
    """The head's position (0 for an empty log), from the end of the primary key."""
    return int(connection.execute(select(func.max(event.c.sequence))).scalar() or 0)


def _subject(record: Recorded) -> str | None:
    """What an event is about, for the history of a TPS: its code, when it names one."""
    kode = record.payload.get("kode_tps")
    return str(kode) if kode is not None else None


RESULT_EVENTS = (ResultImported.kind, ValueChanged.kind)
"""The events that set a TPS's numbers: replaying them gives every stored number."""


def numbers_changed_at(connection: Connection, contest: str) -> dict[str, str]:
    """When the numbers of each TPS with any last changed: the time (``at``) of the newest
    event of the log that set them (read, entered by people, corrected, imported with
    numbers), by TPS code. One query over the log, whatever the number of TPS."""
    newest = (
        select(event.c.subject, func.max(event.c.sequence).label("sequence"))
        .where(
            event.c.kind.in_(RESULT_EVENTS),
            event.c.subject.is_not(None),
            event.c.payload["contest"].as_string() == contest,
            # an import that carries no numbers (a TPS Sirekap lists before its numbers) sets none
            or_(
                event.c.kind != ResultImported.kind,
                event.c.payload["values"].as_string() != "{}",
            ),
        )
        .group_by(event.c.subject)
        .subquery()
    )
    query = select(newest.c.subject, event.c.at).join_from(
        newest, event, event.c.sequence == newest.c.sequence
    )
    return {str(kode): str(at) for kode, at in connection.execute(query)}
