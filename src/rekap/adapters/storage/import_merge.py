"""What an imported row changes of a TPS result already stored, and the events that say so.

Each part of an imported result keeps the row it came from. The numbers' source
(``source_ref``) and time (``published_at``, the ``ts`` Sirekap gave that row) are those of
the row that set the numbers: a later row with photos and no numbers, or with the same
numbers, leaves them as they were (its photos are taken, and their time kept apart, in
``photos_published_at``). A TPS that has no numbers yet takes the source of the newest row
that lists it. Every part that changes is an event; a row that changes nothing is not
written at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rekap.events.model import Event, PhotosChanged, ResultImported, SourceChanged, ValueChanged
from rekap.sources.sirekap import ts_order


@dataclass(frozen=True, slots=True)
class StoredResult:
    """What the store holds of a TPS result, as an import compares it."""

    fields: Mapping[str, int]
    source_kind: str
    source_ref: str
    published_at: str | None
    photos: Sequence[str | None]
    photos_published_at: str | None

    @property
    def version_ts(self) -> str | None:
        """The newest of its times: an offered row older than this is an older version."""
        times = [t for t in (self.published_at, self.photos_published_at) if t]
        return max(times, key=ts_order) if times else None


def merge(row: dict[str, Any], stored: StoredResult | None) -> list[Event]:
    """Complete ``row`` (an imported result, as the store writes it) with what it keeps of
    ``stored``, and give the events of every change; none when the row changes nothing."""
    kode, contest = row["kode_tps"], row["contest"]
    if stored is None:
        row["photos_published_at"] = row["published_at"]
        return [
            ResultImported(
                kode,
                contest,
                row["source_ref"],
                dict(row["fields"]),
                row["published_at"],
                tuple(row["photos"]),
            )
        ]
    offered: dict[str, int] = row["fields"]
    offered_ref, offered_at = row["source_ref"], row["published_at"]
    if stored.fields and (not offered or offered == stored.fields):
        # photos only, or the same numbers: the numbers stand, and so does where they came from
        row["fields"] = dict(stored.fields)
        row["source_ref"], row["published_at"] = stored.source_ref, stored.published_at
    events: list[Event] = [
        ValueChanged(kode, contest, f, stored.fields.get(f), row["fields"].get(f))
        for f in sorted(set(stored.fields) | set(row["fields"]))
        if stored.fields.get(f) != row["fields"].get(f)
    ]
    if (row["source_ref"], row["published_at"]) != (stored.source_ref, stored.published_at):
        events.append(
            SourceChanged(
                kode,
                contest,
                stored.source_ref,
                row["source_ref"],
                stored.published_at,
                row["published_at"],
            )
        )
    photos = list(row["photos"])
    if photos != list(stored.photos):
        row["photos_published_at"] = offered_at
        events.append(
            PhotosChanged(
                kode,
                contest,
                offered_ref,
                offered_at,
                tuple(stored.photos),
                tuple(photos),
            )
        )
    else:
        row["photos_published_at"] = stored.photos_published_at
    return events
