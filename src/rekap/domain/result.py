"""A TPS result: the numbers of one form, each with where it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from rekap.domain.region_tree import JenisTps
from rekap.domain.wilayah import KodeWilayah

NO_PHOTO = "-"
"""A page without a photo, in a space-separated list of each page's photo (the bulk data's
``photos``, a CSV's ``photo_urls``)."""


def by_position(photos: Mapping[int, str]) -> tuple[str | None, ...]:
    """Photos by page number (1, 2, …) as ``TpsResult.photos``: each at its position, None
    for a page without one."""
    last = max(photos, default=0)
    return tuple(photos.get(page) for page in range(1, last + 1))


class SourceKind(StrEnum):
    PHOTO = "photo"
    IMPORT = "import"
    ENTRY = "entry"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a number came from: a photo crop, a row of an imported file, or a person's entry."""

    kind: SourceKind
    reference: str
    page: int | None = None
    box: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class TpsResult:
    """The recorded numbers of one TPS for one contest; absent fields were not recorded."""

    kode_tps: KodeWilayah
    contest: str
    values: Mapping[str, int]
    provenance: Mapping[str, Provenance] = field(default_factory=dict)
    source: Provenance | None = None
    jenis: JenisTps = JenisTps.TPS
    photos: tuple[str | None, ...] = ()
    """Each page's photo by its position (index 0 is page 1): an address (Sirekap's) or the
    SHA-256 of one of rekap's photos, None for a page without one; no trailing None."""
    captured_at: tuple[datetime, ...] = ()
    received_at: tuple[datetime, ...] = ()
    """When the server received each photo, in the order of ``captured_at`` (empty when not
    known, as for an imported row)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))
        for at in (*self.captured_at, *self.received_at):
            if at.tzinfo is None:
                raise ValueError("capture and receipt times must be timezone-aware")
        if self.received_at and len(self.received_at) != len(self.captured_at):
            raise ValueError("a receipt time for each capture time, or none")

    def provenance_of(self, field_id: str) -> Provenance | None:
        """The field's own source, else the source of the whole result (an imported row)."""
        return self.provenance.get(field_id, self.source)

    def get(self, field_id: str) -> int | None:
        return self.values.get(field_id)

    def has(self, *field_ids: str) -> bool:
        return all(f in self.values for f in field_ids)

    def with_value(self, field_id: str, value: int, source: Provenance) -> TpsResult:
        """A new result with one number replaced (the original is untouched)."""
        values = {**self.values, field_id: value}
        provenance = {**self.provenance, field_id: source}
        return TpsResult(
            self.kode_tps,
            self.contest,
            values,
            provenance,
            self.source,
            self.jenis,
            self.photos,
            self.captured_at,
            self.received_at,
        )
