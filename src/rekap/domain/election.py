"""An election as data: contests, electoral districts (dapil) and ballot entries.

PPWP lists paslon; a legislative contest lists parties, each with its candidates; both are
``BallotEntry`` records loaded from a data file, so a new contest needs data, not classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum

from rekap.domain.wilayah import KodeWilayah


class ContestKind(StrEnum):
    """The five contests of 2024, by Sirekap's codes."""

    PPWP = "ppwp"
    DPR = "pdpr"
    DPD = "pdpd"
    DPRD_PROVINSI = "pdprdp"
    DPRD_KABUPATEN_KOTA = "pdprdk"


@dataclass(frozen=True, slots=True)
class BallotEntry:
    """A paslon, a party or a candidate, by nomor urut; a party holds its candidates."""

    nomor_urut: int
    nama: str
    sirekap_id: str | None = None
    candidates: tuple[BallotEntry, ...] = ()
    sirekap_nama: str | None = None
    """The name as Sirekap's own ``pemilu/ppwp.json`` spelled it, where it differs (names in
    capitals, titles as written), so tools that match paslon by name find them."""


@dataclass(frozen=True, slots=True)
class Dapil:
    """An electoral district: the regions (code prefixes) it covers and what is on its ballot."""

    kode: str
    nama: str
    regions: tuple[str, ...]
    entries: tuple[BallotEntry, ...]

    def covers(self, kode: KodeWilayah) -> bool:
        return any(kode.value.startswith(prefix) for prefix in self.regions)


class NoDapil(LookupError):
    """No electoral district of a contest covers a region."""


@dataclass(frozen=True, slots=True)
class Contest:
    kind: ContestKind
    nama: str
    dapil: tuple[Dapil, ...]

    def dapil_for(self, kode: KodeWilayah) -> Dapil:
        for dapil in self.dapil:
            if dapil.covers(kode):
                return dapil
        raise NoDapil(f"no dapil of {self.kind.value} covers {kode.value or 'nasional'}")


@dataclass(frozen=True, slots=True)
class Election:
    """One election day: its contests and the facts the rules need."""

    kode: str
    nama: str
    tanggal: date
    polls_close_local: time
    max_voters_per_tps: int
    ballot_reserve_fraction: float
    noken_regions: tuple[str, ...]
    contests: tuple[Contest, ...]

    def contest(self, kind: ContestKind | str) -> Contest:
        for contest in self.contests:
            if contest.kind == kind:
                return contest
        raise LookupError(f"election {self.kode} has no contest {kind}")

    def uses_noken(self, kode: KodeWilayah) -> bool:
        """Regions where the noken system may legitimately give bloc votes."""
        return any(kode.value.startswith(prefix) for prefix in self.noken_regions)
