"""Double-blind verification: two independent entries must agree and satisfy the rules.

Agreement that satisfies every blocking rule verifies the form; any disagreement, or agreed
numbers that break an identity, go to an adjudicator, whose entry decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.registry import check_tps

HOLD = timedelta(minutes=20)
"""How long a task handed to a person stays theirs: while they type, it is handed to no more
people than it needs entries; a hold that lapses (a closed laptop) frees the place."""

MAX_HOLD = timedelta(hours=1)
"""How long one person may hold one task, asking again and again: then its place goes to
others (and it is not handed back to them for ``HOLD``)."""

ENTRIES_NEEDED = {"open": 2, "adjudication": 1}
"""Entries a task takes in each state: two verifiers, then (if they disagree) one adjudicator."""

HANDED_AMONG = 50
"""A task is handed out at random among this many of the oldest that the person may enter
and that have a place: no one can count on being handed a form they chose (two people
agreeing on a false number verify it, one adjudicator decides alone), while no form waits
long behind younger ones."""

SKIPS_ALLOWED = 5
SKIP_WINDOW = timedelta(hours=1)
"""A person may skip at most ``SKIPS_ALLOWED`` forms in any ``SKIP_WINDOW``: enough for
photos they cannot read and a break, too few to skip their way to a form they chose (with
``HANDED_AMONG`` candidates, six looks reach a chosen form about one time in eight; a hold let
lapse hands the same form back, and counts as a skip when others took its place)."""


def next_skip_at(skipped_at: Sequence[datetime], at: datetime) -> datetime | None:
    """When the person may skip again, given when they skipped before (any order), or None
    if they may skip at ``at``: the oldest skip of the window must leave it first."""
    recent = sorted(t for t in skipped_at if t > at - SKIP_WINDOW)
    if len(recent) < SKIPS_ALLOWED:
        return None
    return recent[len(recent) - SKIPS_ALLOWED] + SKIP_WINDOW


class TaskOutcome(StrEnum):
    WAITING = "waiting"
    VERIFIED = "verified"
    ADJUDICATION = "adjudication"


@dataclass(frozen=True)
class TaskDecision:
    outcome: TaskOutcome
    values: Mapping[str, int]
    disagreements: tuple[str, ...]
    reasons: tuple[str, ...]


def disagreements(a: Mapping[str, int], b: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)))


def blocking_reasons(
    kode_tps: KodeWilayah,
    contest: str,
    values: Mapping[str, int],
    form: FormSpec,
    election: Election,
) -> tuple[str, ...]:
    findings = check_tps(TpsResult(kode_tps, contest, values), form, election)
    return tuple(f"{f.rule}: {', '.join(f.fields)}" for f in findings if f.blocking)


def decide_entries(
    kode_tps: KodeWilayah,
    contest: str,
    entries: Sequence[Mapping[str, int]],
    form: FormSpec,
    election: Election,
) -> TaskDecision:
    """The outcome of a task's verifier entries (not the adjudicator's)."""
    if len(entries) < 2:
        return TaskDecision(TaskOutcome.WAITING, {}, (), ())
    first, second = entries[0], entries[1]
    differ = disagreements(first, second)
    if differ:
        return TaskDecision(
            TaskOutcome.ADJUDICATION, {}, differ, tuple(f"{f}: entries differ" for f in differ)
        )
    broken = blocking_reasons(kode_tps, contest, first, form, election)
    if broken:
        return TaskDecision(TaskOutcome.ADJUDICATION, dict(first), (), broken)
    return TaskDecision(TaskOutcome.VERIFIED, dict(first), (), ())
