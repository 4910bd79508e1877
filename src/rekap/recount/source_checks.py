"""Where each imported TPS result came from, as the snapshot publishes it, against the log.

The log records the row of the source an imported result's numbers came from and its photos
(``result.imported``, then ``result.source_changed`` and ``result.photos_changed``:
docs/events.md); ``rekap.events.replay_sources.apply_source_record`` replays them, as
``rekap log verify`` does against the store. The bulk data publishes them in its
``source_kind``, ``source_ref`` and ``photos`` columns, the unplaced list under the same keys:
a row that says ``import`` must name the row the log last gave its numbers and, page by page,
the photos the log last gave it, and a TPS the log imported must not be published without a
source.

What the log does not say is not compared: a ``result.imported`` written before 2026-11-23
carries neither its photos nor (for the store kept it unchanged) a row to hold a later import
to, so such a TPS's row and photos are compared only once a later event has set them. A TPS
whose numbers rekap read from photos or people entered (``photo``, ``entry``) after it was
imported has no event that moves its source: its source and photos are not compared here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rekap.events.replay_sources import Parts
from rekap.recount.problems import Kind, RecountReport

IMPORT = "import"
MAX_NAMED = 50
"""Of each file, the differences named one by one (then how many more), as for the numbers."""


@dataclass(frozen=True, slots=True)
class Source:
    """What a snapshot publishes of one TPS's source: its kind and reference (None: no
    source), and each page's photo at its position (None for a gap), or None when the file
    publishes no photos (older snapshots)."""

    kind: str | None
    reference: str | None
    photos: Sequence[str | None] | None


def _pages(photos: Sequence[object]) -> list[str | None]:
    """A list of photos as compared: an empty address is a gap, and gaps after the last photo
    are no pages (the bulk data writes nothing after the last photo)."""
    pages = [p if isinstance(p, str) and p else None for p in photos]
    while pages and pages[-1] is None:
        pages.pop()
    return pages


def _say(value: object) -> str:
    return "nothing" if value is None else repr(value)


def source_differences(kode: str, says: str, published: Source, said: Parts | None) -> list[str]:
    """How one TPS's published source and photos differ from what the log says of them
    (``said``: the replayed parts, None when no ``result.imported`` names the TPS); ``says``
    names the file (``bulk data``, ``unplaced list``). Only a source that says ``import`` is
    compared: a TPS rekap read or people entered after its import has no event that moves
    its source."""
    if published.kind != IMPORT:
        return []
    if said is None:
        return [
            f"TPS {kode} source: {says} says imported from {published.reference!r}, "
            "the log imports nothing"
        ]
    found = []
    if "source_ref" in said and said["source_ref"] != published.reference:
        found.append(
            f"TPS {kode} source_ref: {says} says {_say(published.reference)}, "
            f"the log says {_say(said['source_ref'])}"
        )
    logged_photos = said.get("photos")
    if published.photos is not None and isinstance(logged_photos, tuple):
        mine, logged = _pages(published.photos), _pages(logged_photos)
        for page in range(max(len(mine), len(logged))):
            a = mine[page] if page < len(mine) else None
            b = logged[page] if page < len(logged) else None
            if a != b:
                found.append(
                    f"TPS {kode} photo of page {page + 1}: {says} says {_say(a)}, "
                    f"the log says {_say(b)}"
                )
    return found


class SourceDifferences:
    """The sources and photos that differ from the log, the first ``MAX_NAMED`` of each file
    by name, then how many more."""

    def __init__(self, report: RecountReport) -> None:
        self.report = report
        self.count: dict[str, int] = {}

    def compare(
        self, path: str, kode: str, says: str, published: Source, said: Parts | None
    ) -> None:
        self.add(path, source_differences(kode, says, published, said))

    def add(self, path: str, details: list[str]) -> None:
        """Name these differences of one file, within its ``MAX_NAMED``."""
        for detail in details:
            done = self.count.get(path, 0)
            self.count[path] = done + 1
            if done < MAX_NAMED:
                self.report.add(Kind.SOURCE, path, detail)

    def left_out(self, path: str, kode: str, said: Parts) -> None:
        self.add(path, [unpublished(kode, said)])

    def close(self) -> None:
        for path, count in self.count.items():
            if count > MAX_NAMED:
                more = count - MAX_NAMED
                self.report.add(
                    Kind.SOURCE, path, f"… {more} more sources or photos differ from the log"
                )


def unpublished(kode: str, said: Parts) -> str:
    """A TPS the log imported that the snapshot publishes without a source (or not at all)."""
    logged = said.get("source_ref")
    whence = f" from {logged!r}" if isinstance(logged, str) else ""
    return f"TPS {kode} source: the snapshot gives none, the log says imported{whence}"


def source_of(item: Mapping[str, object]) -> Source | None:
    """A line of the unplaced list's source and photos, or None for a line that publishes no
    source (older snapshots); raises TypeError for photos that are not a list of addresses."""
    if "source_kind" not in item:
        return None
    kind, reference, photos = item.get("source_kind"), item.get("source_ref"), item.get("photos")
    if photos is not None and not (
        isinstance(photos, list) and all(p is None or isinstance(p, str) for p in photos)
    ):
        raise TypeError(f"photos {photos!r} is not a list of addresses")
    return Source(
        kind if isinstance(kind, str) else None,
        reference if isinstance(reference, str) else None,
        photos,
    )
