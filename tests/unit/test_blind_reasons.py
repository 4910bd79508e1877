"""While two people enter a form blind, nothing public carries the machine's numbers: the
reasons a form goes to people (logged, and shown to verifiers) name rules and fields only,
and the public findings of a waiting form say the rule, not its evidence."""

from __future__ import annotations

import re

from rekap.capture.assess import FormState, PageValues, assess_form
from rekap.data import election_2024
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.finding import Finding
from rekap.web.portal.tps_view import without_numbers


def _assessed() -> tuple[tuple[str, ...], tuple[Finding, ...]]:
    election = election_2024()
    form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    values = {f.id: 7 for f in form.fields}
    values |= {"paslon_1": 123, "paslon_2": 274, "paslon_3": 32, "suara_sah": 431}
    pages = {
        page: PageValues(page, {f.id: values[f.id] for f in form.fields if f.page == page}, ())
        for page in sorted({f.page for f in form.fields})
    }
    assessed = assess_form(KodeWilayah("3310052013001"), "ppwp", pages, form, election)
    assert assessed.state is FormState.NEEDS_VERIFICATION
    assert assessed.findings
    return assessed.reasons, assessed.findings


def test_the_reasons_a_form_goes_to_people_carry_no_number() -> None:
    reasons, _ = _assessed()
    assert reasons
    for reason in reasons:
        assert not re.search(r"\b(123|274|32|431|429|7)\b", reason), reason


def test_a_waiting_forms_findings_keep_their_rule_and_fields_only() -> None:
    _, findings = _assessed()
    shown = without_numbers(findings)
    assert [f.rule for f in shown] == [f.rule for f in findings]
    for found in shown:
        assert found.evidence == {}
        assert not re.search(r"\d{2,}", found.message_en + found.message)
