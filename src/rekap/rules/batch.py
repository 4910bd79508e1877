"""Warnings that compare a TPS with others: turnout within its desa, photos reused.

Batch rules see results one at a time through an accumulator that keeps only what it needs
(a float per TPS, an 8-byte digest per photo), so a national run stays small in memory.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from rekap.domain.result import TpsResult
from rekap.rules.finding import Severity
from rekap.rules.rule import BatchRule, Rule, Violation

MIN_TPS_FOR_OUTLIER = 4
MIN_TURNOUT_GAP = 0.25
MAD_FACTOR = 5.0


@dataclass
class TurnoutInDesa:
    """Flags a TPS whose turnout is far from the median of its desa (robust: median, MAD)."""

    by_desa: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, result: TpsResult) -> None:
        """Later versions of the same TPS replace earlier ones."""
        kode = result.kode_tps.value
        dpt = result.get("dpt_j")
        came = result.get("pengguna_total_j")
        if dpt is not None and came is not None and dpt > 0:
            self.by_desa[kode[:10]][kode] = came / dpt
        else:
            self.by_desa[kode[:10]].pop(kode, None)

    def violations(self) -> Iterator[tuple[str, Violation]]:
        for by_kode in self.by_desa.values():
            members = list(by_kode.items())
            if len(members) < MIN_TPS_FOR_OUTLIER:
                continue
            turnouts = [t for _, t in members]
            median = statistics.median(turnouts)
            mad = statistics.median(abs(t - median) for t in turnouts)
            gap = max(MIN_TURNOUT_GAP, MAD_FACTOR * mad)
            for kode, turnout in members:
                if abs(turnout - median) > gap:
                    evidence = {"turnout": round(turnout, 3), "median": round(median, 3)}
                    yield kode, Violation(("pengguna_total_j", "dpt_j"), evidence)


def _photo_key(photo: str) -> bytes:
    return hashlib.blake2b(photo.encode("utf-8"), digest_size=8).digest()


@dataclass
class PhotoReused:
    """Flags every TPS that shares a photo (same hash or address) with another TPS."""

    owners: dict[bytes, str] = field(default_factory=dict)
    shared: dict[bytes, set[str]] = field(default_factory=dict)
    names: dict[bytes, str] = field(default_factory=dict)

    def add(self, result: TpsResult) -> None:
        kode = result.kode_tps.value
        for photo in filter(None, result.photos):
            key = _photo_key(photo)
            owner = self.owners.setdefault(key, kode)
            if owner != kode:
                self.shared.setdefault(key, {owner}).add(kode)
                self.names[key] = photo

    def violations(self) -> Iterator[tuple[str, Violation]]:
        for key, kodes in self.shared.items():
            for kode in sorted(kodes):
                others = ", ".join(sorted(kodes - {kode})[:5])
                yield kode, Violation((), {"photo": self.names[key], "other_tps": others})


BATCH_RULES = (
    BatchRule(
        Rule(
            "W-PARTISIPASI-DESA",
            Severity.WARNING,
            "Turnout far from the other TPS of the same desa",
            "Partisipasi {turnout} jauh dari median desa ({median})",
            "Turnout {turnout} is far from the desa median ({median})",
            ("pengguna_total_j", "dpt_j"),
            f"Desa with fewer than {MIN_TPS_FOR_OUTLIER} TPS reporting.",
        ),
        TurnoutInDesa,
    ),
    BatchRule(
        Rule(
            "W-FOTO-GANDA",
            Severity.WARNING,
            "The same photo uploaded for two TPS",
            "Foto {photo} juga dipakai TPS {other_tps}",
            "Photo {photo} is also used by TPS {other_tps}",
            ("photos",),
        ),
        PhotoReused,
    ),
)
