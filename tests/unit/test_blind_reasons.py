"""While two people enter a form blind, nothing public carries the machine's numbers: the
reasons a form goes to people (logged, and shown to verifiers) name rules and fields only,
and so do the reasons agreed entries go on to an adjudicator."""

from __future__ import annotations

import re

from rekap.capture.assess import FormState, PageValues, assess_form
from rekap.capture.verification import decide_entries
from rekap.data import election_2024
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.finding import Finding


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


def test_agreed_entries_that_break_a_rule_go_on_with_rule_and_fields_only() -> None:
    election = election_2024()
    form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    entry = {f.id: 7 for f in form.fields} | {"paslon_1": 49, "suara_sah": 5}
    decision = decide_entries(KodeWilayah("3310052013001"), "ppwp", [entry, entry], form, election)
    assert decision.reasons
    for reason in decision.reasons:
        assert not re.search(r"\b(49|5|7)\b", reason), reason


def test_a_vote_the_reader_abstained_on_is_said_once() -> None:
    """The abstention is the reason; the vote it leaves unrecorded is not said again as
    F-SUARA-LENGKAP. A vote missing otherwise still is."""
    election = election_2024()
    form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    values = {f.id: 0 for f in form.fields}
    values |= {"paslon_1": 10, "paslon_2": 20, "paslon_3": 5, "suara_sah": 35}
    values |= {"suara_tidak_sah": 1, "suara_total": 36}

    def pages(drop: str, abstained: tuple[str, ...]) -> dict[int, PageValues]:
        return {
            page: PageValues(
                page,
                {f.id: values[f.id] for f in form.fields if f.page == page and f.id != drop},
                tuple(a for a in abstained if form.by_id[a].page == page),
            )
            for page in sorted({f.page for f in form.fields})
        }

    code = KodeWilayah("3310052013001")
    said = assess_form(code, "ppwp", pages("paslon_3", ("paslon_3",)), form, election).reasons
    assert "paslon_3: the reader abstained" in said
    assert not [r for r in said if r.startswith("F-SUARA-LENGKAP")], said
    unsaid = assess_form(code, "ppwp", pages("paslon_3", ()), form, election).reasons
    assert "F-SUARA-LENGKAP: paslon_3" in unsaid
