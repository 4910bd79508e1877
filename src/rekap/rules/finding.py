"""Findings: what a rule says about a result, as data with a stable rule id and evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


Evidence = Mapping[str, int | float | str]


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    fields: tuple[str, ...]
    message: str
    message_en: str
    evidence: Evidence = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.BLOCKING

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "fields": list(self.fields),
            "message": self.message_en,
            "message_id": self.message,
            "evidence": dict(self.evidence),
        }
