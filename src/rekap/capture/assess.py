"""Deciding what happens to a form once its pages are read: accept it, or send it to people.

A form goes to verification when any field abstains or any blocking rule fires; it waits when
a page has not been read yet. The machine's reading never silently becomes a published number
unless every field was read and every identity holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.region_tree import JenisTps
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.completeness import VOTES_RULE
from rekap.rules.finding import Finding
from rekap.rules.registry import check_tps


class FormState(StrEnum):
    INCOMPLETE = "incomplete"
    ACCEPTED = "accepted"
    NEEDS_VERIFICATION = "needs_verification"
    VERIFIED = "verified"
    ADJUDICATION = "adjudication"


@dataclass(frozen=True, slots=True)
class PageValues:
    """What the reader said of one page: values it read, fields it abstained on."""

    page: int
    values: Mapping[str, int]
    abstained: tuple[str, ...]


@dataclass(frozen=True)
class FormAssessment:
    state: FormState
    values: Mapping[str, int]
    abstained: tuple[str, ...]
    findings: tuple[Finding, ...]
    reasons: tuple[str, ...]


def assess_form(
    kode_tps: KodeWilayah,
    contest: str,
    pages: Mapping[int, PageValues],
    form: FormSpec,
    election: Election,
    jenis: JenisTps = JenisTps.TPS,
) -> FormAssessment:
    needed = sorted({f.page for f in form.fields})
    missing = [p for p in needed if p not in pages]
    values: dict[str, int] = {}
    abstained: list[str] = []
    for page in sorted(pages):
        values.update(pages[page].values)
        abstained.extend(pages[page].abstained)
    result = TpsResult(kode_tps, contest, values, jenis=jenis)
    # a vote the reader abstained on is not recorded: said once, as the abstention
    findings = tuple(
        f
        for f in check_tps(result, form, election)
        if not (f.rule == VOTES_RULE and set(f.fields) <= set(abstained))
    )
    if missing:
        reasons = tuple(f"page {p} not read yet" for p in missing)
        return FormAssessment(FormState.INCOMPLETE, values, tuple(abstained), findings, reasons)
    # rule ids and field names, never the numbers: the reasons go into the public log and
    # to the verifiers while they enter the form blind
    reasons = tuple(
        [f"{field_id}: the reader abstained" for field_id in abstained]
        + [f"{f.rule}: {', '.join(f.fields)}" for f in findings if f.blocking]
    )
    state = FormState.NEEDS_VERIFICATION if reasons else FormState.ACCEPTED
    return FormAssessment(state, values, tuple(abstained), findings, reasons)
