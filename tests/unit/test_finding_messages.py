"""A finding's message writes a count of 1,000 or more with its thousands grouped, the way the
portal writes numbers ('.' in Indonesian, ',' in English); its evidence keeps plain integers,
and what is not a count (a TPS code, a share, a time) is written as it is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rekap.adapters.storage.tally_inputs import stored_finding
from rekap.domain.numerals import format_count
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.registry import check_tps, rule_by_id
from rekap.rules.rule import Violation
from rekap.web.portal.i18n import format_int
from tests.unit.factories import ELECTION, FORM


def _found(**values: int) -> dict[str, list[tuple[str, str]]]:
    """Each rule's messages (Indonesian, English) for a result of ``values``."""
    result = TpsResult(KodeWilayah("3310052013001"), "ppwp", values)
    found: dict[str, list[tuple[str, str]]] = {}
    for f in check_tps(result, FORM, ELECTION):
        found.setdefault(f.rule, []).append((f.message, f.message_en))
    return found


def test_large_counts_in_a_message_have_their_thousands_grouped() -> None:
    found = _found(paslon_1=12345, paslon_2=2, paslon_3=3, suara_sah=1234)
    assert found["F-SUM-SAH"] == [
        (
            "Jumlah suara paslon (12.350) tidak sama dengan suara sah (1.234)",
            "Votes per paslon add up to 12,350, but suara sah is 1,234",
        )
    ]
    assert (
        "Nilai paslon_1 = 12.345 di luar rentang 0–999",
        "paslon_1 = 12,345 is outside 0–999",
    ) in found["F-RANGE"]


def test_counts_below_a_thousand_read_as_before() -> None:
    found = _found(suara_sah=100, suara_tidak_sah=3, suara_total=104)
    assert found["F-SUM-TOTAL"] == [
        (
            "Suara sah (100) + tidak sah (3) ≠ jumlah (104)",
            "suara sah 100 + tidak sah 3 ≠ total 104",
        )
    ]


def test_the_evidence_keeps_plain_integers() -> None:
    result = TpsResult(KodeWilayah("3310052013001"), "ppwp", {"suara_total": 1200})
    (finding,) = [f for f in check_tps(result, FORM, ELECTION) if f.rule == "F-RANGE"]
    assert finding.evidence == {"field": "suara_total", "value": 1200}
    assert finding.as_json()["evidence"] == {"field": "suara_total", "value": 1200}
    assert finding.message == "Nilai suara_total = 1.200 di luar rentang 0–999"


def test_codes_and_shares_are_not_counts() -> None:
    """A TPS code in the evidence is text, a turnout a share: neither is grouped."""
    photo = rule_by_id("W-FOTO-GANDA").finding(
        Violation((), {"photo": "abc", "other_tps": "3310052013002"})
    )
    assert photo.message_en == "Photo abc is also used by TPS 3310052013002"
    turnout = rule_by_id("W-PARTISIPASI-DESA").finding(
        Violation((), {"turnout": 1.25, "median": 0.8})
    )
    assert turnout.message_en == "Turnout 1.25 is far from the desa median (0.8)"
    assert turnout.evidence == {"turnout": 1.25, "median": 0.8}


def test_a_share_in_an_indonesian_message_has_a_decimal_comma() -> None:
    """Where '.' groups thousands ("1.250" is one thousand two hundred and fifty), a share
    written "1.25" reads as 125: Indonesian writes it "1,25", as the portal writes its
    percentages ("66,67%")."""
    turnout = rule_by_id("W-PARTISIPASI-DESA").finding(
        Violation((), {"turnout": 1.25, "median": 0.812})
    )
    assert turnout.message == "Partisipasi 1,25 jauh dari median desa (0,812)"
    stored = stored_finding(
        {
            "rule": "W-PARTISIPASI-DESA",
            "severity": "warning",
            "fields": ["pengguna_total_j", "dpt_j"],
            "message": "Turnout 1.25 is far from the desa median (0.812)",
            "evidence": {"turnout": 1.25, "median": 0.812},
        }
    )
    assert (stored.message, stored.message_en) == (turnout.message, turnout.message_en)


def test_a_stored_findings_indonesian_message_is_written_again_with_groups() -> None:
    stored = stored_finding(
        {
            "rule": "F-SUARA-PENGGUNA",
            "severity": "blocking",
            "fields": ["suara_total", "pengguna_total_j"],
            "message": "Votes cast (1,300) exceed the voters who came (1,200)",
            "evidence": {"suara_total": 1300, "pengguna_total": 1200},
        }
    )
    assert stored.message == "Jumlah suara (1.300) melebihi jumlah pengguna hak pilih (1.200)"


def test_a_stored_findings_english_message_written_without_groups_is_written_again() -> None:
    stored = stored_finding(
        {
            "rule": "F-SUARA-PENGGUNA",
            "severity": "blocking",
            "fields": ["suara_total", "pengguna_total_j"],
            "message": "Votes cast (1300) exceed the voters who came (1200)",
            "evidence": {"suara_total": 1300, "pengguna_total": 1200},
        }
    )
    assert stored.message_en == "Votes cast (1,300) exceed the voters who came (1,200)"


def test_a_stored_finding_of_a_rule_no_longer_known_keeps_its_message() -> None:
    stored = stored_finding(
        {
            "rule": "X-GONE",
            "severity": "warning",
            "fields": [],
            "message": "An old rule's words (1300)",
            "evidence": {"n": 1300},
        }
    )
    assert stored.message == stored.message_en == "An old rule's words (1300)"


@given(st.integers(0, 10**9))
def test_a_count_is_written_in_groups_of_three_digits(value: int) -> None:
    for lang, mark in (("id", "."), ("en", ",")):
        written = format_count(value, lang)
        groups = written.split(mark)
        assert "".join(groups) == str(value)
        assert 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
        assert format_int(value, lang) == written  # the portal writes it the same way
    assert format_int(None, "id") == "—"
