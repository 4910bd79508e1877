"""How far a TPS result has come: the stages that the coverage figures count."""

from __future__ import annotations

from enum import IntEnum


class TpsStage(IntEnum):
    """Ordered stages; a TPS at a stage has passed every earlier one."""

    NONE = 0
    RECEIVED = 1  # at least one photo of the form arrived
    READ = 2  # numbers exist (machine-read, or imported from an outside source)
    # the numbers passed verification: the machine read the whole form with no blocking
    # finding (accepted), or people entered them (two agreeing, or an adjudicator)
    VERIFIED = 3
    PUBLISHED = 4  # the verified numbers were released in a snapshot

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def from_label(cls, label: str) -> TpsStage:
        return cls[label.upper()]


# looked up, not built: a national snapshot asks for a label 1.6 million times
_LABELS = {stage: stage.name.lower() for stage in TpsStage}
