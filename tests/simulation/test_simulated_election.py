"""The simulated election: identities hold, mistakes raise their finding, seeds reproduce."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rekap.data import election_2024, region_tree
from rekap.domain.region_tree import JenisTps
from rekap.domain.wilayah import KodeWilayah, Level
from rekap.rules.registry import check_tps
from rekap.simulation.election_model import ModelParams, RegionModel
from rekap.simulation.errors import EXPECTED_RULE, ErrorKind
from rekap.simulation.scenario import SimulationOptions, ppwp_form, simulate_election
from rekap.simulation.truth import SimulatedTps

TREE = region_tree()
ELECTION = election_2024()
KECAMATAN = KodeWilayah("331005")  # Cawas, Klaten: 196 TPS
DESA = [r.kode for r in TREE.at_level(Level.DESA)]


def simulate(root: str, seed: int = 7, **options: object) -> list[SimulatedTps]:
    opts = SimulationOptions(**options)  # type: ignore[arg-type]
    return list(simulate_election(TREE, ELECTION, KodeWilayah(root), seed, opts))


def blocking_rules(tps: SimulatedTps) -> set[str]:
    form = ppwp_form(ELECTION, tps.kode)
    return {f.rule for f in check_tps(tps.to_result(), form, ELECTION) if f.blocking}


@pytest.mark.parametrize("root", ["331005", "940101", "99"])
def test_every_tps_keeps_every_identity(root: str) -> None:
    sims = simulate(root)
    assert len(sims) == TREE.tps_count(KodeWilayah(root))
    assert [s.kode for s in sims] == sorted(s.kode for s in sims)
    for tps in sims:
        assert blocking_rules(tps) == set(), tps.to_json_line()
        assert tps.values == tps.actual
        assert all(0 <= v <= 999 for v in tps.values.values())


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, len(DESA) - 1))
def test_any_seed_and_desa_keep_every_identity(seed: int, index: int) -> None:
    for tps in simulate(DESA[index].value, seed, correction_rate=0.5):
        assert blocking_rules(tps) == set()


def test_dpt_sizes_stay_within_the_limit_except_postal_and_mobile_units() -> None:
    overseas = simulate("99")
    for tps in [*simulate("331005"), *overseas]:
        if not tps.jenis.exempt_from_size_limit:
            assert 1 <= tps.values["dpt_j"] <= 300, tps.kode
    postal = [t.values["dpt_j"] for t in overseas if t.jenis.exempt_from_size_limit]
    assert postal and max(postal) > 300 and max(postal) <= 999
    assert {t.jenis for t in overseas} >= {JenisTps.POS, JenisTps.KSK, JenisTps.TPSLN}


def test_a_clean_domestic_election_raises_no_warning_either() -> None:
    for tps in simulate("3310"):  # Klaten, 4,198 TPS
        form = ppwp_form(ELECTION, tps.kode)
        assert check_tps(tps.to_result(), form, ELECTION) == (), tps.to_json_line()


def test_turnout_and_shares_are_plausible() -> None:
    sims = simulate("3310")  # Klaten, 4,198 TPS
    dpt = sum(t.values["dpt_j"] for t in sims)
    voters = sum(t.values["pengguna_total_j"] for t in sims)
    assert 0.6 < voters / dpt < 0.97
    assert 200 < dpt / len(sims) < 300
    invalid = sum(t.values["suara_tidak_sah"] for t in sims) / voters
    assert 0.002 < invalid < 0.1


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_each_injected_mistake_raises_exactly_its_finding(kind: ErrorKind) -> None:
    sims = simulate("331005", error_rate=1.0, error_kinds=(kind,), correction_rate=0.0)
    injected = [t for t in sims if t.errors]
    assert len(injected) > 0.9 * len(sims)
    expected = {EXPECTED_RULE[kind]} - {None}
    for tps in injected:
        assert [e.kind for e in tps.errors] == [kind]
        assert blocking_rules(tps) == expected, tps.to_json_line()
    for tps in sims:
        if not tps.errors:
            assert blocking_rules(tps) == set()


def test_marking_mistakes_leave_the_digit_boxes_right_but_a_mark_wrong() -> None:
    kinds = (ErrorKind.BUBBLES_DISAGREE, ErrorKind.TALLY_MISCOUNT, ErrorKind.WORDS_DISAGREE)
    for tps in simulate("331005", error_rate=1.0, error_kinds=kinds):
        (error,) = tps.errors
        (field_id,) = error.fields
        assert tps.values == tps.actual
        marks = tps.marks_of(field_id)
        said = {
            ErrorKind.BUBBLES_DISAGREE: marks.bubbles,
            ErrorKind.TALLY_MISCOUNT: marks.tally,
            ErrorKind.WORDS_DISAGREE: marks.words,
        }[error.kind]
        assert said == error.written[0] != tps.values[field_id]


def test_the_same_seed_gives_the_same_election_and_another_seed_another() -> None:
    first = [t.to_json_line() for t in simulate("331005", 11, error_rate=0.2)]
    again = [t.to_json_line() for t in simulate("331005", 11, error_rate=0.2)]
    other = [t.to_json_line() for t in simulate("331005", 12, error_rate=0.2)]
    assert first == again
    assert first != other
    assert sum(a != b for a, b in zip(first, other, strict=True)) > 0.9 * len(first)


def test_a_tps_is_the_same_whatever_subtree_is_simulated() -> None:
    whole = {t.kode: t.to_json_line() for t in simulate("3310")}
    for tps in simulate("3310052013"):
        assert whole[tps.kode] == tps.to_json_line()
    (single,) = simulate("3310052013004")
    assert whole[single.kode] == single.to_json_line()


def test_truth_lines_round_trip() -> None:
    for tps in simulate("3310052013", error_rate=1.0, correction_rate=1.0):
        form = ppwp_form(ELECTION, tps.kode)
        back = SimulatedTps.from_json(tps.as_json(), form)
        assert back.to_json_line() == tps.to_json_line()
        assert back == tps


def test_regional_shares_vary_around_their_parent() -> None:
    model = RegionModel(ModelParams(), seed=3, paslon_count=3)
    provinces = [model.draw(KodeWilayah(f"{p:02d}")).shares for p in range(11, 96)]
    spread = np.std(np.array(provinces), axis=0)
    assert np.all(spread > 0.05)
    mean = np.mean(np.array(provinces), axis=0)
    assert np.allclose(mean, ModelParams().national_shares, atol=0.06)


def test_unknown_roots_and_bad_options_are_refused() -> None:
    with pytest.raises(KeyError):
        simulate("3310052013999")
    with pytest.raises(ValueError, match="error_rate"):
        SimulationOptions(error_rate=1.5)
