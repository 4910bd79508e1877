"""Photos for an operator: those waiting (and those whose claim lapsed), those failed with
why, and failed photos put back to be processed.

A photo failed by an error (the reader crashed on it, a bug since fixed, its file lost from the
photo store and put back since) is nothing wrong with the photo, and the officer cannot send it
again (the same bytes are the photo already received). ``PhotoRetry.retry`` moves it back to
``received``, unclaimed, with a ``photo.state_changed`` event naming the operator and why, in
one transaction that also queues its job (PostgreSQL) and brings the tally up to date; workers
then take it like any new photo, one of them at a time (the claim). A photo the reader refused
for what it is (not a form, the wrong page, unreadable) is retried only when asked by name with
``include_refused``; one sent back to its officer by people, never.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    case,
    false,
    func,
    literal,
    or_,
    select,
    update,
)

from rekap.adapters.storage.engine import reader
from rekap.adapters.storage.event_store import EventLog, lock_writers
from rekap.adapters.storage.result_findings import record_findings
from rekap.adapters.storage.schema import photo
from rekap.adapters.storage.tally_store import LiveTally
from rekap.capture.states import PhotoState, check_transition
from rekap.events.model import Event, PhotoStateChanged
from rekap.services.photo_failures import (
    PROCESSING_FAILED,
    RETRIED_BY_DEFAULT,
    SENT_BACK,
    FailureKind,
    failure_kind,
)

CHUNK = 500
"""Photos retried per transaction (and read per query when listing)."""

OnRetried = Callable[[Connection, Sequence[int]], object]
"""Called inside the transaction that retries photos, with all of them (to queue their jobs on
PostgreSQL: a statement for the lot, where one each took most of the retry's time)."""


@dataclass(frozen=True, slots=True)
class FailedPhoto:
    id: int
    kode_tps: str
    contest: str
    page: int
    sha256: str
    received_at: str
    reason: str

    @property
    def kind(self) -> FailureKind:
        return failure_kind(self.reason)

    def as_json(self) -> dict[str, object]:
        return {
            "photo_id": self.id,
            "kode_tps": self.kode_tps,
            "contest": self.contest,
            "page": self.page,
            "sha256": self.sha256,
            "received_at": self.received_at,
            "kind": self.kind.value,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    retried: list[int] = field(default_factory=list)
    """The photos put back to be processed, in order."""
    passed_over: dict[int, str] = field(default_factory=dict)
    """The photos named but not retried, each with why."""


@dataclass(frozen=True, slots=True)
class RetryStretch:
    """A retry of every photo failed by an error, taken a stretch at a time (by photo id):
    what the stretch did, where it stopped, and how many such photos come after it."""

    outcome: RetryOutcome
    last_id: int
    """The last photo the stretch took (the ``after`` it began from when it took none)."""
    remaining: int
    """Photos failed by an error after ``last_id``, for the next stretch (0: all are done)."""


COLUMNS = (
    photo.c.id,
    photo.c.kode_tps,
    photo.c.contest,
    photo.c.page,
    photo.c.sha256,
    photo.c.received_at,
    photo.c.reason,
)


def _failed(row: Sequence[object]) -> FailedPhoto:
    id_, kode, contest, page, sha256, received_at, reason = row
    return FailedPhoto(
        int(str(id_)), str(kode), str(contest), int(str(page)), str(sha256), str(received_at),
        str(reason),
    )  # fmt: skip


SENT_BACK_REASON = func.substr(photo.c.reason, 1, len(SENT_BACK)) == SENT_BACK
"""The reason begins with ``SENT_BACK`` (an equality: case-sensitive on both databases, as
``failure_kind`` is, where SQLite's LIKE is not)."""

MAYBE_PROCESSING = photo.c.reason.contains(PROCESSING_FAILED, autoescape=True)
"""The reason names ``PROCESSING_FAILED`` somewhere: every processing error's does (others may
too, SQLite's LIKE ignoring case: ``failure_kind`` decides those)."""


def _of_kinds(kinds: frozenset[FailureKind]) -> ColumnElement[bool] | None:
    """A condition every failed photo of these kinds meets, for the database to pass over the
    others (those it keeps are told apart by ``failure_kind``); None when it would keep all
    (a refusal's reason can be anything)."""
    if FailureKind.REFUSED in kinds:
        return None
    told: list[ColumnElement[bool]] = []
    if FailureKind.SENT_BACK in kinds:
        told.append(SENT_BACK_REASON)
    if kinds & RETRIED_BY_DEFAULT:
        told.append(MAYBE_PROCESSING & ~SENT_BACK_REASON)
    return or_(*told) if told else false()


def failed_photos(
    engine: Engine,
    kinds: frozenset[FailureKind] | None = None,
    region: str = "",
    after: int = 0,
    limit: int | None = None,
) -> Iterator[FailedPhoto]:
    """Failed photos in order of arrival, after photo id ``after``: of the ``kinds`` given
    (all when None), of TPS whose code begins with ``region``; at most ``limit``."""
    given = 0
    while limit is None or given < limit:
        query = (
            select(*COLUMNS)
            .where(photo.c.state == PhotoState.FAILED.value, photo.c.id > after)
            .order_by(photo.c.id)
            .limit(CHUNK)
        )
        if region:
            query = query.where(photo.c.kode_tps.startswith(region, autoescape=True))
        told = None if kinds is None else _of_kinds(kinds)
        if told is not None:
            query = query.where(told)
        with reader(engine) as connection:
            rows = [_failed(row) for row in connection.execute(query)]
        if not rows:
            return
        for found in rows:
            if kinds is None or found.kind in kinds:
                yield found
                given += 1
                if limit is not None and given >= limit:
                    return
        after = rows[-1].id


@dataclass(frozen=True, slots=True)
class Waiting:
    """The photos still to be processed, as an operator needs to see them."""

    count: int
    oldest_received: str | None
    """When the photo waiting longest was received (none waiting: None)."""
    stalled: list[tuple[int, str, int, str]]
    """(photo id, TPS, page, claimed at) of photos claimed longer ago than the claim timeout:
    a worker killed, stuck or unable to read them; they are taken again."""


def waiting_photos(
    engine: Engine, stalled_before: datetime, region: str = "", limit: int = 100
) -> Waiting:
    """How many photos wait to be processed, since when, and those whose claim is older than
    ``stalled_before`` (at most ``limit``, oldest claim first)."""
    waiting = photo.c.state == PhotoState.RECEIVED.value
    if region:
        waiting = waiting & photo.c.kode_tps.startswith(region, autoescape=True)
    stale = waiting & (photo.c.claimed_at < stalled_before.isoformat())
    with reader(engine) as connection:
        count, oldest = connection.execute(
            select(func.count(), func.min(photo.c.received_at)).where(waiting)
        ).one()
        rows = connection.execute(
            select(photo.c.id, photo.c.kode_tps, photo.c.page, photo.c.claimed_at)
            .where(stale)
            .order_by(photo.c.claimed_at)
            .limit(limit)
        )
        stalled = [(int(i), str(k), int(p), str(c)) for i, k, p, c in rows]
    return Waiting(int(count), None if oldest is None else str(oldest), stalled)


def count_failed(engine: Engine, region: str = "", after: int = 0) -> dict[FailureKind, int]:
    """How many photos failed (after photo id ``after``), by kind of failure: one query,
    counted by the database. A
    photo sent back, and one refused whose reason names no processing failure, are counted
    as such there; the reasons that name one are few (the same few errors), grouped there and
    told apart by ``failure_kind`` here, as every failed photo's kind is."""
    told = case(
        (SENT_BACK_REASON, literal(SENT_BACK)),
        (MAYBE_PROCESSING, photo.c.reason),
        else_=literal(""),  # a refusal: failure_kind("") is REFUSED
    ).label("told")
    query = select(told, func.count()).where(
        photo.c.state == PhotoState.FAILED.value, photo.c.id > after
    )
    if region:
        query = query.where(photo.c.kode_tps.startswith(region, autoescape=True))
    counts = dict.fromkeys(FailureKind, 0)
    with reader(engine) as connection:
        for reason, count in connection.execute(query.group_by(told)):
            counts[failure_kind(str(reason))] += int(count)
    return counts


class PhotoRetry:
    def __init__(self, engine: Engine, log: EventLog, on_retried: OnRetried | None = None) -> None:
        self.engine = engine
        self.log = log
        self.on_retried = on_retried
        self.tally = LiveTally(engine)

    def retry(
        self,
        photo_ids: Sequence[int],
        at: datetime,
        actor: str,
        reason: str,
        include_refused: bool = False,
    ) -> RetryOutcome:
        """Put the named failed photos back to be processed; a photo refused for what it is
        only with ``include_refused``; one sent back by people, or not failed, never."""
        outcome = RetryOutcome()
        wanted = list(dict.fromkeys(photo_ids))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            with self.engine.begin() as connection:
                self._retry_in(connection, chunk, at, actor, reason, include_refused, outcome)
        return outcome

    def retry_failed(
        self,
        at: datetime,
        actor: str,
        reason: str,
        region: str = "",
        after: int = 0,
        limit: int | None = None,
    ) -> RetryStretch:
        """Put back the photos failed by an error (of TPS whose code begins with
        ``region``), in order of arrival after photo ``after``: all of them, or the first
        ``limit`` (an HTTP request must end before a proxy cuts it; the caller goes on from
        ``last_id``). Photos refused for what they are stay failed. One pass: a photo that
        fails again meanwhile (its file still missing) is not taken again."""
        outcome = RetryOutcome()
        taken = 0
        while limit is None or taken < limit:
            size = CHUNK if limit is None else min(CHUNK, limit - taken)
            chunk = [
                found.id
                for found in failed_photos(self.engine, RETRIED_BY_DEFAULT, region, after, size)
            ]
            if not chunk:
                return RetryStretch(outcome, after, 0)
            with self.engine.begin() as connection:
                self._retry_in(connection, chunk, at, actor, reason, False, outcome)
            after = chunk[-1]
            taken += len(chunk)
        counts = count_failed(self.engine, region, after)
        return RetryStretch(outcome, after, sum(counts[kind] for kind in RETRIED_BY_DEFAULT))

    def _retry_in(
        self,
        connection: Connection,
        photo_ids: list[int],
        at: datetime,
        actor: str,
        reason: str,
        include_refused: bool,
        outcome: RetryOutcome,
    ) -> None:
        # the log's writer lock before reading what is changed, as every writer of the photo
        # rows takes it: a worker finishing one of these photos now waits, or went first
        lock_writers(connection)
        query = select(*COLUMNS, photo.c.state).where(photo.c.id.in_(photo_ids))
        rows = {int(str(row[0])): row for row in connection.execute(query)}
        chosen: list[FailedPhoto] = []
        for photo_id in photo_ids:
            row = rows.get(photo_id)
            why = self._refusal(row, include_refused)
            if why is not None:
                outcome.passed_over[photo_id] = why
            elif row is not None:
                chosen.append(_failed(row[:-1]))
        if not chosen:
            return
        check_transition(PhotoState.FAILED, PhotoState.RECEIVED)
        connection.execute(
            update(photo)
            .where(
                photo.c.id.in_([found.id for found in chosen]),
                photo.c.state == PhotoState.FAILED.value,
            )
            .values(state=PhotoState.RECEIVED.value, reason="", reading=None, claimed_at=None)
        )
        events: list[Event] = [
            PhotoStateChanged(
                found.kode_tps,
                found.id,
                PhotoState.FAILED.value,
                PhotoState.RECEIVED.value,
                f"retried; it had failed: {found.reason}",
            )
            for found in chosen
        ]
        touched: dict[str, set[str]] = {}
        for found in chosen:
            touched.setdefault(found.contest, set()).add(found.kode_tps)
        for contest, codes in touched.items():  # their photos' times count again
            events += record_findings(connection, contest, codes)
        self.log.append(connection, events, at, actor, reason)
        if self.on_retried is not None:
            self.on_retried(connection, [found.id for found in chosen])
        for contest, codes in touched.items():
            self.tally.refresh_in(connection, contest, codes)
        outcome.retried.extend(found.id for found in chosen)

    @staticmethod
    def _refusal(row: Sequence[object] | None, include_refused: bool) -> str | None:
        """Why a photo is not retried; None when it is."""
        if row is None:
            return "no such photo"
        state = str(row[-1])
        if state != PhotoState.FAILED.value:
            return f"it has not failed (it is {state})"
        kind = failure_kind(str(row[6]))
        if kind is FailureKind.SENT_BACK:
            return (
                "people could not read it and it was sent back to its officer: the form "
                "waits for a new photo of the page"
            )
        if kind is FailureKind.REFUSED and not include_refused:
            return (
                "the reader refused it for what it is; name it with --refused (over the API, "
                "refused: true) to read it again"
            )
        return None
