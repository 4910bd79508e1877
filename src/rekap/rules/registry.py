"""The rule registry: every rule rekap knows, in one place, and the engine that runs them."""

from __future__ import annotations

from collections.abc import Iterable

from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.result import TpsResult
from rekap.rules.batch import BATCH_RULES
from rekap.rules.completeness import COMPLETENESS_RULES
from rekap.rules.finding import Finding
from rekap.rules.identities import IDENTITY_RULES
from rekap.rules.plausibility import PLAUSIBILITY_RULES
from rekap.rules.rule import Rule, RuleContext

TPS_RULES = (*IDENTITY_RULES, *COMPLETENESS_RULES, *PLAUSIBILITY_RULES)
ALL_RULES: tuple[Rule, ...] = tuple(r.rule for r in (*TPS_RULES, *BATCH_RULES))


def rule_by_id(rule_id: str) -> Rule:
    for rule in ALL_RULES:
        if rule.id == rule_id:
            return rule
    raise KeyError(rule_id)


def check_tps(result: TpsResult, form: FormSpec, election: Election) -> tuple[Finding, ...]:
    """Every per-TPS finding for one result, blocking first, in registry order."""
    ctx = RuleContext(result, form, election)
    findings = [tps_rule.rule.finding(v) for tps_rule in TPS_RULES for v in tps_rule.check(ctx)]
    findings.sort(key=lambda f: not f.blocking)
    return tuple(findings)


class BatchChecker:
    """Runs every batch rule over a stream of results; findings come out by TPS code."""

    def __init__(self) -> None:
        self._running = [(r.rule, r.start()) for r in BATCH_RULES]

    def add(self, result: TpsResult) -> None:
        for _, accumulator in self._running:
            accumulator.add(result)

    def findings(self) -> dict[str, list[Finding]]:
        found: dict[str, list[Finding]] = {}
        for rule, accumulator in self._running:
            for kode, violation in accumulator.violations():
                found.setdefault(kode, []).append(rule.finding(violation))
        return found


def check_batch(results: Iterable[TpsResult]) -> dict[str, list[Finding]]:
    """Findings that compare results with each other, by TPS code."""
    checker = BatchChecker()
    for result in results:
        checker.add(result)
    return checker.findings()
