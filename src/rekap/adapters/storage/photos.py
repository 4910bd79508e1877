"""Photos in the store: received exactly once, with a signed receipt, then claimed by workers.

A photo row is written in the same transaction as its ``photo.received`` event; the file is
stored (content-addressed) before the row, so a row never points at a missing file. Workers
claim received photos by an atomic conditional update; a claim left by a killed worker expires
and the photo is claimed again, so every accepted photo is processed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from rekap.adapters.keys import SigningKey
from rekap.adapters.storage.engine import reader
from rekap.adapters.storage.event_store import Entry, EventLog, lock_writers
from rekap.adapters.storage.result_findings import record_findings
from rekap.adapters.storage.schema import photo
from rekap.adapters.storage.tally_store import LiveTally
from rekap.capture.access import Principal
from rekap.capture.messages import receipt_message
from rekap.capture.photo_check import CheckedPhoto
from rekap.capture.states import PhotoState, check_transition
from rekap.events.model import PhotoReceived, PhotoStateChanged
from rekap.services.photo_failures import LOST_FROM_STORE, FailureKind, failure_kind


@dataclass(frozen=True, slots=True)
class Receipt:
    photo_id: int
    sha256: str
    kode_tps: str
    page: int
    received_at: str
    key_id: str
    public_key: str
    signature: str
    duplicate: bool

    def as_json(self) -> dict[str, object]:
        return {
            "photo_id": self.photo_id,
            "sha256": self.sha256,
            "kode_tps": self.kode_tps,
            "page": self.page,
            "received_at": self.received_at,
            "key_id": self.key_id,
            "public_key": self.public_key,
            "signature": self.signature,
            "duplicate": self.duplicate,
        }


@dataclass(frozen=True, slots=True)
class ClaimedPhoto:
    id: int
    sha256: str
    format: str
    kode_tps: str
    contest: str
    page: int
    claimed_at: str
    """When this claim was made, as stored: the photo's outcome is recorded only while the
    claim is still this one (a claim taken over after the claim timeout, or a photo failed
    and retried meanwhile, is another)."""
    store_misses: int = 0
    """Tries at its bytes the photo store refused so far while it answered otherwise."""


@dataclass(frozen=True, slots=True)
class Upload:
    kode_tps: str
    contest: str
    page: int
    captured_at: datetime
    device_id: str
    device_signature: bytes
    checked: CheckedPhoto


@dataclass(frozen=True, slots=True)
class Arrival:
    """One upload as it reaches the store: who sent it, what, and when it was received."""

    principal: Principal
    upload: Upload
    at: datetime

    @property
    def key(self) -> tuple[str, str, int]:
        """What makes a photo the same photo: its bytes, its TPS and its page."""
        return (self.upload.checked.sha256, self.upload.kode_tps, self.upload.page)


OnReceived = Callable[[Connection, Sequence[int]], object]
"""Called inside the transaction that records photos, with the ids of all it records (to
queue their jobs on PostgreSQL: a statement for a group commit's photos, not one each)."""


def _received(arrival: Arrival, photo_id: int) -> Entry:
    upload = arrival.upload
    event = PhotoReceived(
        upload.kode_tps,
        upload.contest,
        upload.page,
        upload.checked.sha256,
        arrival.principal.account_id,
        upload.device_id,
        upload.captured_at.isoformat(),
        photo_id,
    )
    return Entry(event, arrival.at, arrival.principal.account_id, "upload")


class PhotoStore:
    def __init__(
        self, engine: Engine, log: EventLog, key: SigningKey, on_received: OnReceived | None = None
    ) -> None:
        self.engine = engine
        self.log = log
        self.key = key
        self.on_received = on_received
        """Called inside the transaction that records a photo (e.g. to queue its job)."""
        self.tally = LiveTally(engine)
        """The stored tally (coverage: photos received), changed in the same transaction."""

    def _receipt(self, row: dict[str, object], duplicate: bool) -> Receipt:
        return Receipt(
            photo_id=int(str(row["id"])),
            sha256=str(row["sha256"]),
            kode_tps=str(row["kode_tps"]),
            page=int(str(row["page"])),
            received_at=str(row["received_at"]),
            key_id=self.key.key_id,
            public_key=self.key.public_raw.hex(),
            signature=str(row["receipt_signature"]),
            duplicate=duplicate,
        )

    def find(self, sha256: str, kode_tps: str, page: int) -> Receipt | None:
        query = select(photo).where(
            photo.c.sha256 == sha256, photo.c.kode_tps == kode_tps, photo.c.page == page
        )
        with reader(self.engine) as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else self._receipt(dict(row), duplicate=True)

    def receive(self, principal: Principal, upload: Upload, at: datetime) -> Receipt:
        """Record a photo once; the same photo again returns the first receipt."""
        return self.receive_many([Arrival(principal, upload, at)])[0]

    def receive_many(self, arrivals: Sequence[Arrival]) -> list[Receipt]:
        """Record photos in one transaction (a group commit), each once: a photo already
        stored, or twice in ``arrivals``, gets the first receipt back, marked duplicate."""
        try:
            with self.engine.begin() as connection:
                return self._record(connection, arrivals)
        except IntegrityError:
            # Recorded meanwhile by a writer that does not take the log's lock first.
            if len(arrivals) > 1:
                return [self.receive(a.principal, a.upload, a.at) for a in arrivals]
            upload = arrivals[0].upload
            again = self.find(upload.checked.sha256, upload.kode_tps, upload.page)
            if again is None:
                raise
            return [again]

    def _record(self, connection: Connection, arrivals: Sequence[Arrival]) -> list[Receipt]:
        # The writers' lock first, so no other writer records these photos before commit.
        lock_writers(connection)
        known = self._known(connection, {a.key for a in arrivals})
        new: dict[tuple[str, str, int], Arrival] = {}
        for arrival in arrivals:
            if arrival.key not in known:
                new.setdefault(arrival.key, arrival)
        revived = self._revive_lost(connection, arrivals, known, new)
        rows = [self._values(a) for a in new.values()]
        if rows:
            inserted = connection.execute(
                insert(photo).returning(photo.c.id, sort_by_parameter_order=True), rows
            )
            for key, values, (photo_id,) in zip(new, rows, inserted, strict=True):
                known[key] = {**values, "id": photo_id}
            received = [_received(a, int(str(known[k]["id"]))) for k, a in new.items()]
            self.log.append_each(connection, received)
            if self.on_received is not None:
                self.on_received(connection, [int(str(known[key]["id"])) for key in new])
            # A photo only moves the tally (coverage: received) when it is its TPS's first:
            # a TPS with any photo already has reached at least that stage.
            touched: dict[str, set[str]] = {}
            for arrival in new.values():
                touched.setdefault(arrival.upload.contest, set()).add(arrival.upload.kode_tps)
            self._record_findings(connection, arrivals, touched)
            for contest, codes in touched.items():
                fresh = codes - self._with_photos(connection, contest, codes, set(new))
                if fresh:
                    self.tally.refresh_in(connection, contest, fresh)
        self._record_findings(connection, arrivals, revived)
        for contest, codes in revived.items():
            self.tally.refresh_in(connection, contest, codes)
        receipts: list[Receipt] = []
        for arrival in arrivals:
            recorded_now = new.get(arrival.key) is arrival
            receipts.append(self._receipt(known[arrival.key], duplicate=not recorded_now))
        return receipts

    def _revive_lost(
        self,
        connection: Connection,
        arrivals: Sequence[Arrival],
        known: dict[tuple[str, str, int], dict[str, object]],
        new: dict[tuple[str, str, int], Arrival],
    ) -> dict[str, set[str]]:
        """A photo failed because the store had lost its file, sent again by an officer (a
        phone that kept it, told of the failure): its bytes are stored again with this batch,
        so it goes back to be processed (``photo.state_changed``, failed → received, by the
        officer), rather than stay failed with the file back. Returns the TPS touched, by
        contest."""
        touched: dict[str, set[str]] = {}
        revived: list[int] = []
        for arrival in arrivals:
            row = known.get(arrival.key)
            if row is None or arrival.key in new or row["state"] != PhotoState.FAILED.value:
                continue
            before = str(row["reason"])
            if (
                failure_kind(before) is not FailureKind.LOST_FROM_STORE
                or LOST_FROM_STORE not in before
            ):
                continue  # only a file gone is written back: a damaged or unreadable one stays
            photo_id = int(str(row["id"]))
            check_transition(PhotoState.FAILED, PhotoState.RECEIVED)
            moved = connection.execute(
                update(photo)
                .where(photo.c.id == photo_id, photo.c.state == PhotoState.FAILED.value)
                .values(state=PhotoState.RECEIVED.value, reason="", reading=None, claimed_at=None)
            )
            if moved.rowcount != 1:
                continue
            row.update(state=PhotoState.RECEIVED.value, reason="")
            upload, account = arrival.upload, arrival.principal.account_id
            event = PhotoStateChanged(
                upload.kode_tps,
                photo_id,
                PhotoState.FAILED.value,
                PhotoState.RECEIVED.value,
                f"sent again, its file stored again; it had failed: {before}",
            )
            self.log.append(connection, [event], arrival.at, account, "upload")
            revived.append(photo_id)
            touched.setdefault(upload.contest, set()).add(upload.kode_tps)
        if revived and self.on_received is not None:
            self.on_received(connection, revived)
        return touched

    def _record_findings(
        self,
        connection: Connection,
        arrivals: Sequence[Arrival],
        touched: Mapping[str, set[str]],
    ) -> None:
        """A photo that counts (new, or revived) adds its times to those the rules read: the
        findings of a TPS whose result is out are recorded again, logged as the upload of
        its photo (the last of the batch) that changed them."""
        last = {(a.upload.contest, a.upload.kode_tps): a for a in arrivals}
        entries = []
        for contest, codes in touched.items():
            for found in record_findings(connection, contest, codes):
                arrival = last[(contest, found.kode_tps)]
                entries.append(Entry(found, arrival.at, arrival.principal.account_id, "upload"))
        if entries:
            self.log.append_each(connection, entries)

    @staticmethod
    def _with_photos(
        connection: Connection,
        contest: str,
        codes: set[str],
        recorded: set[tuple[str, str, int]],
    ) -> set[str]:
        """The TPS among ``codes`` with a photo stored before the ones just ``recorded``."""
        query = select(photo.c.kode_tps, photo.c.sha256, photo.c.page).where(
            photo.c.contest == contest, photo.c.kode_tps.in_(sorted(codes))
        )
        return {
            str(kode)
            for kode, sha256, page in connection.execute(query)
            if (str(sha256), str(kode), int(page)) not in recorded
        }

    @staticmethod
    def _known(
        connection: Connection, keys: set[tuple[str, str, int]]
    ) -> dict[tuple[str, str, int], dict[str, object]]:
        query = select(photo).where(photo.c.sha256.in_(sorted({k[0] for k in keys})))
        found: dict[tuple[str, str, int], dict[str, object]] = {}
        for row in connection.execute(query).mappings():
            key = (str(row["sha256"]), str(row["kode_tps"]), int(row["page"]))
            if key in keys:
                found[key] = dict(row)
        return found

    def _values(self, arrival: Arrival) -> dict[str, object]:
        upload, at = arrival.upload, arrival.at
        message = receipt_message(upload.checked.sha256, upload.kode_tps, upload.page, at)
        return {
            "sha256": upload.checked.sha256,
            "kode_tps": upload.kode_tps,
            "contest": upload.contest,
            "page": upload.page,
            "format": upload.checked.format.value,
            "width": upload.checked.width,
            "height": upload.checked.height,
            "captured_at": upload.captured_at.isoformat(),
            "received_at": at.isoformat(),
            "account_id": arrival.principal.account_id,
            "device_id": upload.device_id,
            "device_signature": upload.device_signature.hex(),
            "receipt_signature": self.key.sign(message).hex(),
            "state": PhotoState.RECEIVED.value,
            "reason": "",
        }

    def claim_id(
        self, photo_id: int, at: datetime, stale_after: timedelta = timedelta(minutes=5)
    ) -> ClaimedPhoto | None:
        """Take one named photo if it is still waiting (a queued job's photo)."""
        return self._take(at, stale_after, photo_id)

    def claim(
        self, at: datetime, stale_after: timedelta = timedelta(minutes=5)
    ) -> ClaimedPhoto | None:
        """Take the oldest unprocessed photo; a claim older than ``stale_after`` is retaken."""
        for _ in range(5):  # another worker may take the same photo first: try the next one
            claimed = self._take(at, stale_after, None)
            if claimed is not None or not self._any_waiting(at, stale_after):
                return claimed
        return None

    @staticmethod
    def _waiting(at: datetime, stale_after: timedelta) -> ColumnElement[bool]:
        stale = (at - stale_after).isoformat()
        return and_(
            photo.c.state == PhotoState.RECEIVED.value,
            or_(photo.c.claimed_at.is_(None), photo.c.claimed_at < stale),
        )

    def _any_waiting(self, at: datetime, stale_after: timedelta) -> bool:
        query = select(photo.c.id).where(self._waiting(at, stale_after)).limit(1)
        with reader(self.engine) as connection:
            return connection.execute(query).first() is not None

    def _take(
        self, at: datetime, stale_after: timedelta, photo_id: int | None
    ) -> ClaimedPhoto | None:
        """Claim one waiting photo (the oldest, or the named one) by a conditional update."""
        waiting = self._waiting(at, stale_after)
        query = select(photo).where(waiting).order_by(photo.c.id).limit(1)
        if photo_id is not None:
            query = query.where(photo.c.id == photo_id)
        with self.engine.begin() as connection:
            row = connection.execute(query).mappings().first()
            if row is None:
                return None
            taken = connection.execute(
                update(photo)
                .where(photo.c.id == row["id"], waiting)
                .values(claimed_at=at.isoformat())
            )
            if taken.rowcount != 1:
                return None
            return ClaimedPhoto(
                row["id"],
                row["sha256"],
                row["format"],
                row["kode_tps"],
                row["contest"],
                row["page"],
                at.isoformat(),
                row["store_misses"],
            )

    def states(self, kode_tps: str) -> list[tuple[int, int, str, str]]:
        """(photo id, page, state, reason) of every photo of a TPS, in order of arrival."""
        query = (
            select(photo.c.id, photo.c.page, photo.c.state, photo.c.reason)
            .where(photo.c.kode_tps == kode_tps)
            .order_by(photo.c.id)
        )
        with reader(self.engine) as connection:
            return [(i, p, s, r) for i, p, s, r in connection.execute(query)]

    def newest_waiting(self, count: int) -> list[tuple[str, str]]:
        """(SHA-256, format) of the ``count`` photos received last that still wait to be
        processed, newest first."""
        query = (
            select(photo.c.sha256, photo.c.format)
            .where(photo.c.state == PhotoState.RECEIVED.value)
            .order_by(photo.c.id.desc())
            .limit(count)
        )
        with reader(self.engine) as connection:
            return [(str(sha256), str(kind)) for sha256, kind in connection.execute(query)]

    def count_by_state(self) -> dict[str, int]:
        """How many photos are in each state (a state with none is left out)."""
        with reader(self.engine) as connection:
            return count_by_state(connection)


def count_by_state(connection: Connection) -> dict[str, int]:
    """How many photos are in each state (a state with none is left out): one grouped query,
    counted by the database."""
    query = select(photo.c.state, func.count()).group_by(photo.c.state)
    return {str(state): int(count) for state, count in connection.execute(query)}


def oldest_waiting(connection: Connection) -> str | None:
    """When the photo waiting longest to be processed was received; None when none waits."""
    query = select(func.min(photo.c.received_at)).where(photo.c.state == PhotoState.RECEIVED.value)
    first = connection.execute(query).scalar()
    return None if first is None else str(first)
