"""The region tree: every provinsi, kabupaten/kota, kecamatan and desa, and the TPS of each desa.

The 823k TPS are not stored one by one: a desa carries the numbers of its TPS as ranges,
so the tree loads in a fraction of a second and a TPS code is checked by arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

from rekap.domain.wilayah import PARENT_LENGTH, KodeWilayah, Level


class JenisTps(StrEnum):
    """The kind of voting unit; overseas POS (postal) and KSK (mobile box) exceed 300 voters."""

    TPS = "tps"
    TPSLN = "tpsln"
    POS = "pos"
    KSK = "ksk"

    @property
    def exempt_from_size_limit(self) -> bool:
        return self in (JenisTps.POS, JenisTps.KSK)


@dataclass(frozen=True, slots=True)
class TpsRange:
    """TPS numbers ``first``..``last`` inclusive."""

    first: int
    last: int

    def __len__(self) -> int:
        return self.last - self.first + 1

    def __contains__(self, nomor: object) -> bool:
        return isinstance(nomor, int) and self.first <= nomor <= self.last


@dataclass(frozen=True, slots=True)
class Region:
    kode: KodeWilayah
    nama: str
    jenis: JenisTps | None = None
    tps_ranges: tuple[TpsRange, ...] = ()

    @property
    def level(self) -> Level:
        return self.kode.level

    @property
    def tps_count(self) -> int:
        return sum(len(r) for r in self.tps_ranges)

    def has_tps(self, nomor: int) -> bool:
        return any(nomor in r for r in self.tps_ranges)

    def tps_codes(self) -> Iterator[KodeWilayah]:
        for r in self.tps_ranges:
            for nomor in range(r.first, r.last + 1):
                yield self.kode.tps(nomor)


class UnknownRegion(KeyError):
    """A code that is well formed but not in the tree."""


@dataclass(frozen=True)
class RegionTree:
    """All regions down to desa, indexed by code, with their children in code order."""

    regions: Mapping[str, Region]
    children_of: Mapping[str, tuple[str, ...]] = field(repr=False)

    @classmethod
    def build(cls, regions: Iterable[Region]) -> RegionTree:
        by_code: dict[str, Region] = {"": Region(KodeWilayah.nasional(), "INDONESIA")}
        for region in regions:
            by_code[region.kode.value] = region
        children: dict[str, list[str]] = {}
        for code in sorted(by_code):
            if code:
                parent = code[: PARENT_LENGTH[len(code)]]
                if parent not in by_code:
                    raise UnknownRegion(f"{code} has no parent {parent!r} in the tree")
                children.setdefault(parent, []).append(code)
        return cls(by_code, {k: tuple(v) for k, v in children.items()})

    def __len__(self) -> int:
        return len(self.regions)

    def get(self, kode: KodeWilayah) -> Region:
        try:
            return self.regions[kode.value]
        except KeyError:
            raise UnknownRegion(f"{kode.value or 'nasional'} is not in the region tree") from None

    def __contains__(self, kode: object) -> bool:
        if not isinstance(kode, KodeWilayah):
            return False
        if kode.level is Level.TPS:
            desa = self.regions.get(kode.value[:10])
            return desa is not None and desa.has_tps(kode.nomor_tps)
        return kode.value in self.regions

    def children(self, kode: KodeWilayah) -> tuple[Region, ...]:
        return tuple(self.regions[c] for c in self.children_of.get(kode.value, ()))

    def desa_of(self, kode_tps: KodeWilayah) -> Region:
        return self.get(KodeWilayah(kode_tps.value[:10]))

    def jenis_of(self, kode_tps: KodeWilayah) -> JenisTps:
        """The kind of a TPS (its desa's: POS, KSK, overseas…); a plain TPS when unknown."""
        if kode_tps in self:
            return self.desa_of(kode_tps).jenis or JenisTps.TPS
        return JenisTps.TPS

    def at_level(self, level: Level) -> Iterator[Region]:
        return (r for r in self.regions.values() if r.level is level)

    def count(self, level: Level) -> int:
        return sum(1 for _ in self.at_level(level))

    def tps_count(self, kode: KodeWilayah | None = None) -> int:
        """TPS expected under a region (the whole country when ``kode`` is None; none under a
        code the tree does not hold, a TPS's among them): read from ``tps_counts``, so a
        page or a check that asks for one region pays for one lookup, not for every desa."""
        return self.tps_counts().get("" if kode is None else kode.value, 0)

    def tps_counts(self) -> Mapping[str, int]:
        """TPS expected under every region, by code (read-only)."""
        return MappingProxyType(self._tps_counts)

    @cached_property
    def _tps_counts(self) -> dict[str, int]:
        """Counted in one pass over the desa the first time one is asked for, then kept: the
        tree does not change."""
        counts = dict.fromkeys(self.regions, 0)
        for region in self.at_level(Level.DESA):
            code, tps = region.kode.value, region.tps_count
            for length in (0, 2, 4, 6, 10):
                counts[code[:length]] += tps
        return counts

    def subtree(self, kode: KodeWilayah) -> Iterator[Region]:
        """The region and everything below it, parents before children."""
        stack = [kode.value]
        while stack:
            code = stack.pop()
            yield self.regions[code]
            stack.extend(reversed(self.children_of.get(code, ())))

    def path(self, kode: KodeWilayah) -> tuple[Region, ...]:
        """From the nation down to the region itself (for a TPS, down to its desa)."""
        chain = [*kode.ancestors(), kode] if kode.level is not Level.TPS else kode.ancestors()
        return tuple(self.get(k) for k in chain)

    def search(self, text: str, limit: int = 20) -> list[Region]:
        """Regions whose name contains every word of ``text`` (case-insensitive)."""
        words = text.upper().split()
        if not words:
            return []
        found: list[Region] = []
        for region in self.regions.values():
            if region.kode.value and all(w in region.nama for w in words):
                found.append(region)
        found.sort(key=lambda r: (r.level, r.nama, r.kode))
        return found[:limit]
