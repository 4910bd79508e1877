"""Findings stored before F-SUARA-LENGKAP existed (an import into an older database) miss it:
the tally still holds a result with a vote not recorded, whatever was stored."""

from __future__ import annotations

from rekap.adapters.storage.tally_inputs import ResultChecks, StoredResult, TpsRows
from rekap.data import election_2024
from rekap.domain.form import c_hasil_ppwp
from rekap.rules.finding import Finding, Severity

COMPLETE = {"paslon_1": 10, "paslon_2": 20, "paslon_3": 5, "suara_sah": 35}
COMPLETE |= {"suara_tidak_sah": 1, "suara_total": 36}


def _checks() -> ResultChecks:
    election = election_2024()
    return ResultChecks(c_hasil_ppwp(election.contest("ppwp").dapil[0]), election, "ppwp")


def _rows(values: dict[str, int], findings: list[Finding] | None = None) -> TpsRows:
    stored = StoredResult("import", values, "tps", ())
    return TpsRows("3310052013001", stored, findings=findings or [])


def test_an_import_stored_without_the_rule_is_held_for_a_missing_vote() -> None:
    partial = {k: v for k, v in COMPLETE.items() if k != "suara_sah"}
    found = _checks()(_rows(partial))
    assert [(f.rule, f.fields, f.blocking) for f in found] == [
        ("F-SUARA-LENGKAP", ("suara_sah",), True)
    ]
    assert _checks()(_rows(COMPLETE)) == ()


def test_stored_findings_are_kept_and_the_rule_not_said_twice() -> None:
    partial = {k: v for k, v in COMPLETE.items() if k != "paslon_2"}
    old = Finding("W-TPS-300", Severity.WARNING, ("dpt_j",), "m", "m", {})
    found = _checks()(_rows(partial, [old]))
    assert [f.rule for f in found] == ["W-TPS-300", "F-SUARA-LENGKAP"]
    again = _checks()(_rows(partial, list(found)))
    assert [f.rule for f in again] == ["W-TPS-300", "F-SUARA-LENGKAP"]
