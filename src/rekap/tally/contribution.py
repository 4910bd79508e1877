"""What one TPS adds to the tally of every region above it.

Only accepted results count: a result with an open blocking finding adds its numbers to
``held``, never to ``counted``. A TPS with no numbers adds only to coverage. A field that was
not recorded adds 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rekap.tally.layout import TallyLayout
from rekap.tally.stage import TpsStage

Vector = tuple[int, ...]

STAGE_FLAGS = {
    "received": TpsStage.RECEIVED,
    "read": TpsStage.READ,
    "verified": TpsStage.VERIFIED,
    "published": TpsStage.PUBLISHED,
}
"""The coverage flags a TPS sets by the stage it reached (it sets each stage's up to its own)."""


@dataclass(frozen=True, slots=True)
class TpsState:
    """What the tally needs to know about one TPS for one contest."""

    kode_tps: str
    stage: TpsStage
    blocking: bool
    values: Mapping[str, int] = field(default_factory=dict)
    by_people: bool = False
    """People entered the numbers (two agreeing verifiers or an adjudicator: ``source_kind``
    ``entry``), rather than the machine reading them or an import giving them."""

    @property
    def has_values(self) -> bool:
        return bool(self.values)

    @property
    def counted(self) -> bool:
        return self.has_values and not self.blocking

    @property
    def verified_by_people(self) -> bool:
        """Numbers exist and people entered them (the ``verified_by_people`` flag)."""
        return self.by_people and self.has_values

    def flags(self) -> tuple[int, ...]:
        """The TPS's coverage flags, in ``COVERAGE`` order (spelt out, not looked up by name:
        a national snapshot asks for them 1.6 million times; a test holds the two in step)."""
        stage = self.stage
        has_values = bool(self.values)
        return (
            int(stage >= TpsStage.RECEIVED),
            int(stage >= TpsStage.READ),
            int(stage >= TpsStage.VERIFIED),
            int(self.by_people and has_values),
            int(stage >= TpsStage.PUBLISHED),
            int(self.blocking),
            int(has_values and not self.blocking),
        )


def contribution(state: TpsState, layout: TallyLayout) -> Vector:
    """The vector one TPS adds to each of its ancestors (``layout.columns()`` order)."""
    flags = state.flags()
    numbers = [state.values.get(f, 0) for f in layout.fields]
    zeros = [0] * len(numbers)
    if state.counted:
        return (*flags, *numbers, *zeros)
    if state.has_values:
        return (*flags, *zeros, *numbers)
    return (*flags, *zeros, *zeros)


def zero(layout: TallyLayout) -> Vector:
    return (0,) * layout.width


def delta(old: Vector | None, new: Vector | None, layout: TallyLayout) -> Vector:
    """``new - old``; a missing side is a TPS that contributes nothing."""
    before = old if old is not None else zero(layout)
    after = new if new is not None else zero(layout)
    return tuple(a - b for a, b in zip(after, before, strict=True))


def is_zero(vector: Vector) -> bool:
    return not any(vector)
