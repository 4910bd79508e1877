"""The laws of the rules: a consistent form raises nothing blocking; one changed digit does."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rekap.domain.region_tree import JenisTps
from rekap.domain.result import TpsResult
from rekap.domain.timezones import WIB
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.document import rules_markdown
from rekap.rules.finding import Severity
from rekap.rules.registry import ALL_RULES, check_batch, check_tps
from tests.unit.factories import ELECTION, FORM, consistent_results


def rules_of(result: TpsResult) -> set[str]:
    return {f.rule for f in check_tps(result, FORM, ELECTION)}


@given(consistent_results())
def test_a_consistent_result_raises_no_blocking_finding(result: TpsResult) -> None:
    blocking = [f for f in check_tps(result, FORM, ELECTION) if f.blocking]
    assert blocking == []


@given(consistent_results(), st.data())
def test_changing_one_digit_raises_a_blocking_finding(
    result: TpsResult, data: st.DataObject
) -> None:
    field_id = data.draw(st.sampled_from(sorted(result.values)))
    value = result.values[field_id]
    position = data.draw(st.sampled_from([1, 10, 100]))
    digit = (value // position) % 10
    new_digit = data.draw(st.integers(0, 9).filter(lambda d: d != digit))
    changed = value + (new_digit - digit) * position
    mutated = TpsResult(
        result.kode_tps, result.contest, {**result.values, field_id: changed}, jenis=result.jenis
    )
    found = check_tps(mutated, FORM, ELECTION)
    assert any(f.blocking and field_id in f.fields for f in found), (field_id, value, changed)


def _result(**values: int) -> TpsResult:
    return TpsResult(KodeWilayah("3310052013001"), "ppwp", values)


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"paslon_1": 10, "paslon_2": 20, "paslon_3": 5, "suara_sah": 36}, "F-SUM-SAH"),
        ({"suara_sah": 100, "suara_tidak_sah": 3, "suara_total": 104}, "F-SUM-TOTAL"),
        ({"suara_total": 1200}, "F-RANGE"),
        ({"dpt_l": 100, "dpt_p": 101, "dpt_j": 200}, "F-GENDER-SUM"),
        (
            {
                "pengguna_dpt_j": 150,
                "pengguna_dptb_j": 2,
                "pengguna_dpk_j": 1,
                "pengguna_total_j": 150,
            },
            "F-PENGGUNA-SUM",
        ),
        ({"suara_total": 160, "pengguna_total_j": 150}, "F-SUARA-PENGGUNA"),
        (
            {
                "surat_suara_diterima": 250,
                "surat_suara_digunakan": 200,
                "surat_suara_tidak_digunakan": 45,
                "surat_suara_rusak": 2,
            },
            "F-SURAT-SUARA-SUM",
        ),
        ({"surat_suara_digunakan": 200, "suara_total": 199}, "F-SURAT-SUARA-DIGUNAKAN"),
        (
            {"suara_total": 290, "dpt_j": 250, "pengguna_dptb_j": 5, "pengguna_dpk_j": 5},
            "W-SUARA-DPT",
        ),
        ({"suara_total": 140, "pengguna_total_j": 150}, "W-SUARA-PENGGUNA"),
        ({"pengguna_dpt_j": 251, "dpt_j": 250}, "W-PENGGUNA-DPT"),
        ({"dpt_j": 320}, "W-TPS-300"),
        ({"paslon_1": 541}, "W-CELL-500"),
        ({"paslon_1": 0, "paslon_2": 120, "paslon_3": 0}, "W-SUARA-BULAT"),
    ],
)
def test_each_rule_fires_on_its_own_example(values: dict[str, int], rule: str) -> None:
    assert rule in rules_of(_result(**values))


def test_missing_fields_do_not_trigger_arithmetic() -> None:
    """The identities judge only numbers recorded; the missing votes are their own finding."""
    assert rules_of(_result(paslon_1=10, suara_sah=36)) == {"F-SUARA-LENGKAP"}


def test_a_result_counts_only_with_every_vote_recorded() -> None:
    complete = {"paslon_1": 10, "paslon_2": 20, "paslon_3": 6, "suara_sah": 36}
    complete |= {"suara_tidak_sah": 2, "suara_total": 38}
    assert rules_of(_result(**complete)) == set()
    for left_out in complete:
        partial = {k: v for k, v in complete.items() if k != left_out}
        findings = check_tps(_result(**partial), FORM, ELECTION)
        lengkap = [f for f in findings if f.rule == "F-SUARA-LENGKAP"]
        assert len(lengkap) == 1 and lengkap[0].blocking
        assert lengkap[0].fields == (left_out,)
    administrasi_only = {"dpt_j": 200, "pengguna_total_j": 150}
    assert "F-SUARA-LENGKAP" in rules_of(_result(**administrasi_only))
    assert rules_of(_result()) == set()  # no number at all: photos waiting, not a result


def test_pos_and_ksk_units_are_exempt_from_the_size_limit() -> None:
    big = {"dpt_j": 650, "suara_total": 320}
    pos = TpsResult(KodeWilayah("9901010002026"), "ppwp", big, jenis=JenisTps.POS)
    assert "W-TPS-300" not in rules_of(pos)
    tpsln = TpsResult(KodeWilayah("9901010001001"), "ppwp", big, jenis=JenisTps.TPSLN)
    assert "W-TPS-300" in rules_of(tpsln)


def test_noken_regions_are_exempt_from_unanimity_and_size() -> None:
    votes = {"paslon_1": 0, "paslon_2": 310, "paslon_3": 0, "suara_total": 310}
    noken = TpsResult(KodeWilayah("9401012001001"), "ppwp", votes)
    assert {"W-SUARA-BULAT", "W-TPS-300"}.isdisjoint(rules_of(noken))
    elsewhere = TpsResult(KodeWilayah("9101012001001"), "ppwp", votes)
    assert {"W-SUARA-BULAT", "W-TPS-300"} <= rules_of(elsewhere)


def test_photos_before_polls_close_are_flagged_in_local_time() -> None:
    early = datetime(2024, 2, 14, 12, 30, tzinfo=WIB)  # 14:30 WIT: after close in Papua
    jakarta = TpsResult(KodeWilayah("3101011001001"), "ppwp", {}, captured_at=(early,))
    papua = TpsResult(KodeWilayah("9101012001001"), "ppwp", {}, captured_at=(early,))
    assert "W-FOTO-DINI" in rules_of(jakarta)
    assert "W-FOTO-DINI" not in rules_of(papua)


def test_turnout_outlier_within_a_desa() -> None:
    results = [
        TpsResult(KodeWilayah(f"3310052013{n:03d}"), "ppwp", {"dpt_j": 200, "pengguna_total_j": t})
        for n, t in enumerate([150, 148, 155, 152, 40], start=1)
    ]
    found = check_batch(results)
    assert set(found) == {"3310052013005"}
    assert found["3310052013005"][0].rule == "W-PARTISIPASI-DESA"


def test_the_same_photo_for_two_tps_is_flagged_on_both() -> None:
    a = TpsResult(KodeWilayah("3310052013001"), "ppwp", {}, photos=("x.jpg", "a.jpg"))
    b = TpsResult(KodeWilayah("3310052013002"), "ppwp", {}, photos=("x.jpg",))
    c = TpsResult(KodeWilayah("3310052013003"), "ppwp", {}, photos=("c.jpg",))
    found = check_batch([a, b, c])
    assert set(found) == {"3310052013001", "3310052013002"}


def test_rule_ids_are_unique_and_well_formed() -> None:
    ids = [r.id for r in ALL_RULES]
    assert len(ids) == len(set(ids))
    for rule in ALL_RULES:
        prefix = "F-" if rule.severity is Severity.BLOCKING else "W-"
        assert rule.id.startswith(prefix)
        assert rule.message_id and rule.message_en and rule.title


def test_docs_rules_md_matches_the_registry(repo_root: object) -> None:
    from pathlib import Path

    assert isinstance(repo_root, Path)
    written = (repo_root / "docs" / "rules.md").read_text(encoding="utf-8")
    assert written == rules_markdown(), "docs/rules.md is stale: run `rekap rules --markdown`"


def test_a_photo_dated_after_its_receipt_is_flagged_beyond_the_slack() -> None:
    received = datetime(2024, 2, 14, 20, 0, tzinfo=WIB)
    kode = KodeWilayah("3101011001001")

    def rules_for(taken: datetime, with_receipt: bool = True) -> set[str]:
        got = (received,) if with_receipt else ()
        return rules_of(TpsResult(kode, "ppwp", {}, captured_at=(taken,), received_at=got))

    assert "W-FOTO-JAM" in rules_for(received + timedelta(minutes=11))
    assert "W-FOTO-JAM" not in rules_for(received + timedelta(minutes=9))  # clocks drift
    assert "W-FOTO-JAM" not in rules_for(received + timedelta(hours=2), with_receipt=False)
    with pytest.raises(ValueError, match="receipt time"):
        TpsResult(kode, "ppwp", {}, captured_at=(received,), received_at=(received, received))
