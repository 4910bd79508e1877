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
    verified_by_people: int = 0
    """Of ``verified``, the TPS whose numbers people entered (a snapshot before 2026-11-23
    did not publish it)."""

    def as_dict(self) -> dict[str, int]:
        """``tps_expected``, then the figures in ``COVERAGE`` order."""
        return {
            "tps_expected": self.tps_expected,
            "received": self.received,
            "read": self.read,
            "verified": self.verified,
            "verified_by_people": self.verified_by_people,
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
        if len(vector) != layout.width:
            raise ValueError(f"a vector of {len(vector)} numbers does not fit {layout.columns()}")
        start, middle = layout.counted_offset, layout.held_offset
        coverage = Coverage(tps_expected, **dict(zip(COVERAGE, vector[:start], strict=True)))
        counted = dict(zip(layout.fields, vector[start:middle], strict=True))
        held = dict(zip(layout.fields, vector[middle:], strict=True))
        return cls(kode, layout.contest, coverage, counted, held)
