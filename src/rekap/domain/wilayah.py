"""Region codes (kode wilayah) and the levels of the recapitulation hierarchy.

A code is 2 digits for a provinsi, 4 for a kabupaten/kota, 6 for a kecamatan, 10 for a
desa/kelurahan and 13 for a TPS (the desa code plus a 3-digit TPS number). A parent's code
is a prefix of its children's. Overseas units sit under provinsi code ``99``: a country at the
kabupaten level, a city (perwakilan) at the kecamatan level and a voting unit (TPS, POS or KSK)
at the desa level.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

OVERSEAS_PROVINSI = "99"


class Level(IntEnum):
    """A level of the hierarchy, valued by the length of its code."""

    NASIONAL = 0
    PROVINSI = 2
    KABUPATEN_KOTA = 4
    KECAMATAN = 6
    DESA = 10
    TPS = 13

    @property
    def child(self) -> Level | None:
        index = _ORDER.index(self)
        return _ORDER[index + 1] if index + 1 < len(_ORDER) else None

    @property
    def parent(self) -> Level | None:
        index = _ORDER.index(self)
        return _ORDER[index - 1] if index > 0 else None

    @property
    def label(self) -> str:
        return _LABELS[self]


_ORDER = (
    Level.NASIONAL,
    Level.PROVINSI,
    Level.KABUPATEN_KOTA,
    Level.KECAMATAN,
    Level.DESA,
    Level.TPS,
)
_LABELS = {
    Level.NASIONAL: "nasional",
    Level.PROVINSI: "provinsi",
    Level.KABUPATEN_KOTA: "kabupaten/kota",
    Level.KECAMATAN: "kecamatan",
    Level.DESA: "desa/kelurahan",
    Level.TPS: "TPS",
}
_LENGTHS = frozenset(level.value for level in Level)
_LEVEL_BY_LENGTH = {level.value: level for level in Level}
PARENT_LENGTH = {13: 10, 10: 6, 6: 4, 4: 2, 2: 0}


class InvalidKodeWilayah(ValueError):
    """A string that is not a region code of any level."""


@dataclass(frozen=True, slots=True, order=True)
class KodeWilayah:
    """A validated region code; the empty code is the nation itself."""

    value: str

    def __post_init__(self) -> None:
        if len(self.value) not in _LENGTHS or not (self.value == "" or self.value.isdigit()):
            raise InvalidKodeWilayah(
                f"{self.value!r} is not a kode wilayah (2, 4, 6, 10 or 13 digits)"
            )
        if not self.value.isascii():
            raise InvalidKodeWilayah(f"{self.value!r} has non-ASCII digits")

    @classmethod
    def parse(cls, text: str) -> KodeWilayah:
        """Accept the plain form and the dotted form (``33.10.05.2013``)."""
        return cls(text.strip().replace(".", ""))

    @classmethod
    def nasional(cls) -> KodeWilayah:
        return cls("")

    @property
    def level(self) -> Level:
        return _LEVEL_BY_LENGTH[len(self.value)]

    @property
    def parent(self) -> KodeWilayah | None:
        length = PARENT_LENGTH.get(len(self.value))
        return None if length is None else KodeWilayah(self.value[:length])

    def ancestors(self) -> tuple[KodeWilayah, ...]:
        """From the nation down to the direct parent."""
        levels = _ORDER[: _ORDER.index(self.level)]
        return tuple(KodeWilayah(self.value[: level.value]) for level in levels)

    def is_within(self, other: KodeWilayah) -> bool:
        """True when ``other`` is this region or one of its ancestors."""
        return self.value.startswith(other.value)

    @property
    def is_overseas(self) -> bool:
        return self.value.startswith(OVERSEAS_PROVINSI)

    @property
    def provinsi(self) -> str:
        return self.value[:2]

    @property
    def nomor_tps(self) -> int:
        if self.level is not Level.TPS:
            raise InvalidKodeWilayah(f"{self.value} is not a TPS code")
        return int(self.value[10:])

    def tps(self, nomor: int) -> KodeWilayah:
        """The code of TPS number ``nomor`` of this desa."""
        if self.level is not Level.DESA or not 1 <= nomor <= 999:
            raise InvalidKodeWilayah(f"no TPS {nomor} under {self.value or 'nasional'}")
        return KodeWilayah(f"{self.value}{nomor:03d}")

    def dotted(self) -> str:
        parts = [self.value[a:b] for a, b in ((0, 2), (2, 4), (4, 6), (6, 10), (10, 13))]
        return ".".join(part for part in parts if part)

    def __str__(self) -> str:
        return self.value
