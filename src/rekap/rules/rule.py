"""The shape of a rule: an id, a severity, bilingual messages, the fields it reads, a check."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.result import TpsResult
from rekap.rules.finding import Evidence, Finding, Severity


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a per-TPS rule may look at."""

    result: TpsResult
    form: FormSpec
    election: Election


@dataclass(frozen=True, slots=True)
class Violation:
    """One breach of a rule: the fields involved and the numbers that show it."""

    fields: tuple[str, ...]
    evidence: Evidence


Check = Callable[[RuleContext], Iterable[Violation]]


class Accumulator(Protocol):
    """Sees results one by one, then names the TPS (by code) that break the rule."""

    def add(self, result: TpsResult) -> None: ...

    def violations(self) -> Iterator[tuple[str, Violation]]: ...


@dataclass(frozen=True, slots=True)
class Rule:
    """A numbered rule. Messages are ``str.format`` templates over the evidence."""

    id: str
    severity: Severity
    title: str
    message_id: str
    message_en: str
    reads: tuple[str, ...]
    exemptions: str = ""

    def finding(self, violation: Violation) -> Finding:
        return Finding(
            rule=self.id,
            severity=self.severity,
            fields=violation.fields,
            message=self.message_id.format(**violation.evidence),
            message_en=self.message_en.format(**violation.evidence),
            evidence=violation.evidence,
        )


@dataclass(frozen=True, slots=True)
class TpsRule:
    """A rule that judges one TPS result on its own."""

    rule: Rule
    check: Check


@dataclass(frozen=True, slots=True)
class BatchRule:
    """A rule that judges a TPS against others (its desa, every other TPS)."""

    rule: Rule
    start: Callable[[], Accumulator]
