"""Rebuilding where each imported TPS result came from, from the log alone: the row its numbers
came from and the time the source gave it, its photos and the time of the row they came from.

``rekap log verify`` compares them with the store, as it does the numbers
(``rekap.events.replay``), so that a stored source or photo changed without its event is
named. What a log does not say is not compared: a ``result.imported`` written before
2026-11-23 carries neither the row's time nor its photos (and imports then moved a TPS's
source and photos without an event), so such a TPS's source and photos are checked only once
a later event has set them. A stored imported result that no ``result.imported`` names is a
mismatch whatever the log's age.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from rekap.events.chain import Recorded
from rekap.events.replay import Key, Unreplayable, Values, apply_record

Parts = dict[str, object]
"""What the log says of one result: any of ``source_ref``, ``published_at``, ``photos`` (a
tuple) and ``photos_published_at``; a part it does not say is absent."""

Sources = dict[Key, Parts]


@dataclass(frozen=True, slots=True)
class Replayed:
    values: Values
    sources: Sources
    """Every TPS a ``result.imported`` names, with what the log says of its source."""


def replay_results(records: Iterable[Recorded]) -> Replayed:
    """Every TPS's numbers and every imported TPS's source after ``records``, in one pass;
    raises ``Unreplayable`` naming the first event that cannot be replayed."""
    values: Values = {}
    sources: Sources = {}
    for record in records:
        try:
            apply_record(values, record)
            apply_source_record(sources, record)
        except (TypeError, KeyError, AttributeError, ValueError) as error:
            raise Unreplayable(record.sequence, f"{type(error).__name__}: {error}") from error
    return Replayed(values, sources)


def apply_source_record(sources: Sources, record: Recorded) -> None:
    """What one record does to the sources: an import sets all it carries, a source change
    the numbers' row and time, a photo change the photos and their row's time."""
    payload = record.payload
    if record.kind not in _KINDS:
        return
    key = (str(payload["kode_tps"]), str(payload["contest"]))
    if record.kind == "result.imported":
        parts: Parts = {}
        if "photos" in payload:  # older records say nothing the store kept unchanged
            parts["source_ref"] = _text(payload["source"])
            parts["published_at"] = _optional(payload["published_at"])
            parts["photos"] = _photos(payload["photos"])
            parts["photos_published_at"] = parts["published_at"]
        sources[key] = parts
    elif record.kind == "result.source_changed":
        found = sources.setdefault(key, {})
        found["source_ref"] = _text(payload["after"])
        found["published_at"] = _optional(payload["published_after"])
    else:
        found = sources.setdefault(key, {})
        found["photos"] = _photos(payload["after"])
        found["photos_published_at"] = _optional(payload["published_at"])


_KINDS = frozenset({"result.imported", "result.source_changed", "result.photos_changed"})


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"{value!r} is not a string")


def _optional(value: object) -> str | None:
    return None if value is None else _text(value)


def _photos(value: object) -> tuple[str | None, ...]:
    if isinstance(value, list | tuple):
        return tuple(_optional(v) for v in value)
    raise TypeError(f"{value!r} is not a list of photos")


@dataclass(frozen=True, slots=True)
class SourceMismatch:
    kode_tps: str
    contest: str
    part: str
    """``source_ref``, ``published_at``, ``photos``, ``photos_published_at``, or ``result``
    for a stored imported result that no ``result.imported`` names."""
    logged: object
    stored: object


def compare_sources(
    logged: Mapping[Key, Parts], stored: Iterable[tuple[Key, Parts]]
) -> Iterator[SourceMismatch]:
    """The parts of each stored imported result that differ from what the log says of it."""
    for key, parts in stored:
        said = logged.get(key)
        if said is None:
            yield SourceMismatch(key[0], key[1], "result", None, "stored, never imported")
            continue
        for part, value in said.items():
            if parts.get(part) != value:
                yield SourceMismatch(key[0], key[1], part, value, parts.get(part))
