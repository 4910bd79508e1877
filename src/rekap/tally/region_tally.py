"""The tally of one region for one contest: coverage, counted numbers, held-back numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rekap.tally.contribution import Vector
from rekap.tally.layout import COVERAGE, TallyLayout


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many TPS of a region are expected, and how far their results have come."""

    tps_expected: int
    received: int
    read: int
    verified: int
    published: int
    blocking: int
    counted: int

    def as_dict(self) -> dict[str, int]:
        return {
            "tps_expected": self.tps_expected,
            "received": self.received,
            "read": self.read,
            "verified": self.verified,
            "published": self.published,
            "blocking": self.blocking,
            "counted": self.counted,
        }


@dataclass(frozen=True)
class RegionTally:
    """``counted`` sums accepted results only; ``held`` sums results with open blocking
    findings, shown beside the count and never added to it."""

    kode: str
    contest: str
    coverage: Coverage
    counted: Mapping[str, int]
    held: Mapping[str, int]

    @classmethod
    def from_vector(
        cls, kode: str, tps_expected: int, vector: Vector, layout: TallyLayout
    ) -> RegionTally:
        flags = dict(zip(COVERAGE, vector[: len(COVERAGE)], strict=True))
        counted = vector[layout.counted_offset : layout.held_offset]
        held = vector[layout.held_offset :]
        return cls(
            kode=kode,
            contest=layout.contest,
            coverage=Coverage(tps_expected=tps_expected, **flags),
            counted=dict(zip(layout.fields, counted, strict=True)),
            held=dict(zip(layout.fields, held, strict=True)),
        )
