"""Every kind of change rekap records, one frozen class each, with a stable type name.

The payload of an event is its fields; who made the change, when and why travel in the
envelope (``rekap.events.chain.Recorded``), the same for every event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

EVENT_TYPES: dict[str, type[Event]] = {}
E_co = TypeVar("E_co", bound="type[Event]")


def event_type(name: str) -> Callable[[E_co], E_co]:
    """Register an event class under its stable public name."""

    def register(cls: E_co) -> E_co:
        if name in EVENT_TYPES:
            raise ValueError(f"event type {name} is registered twice")
        cls.kind = name
        EVENT_TYPES[name] = cls
        return cls

    return register


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = ""

    def payload(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Event:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: _frozen(v) for k, v in payload.items() if k in names})


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _frozen(value: object) -> object:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


@event_type("result.imported")
@dataclass(frozen=True)
class ResultImported(Event):
    """A TPS result taken from an outside source (e.g. Sirekap's published data): the row it
    came from, the time the source gave that row, its numbers and its photos (each page's at
    its position, null for a gap; logs written before 2026-11-23 carry neither time nor
    photos)."""

    kode_tps: str
    contest: str
    source: str
    values: Mapping[str, int]
    published_at: str | None = None
    photos: tuple[str | None, ...] = ()


@event_type("result.source_changed")
@dataclass(frozen=True)
class SourceChanged(Event):
    """An imported TPS result's numbers now come from another row of the source (its numbers
    changed, or a TPS with none yet was listed again): the row and the time the source gave
    it, before and after. A later row with the same numbers, or with photos only, leaves the
    numbers' source as it was."""

    kode_tps: str
    contest: str
    before: str
    after: str
    published_before: str | None
    published_after: str | None


@event_type("result.photos_changed")
@dataclass(frozen=True)
class PhotosChanged(Event):
    """An imported TPS result's photos changed (each page's at its position, null for a gap),
    before and after, with the row they came from and the time the source gave it; its
    numbers, and where they came from, may be an earlier row's. A result's first photos are in
    its ``result.imported``, not here: the photos a snapshot diff lists as changed are these
    and those (``docs/open-data.md``)."""

    kode_tps: str
    contest: str
    source: str
    published_at: str | None
    before: tuple[str | None, ...]
    after: tuple[str | None, ...]


@event_type("result.value_changed")
@dataclass(frozen=True)
class ValueChanged(Event):
    """One number of a TPS result changed: before and after, always both."""

    kode_tps: str
    contest: str
    field: str
    before: int | None
    after: int | None


@event_type("result.findings_recorded")
@dataclass(frozen=True)
class FindingsRecorded(Event):
    """The findings stored with a result of the capture workflow changed (its numbers did,
    or the photos whose times the rules read): the rule ids that fire now, in order (empty when
    clean). An import's findings are stored in bulk, without this event."""

    kode_tps: str
    contest: str
    rules: tuple[str, ...]


@event_type("photo.received")
@dataclass(frozen=True)
class PhotoReceived(Event):
    """A photo of one page accepted from an officer's device, by content hash, with the
    store's id for it: the id each ``photo.state_changed`` of the photo names, so a replay
    knows which received photo each state change moves (logs written before 2026-11-23
    carry no ``photo_id``)."""

    kode_tps: str
    contest: str
    page: int
    sha256: str
    officer: str
    device_key: str
    captured_at: str
    photo_id: int | None = None


@event_type("page.read")
@dataclass(frozen=True)
class PageRead(Event):
    """The machine read a page: the values it is sure of and the fields it abstained on."""

    sha256: str
    page: int
    values: Mapping[str, int]
    abstained: tuple[str, ...]


@event_type("snapshot.published")
@dataclass(frozen=True)
class SnapshotPublished(Event):
    """A snapshot was published; its manifest's hash ties the data to this log position."""

    snapshot: str
    manifest_sha256: str


@event_type("account.enrolled")
@dataclass(frozen=True)
class AccountEnrolled(Event):
    """An account was created with a role and the region it may act on (never its token)."""

    account_id: str
    name: str
    role: str
    scope: str


@event_type("device.registered")
@dataclass(frozen=True)
class DeviceRegistered(Event):
    """An officer's device registered the Ed25519 public key it signs photos with."""

    account_id: str
    device_id: str
    public_key: str


@event_type("account.disabled")
@dataclass(frozen=True)
class AccountDisabled(Event):
    """An account was disabled: its token and its devices are refused from then on."""

    account_id: str
    reason: str


@event_type("account.token_reissued")
@dataclass(frozen=True)
class TokenReissued(Event):
    """An account was given a new token; the old one is refused from then on (never either
    token)."""

    account_id: str


@event_type("device.revoked")
@dataclass(frozen=True)
class DeviceRevoked(Event):
    """A device's key was revoked (a lost or stolen phone): photos it signs are refused."""

    account_id: str
    device_id: str
    reason: str


@event_type("photo.state_changed")
@dataclass(frozen=True)
class PhotoStateChanged(Event):
    """A photo moved through the processing states, with the reason; the photo is named by
    the id its ``photo.received`` gives."""

    kode_tps: str
    photo_id: int
    before: str
    after: str
    detail: str


@event_type("form.assessed")
@dataclass(frozen=True)
class FormAssessed(Event):
    """The machine's reading of a form was checked: accepted, or sent to people, and why."""

    kode_tps: str
    contest: str
    state: str
    reasons: tuple[str, ...]


@event_type("verification.entered")
@dataclass(frozen=True)
class VerificationEntered(Event):
    """A verifier or adjudicator entered a form's numbers; the log holds only their salted
    hash (SHA-256 of the salt's hex, a colon, and the numbers as sorted JSON, a field marked
    "cannot read" as null) until the task closes, so a second verifier can neither copy the
    first nor test guesses of it; and the fields they marked "cannot read" (ids only)."""

    kode_tps: str
    task_id: int
    account_id: str
    role: str
    entry_sha256: str
    unreadable: tuple[str, ...] = ()


@event_type("verification.escalated")
@dataclass(frozen=True)
class VerificationEscalated(Event):
    """A task went to an adjudicator: the fields its two entries disagree on (a number
    against another or against a "cannot read" mark), those neither verifier could read, or
    the blocking rules their agreed numbers break (ids only: no numbers before it closes)."""

    kode_tps: str
    task_id: int
    fields: tuple[str, ...]
    rules: tuple[str, ...]
    unreadable: tuple[str, ...] = ()


@event_type("verification.revealed")
@dataclass(frozen=True)
class VerificationRevealed(Event):
    """A closed task's entries, each with the salt of the hash logged when it was made: anyone
    can check that no entry changed after it was committed to."""

    kode_tps: str
    task_id: int
    entries: tuple[Mapping[str, object], ...]


@event_type("verification.closed")
@dataclass(frozen=True)
class VerificationClosed(Event):
    """A verification task ended: verified by agreement, or decided by an adjudicator; the
    contest its form is of (logs written before 2026-11-23 leave it out: one contest was
    verified then)."""

    kode_tps: str
    task_id: int
    outcome: str
    values: Mapping[str, int]
    contest: str = ""


@event_type("verification.photo_unreadable")
@dataclass(frozen=True)
class VerificationPhotoReported(Event):
    """A verifier or adjudicator reported that they cannot read a photo of the form handed to
    them (blurred, cut off, too dark); once two people have, it is sent back to its officer."""

    kode_tps: str
    task_id: int
    account_id: str
    photo_id: int
    page: int


@event_type("verification.returned")
@dataclass(frozen=True)
class VerificationReturned(Event):
    """A verification task ended without numbers: photos people could not read (two people's
    reports of a photo, or an adjudicator's "cannot read" of the ``fields`` named) were sent
    back to the officer and left pages of the form with no photo; the form waits for new
    photos (a new task opens when they are read). Its entries are not used, and stay
    unrevealed."""

    kode_tps: str
    task_id: int
    photo_ids: tuple[int, ...]
    pages: tuple[int, ...]
    fields: tuple[str, ...] = ()
