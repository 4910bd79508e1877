"""The shape of a rule: an id, a severity, bilingual messages, the fields it reads, a check."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.numerals import Lang, format_count, format_decimal
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


def shown(evidence: Evidence, lang: Lang) -> dict[str, int | float | str]:
    """The evidence as a message writes it: each count (every integer of the evidence is a
    number of the form, or a limit on one) with its thousands grouped as the portal groups
    them, so "12.345" and never "12345"; each share with the language's decimal mark, so
    "0,812" in Indonesian, where "1.25" would read as 125; text as it is. The finding keeps
    the evidence itself, plain numbers, for machines."""
    return {name: _shown(value, lang) for name, value in evidence.items()}


def _shown(value: int | float | str, lang: Lang) -> int | float | str:
    if type(value) is int:
        return format_count(value, lang)
    if type(value) is float:
        return format_decimal(value, lang)
    return value


@dataclass(frozen=True, slots=True)
class Rule:
    """A numbered rule. Messages are ``str.format`` templates over the evidence (``shown``)."""

    id: str
    severity: Severity
    title: str
    message_id: str
    message_en: str
    reads: tuple[str, ...]
    exemptions: str = ""

    def message(self, evidence: Evidence, lang: Lang) -> str:
        """The message in ``lang`` over ``evidence``; a missing key raises ``KeyError``."""
        template = self.message_id if lang == "id" else self.message_en
        return template.format(**shown(evidence, lang))

    def finding(self, violation: Violation) -> Finding:
        return Finding(
            rule=self.id,
            severity=self.severity,
            fields=violation.fields,
            message=self.message(violation.evidence, "id"),
            message_en=self.message(violation.evidence, "en"),
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
