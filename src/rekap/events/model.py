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
    """A TPS result taken from an outside source (e.g. Sirekap's published data)."""

    kode_tps: str
    contest: str
    source: str
    values: Mapping[str, int]


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
    """The rules were run over a result; the rule ids that fired (empty when clean)."""

    kode_tps: str
    contest: str
    rules: tuple[str, ...]


@event_type("photo.received")
@dataclass(frozen=True)
class PhotoReceived(Event):
    """A photo of one page accepted from an officer's device, by content hash."""

    kode_tps: str
    contest: str
    page: int
    sha256: str
    officer: str
    device_key: str
    captured_at: str


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
