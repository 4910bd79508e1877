"""The laws of the tally: a parent is the sum of its children at every level, the
incremental state equals a full rebuild, and held-back results never enter the count."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from rekap.domain.wilayah import Level
from rekap.tally.contribution import TpsState, contribution
from rekap.tally.index import RegionIndex, UnplacedTps
from rekap.tally.layout import COVERAGE
from rekap.tally.rebuild import rebuild
from rekap.tally.stage import TpsStage
from rekap.tally.table import TallyTable
from tests.tally.trees import (
    LAYOUT,
    TPS_CODES,
    TREE,
    final_states,
    tally_histories,
    tps_states,
)

INDEX = RegionIndex.build(TREE)


def _incremental(history: list[TpsState]) -> TallyTable:
    table = TallyTable.empty(INDEX, LAYOUT)
    for state in history:
        table.apply_state(state)
    return table


@settings(max_examples=150, deadline=None)
@given(tally_histories())
def test_parent_is_the_sum_of_its_children_at_every_level(history: list[TpsState]) -> None:
    table = rebuild(INDEX, LAYOUT, final_states(history)).table
    for row, kode in enumerate(INDEX.codes):
        children = INDEX.children[row]
        if children:
            total = table.matrix[list(children)].sum(axis=0)
            assert np.array_equal(table.matrix[row], total), kode
            assert INDEX.expected[row] == INDEX.expected[list(children)].sum()
    desa_sum = table.matrix[INDEX.rows_at(Level.DESA)].sum(axis=0)
    assert np.array_equal(table.matrix[0], desa_sum)


@settings(max_examples=150, deadline=None)
@given(tally_histories())
def test_incremental_state_equals_a_full_rebuild(history: list[TpsState]) -> None:
    incremental = _incremental(history)
    rebuilt = rebuild(INDEX, LAYOUT, final_states(history)).table
    assert incremental.same_totals(rebuilt)
    assert incremental.shares() == rebuilt.shares()


@settings(max_examples=100, deadline=None)
@given(tally_histories())
def test_withdrawing_every_result_returns_to_zero(history: list[TpsState]) -> None:
    table = _incremental(history)
    for state in final_states(history):
        table.apply(state.kode_tps, contribution(state, LAYOUT), None)
    assert not table.matrix.any()


@settings(max_examples=100, deadline=None)
@given(tally_histories())
def test_counted_and_held_are_sums_over_the_right_results(history: list[TpsState]) -> None:
    states = final_states(history)
    nation = rebuild(INDEX, LAYOUT, states).table.region("")
    for field in LAYOUT.fields:
        counted = sum(s.values.get(field, 0) for s in states if s.has_values and not s.blocking)
        held = sum(s.values.get(field, 0) for s in states if s.has_values and s.blocking)
        assert nation.counted[field] == counted
        assert nation.held[field] == held
    assert nation.coverage.counted == sum(1 for s in states if s.counted)
    assert nation.coverage.blocking == sum(1 for s in states if s.blocking)
    assert nation.coverage.read == sum(1 for s in states if s.stage >= TpsStage.READ)
    assert nation.coverage.tps_expected == len(TPS_CODES)


@settings(max_examples=100, deadline=None)
@given(tally_histories())
def test_verified_by_people_counts_the_tps_whose_numbers_people_entered(
    history: list[TpsState],
) -> None:
    """At every level, a region's figure is the count of its TPS with numbers that people
    entered: a TPS without numbers, or read by the machine, adds nothing."""
    states = final_states(history)
    rebuilt, incremental = rebuild(INDEX, LAYOUT, states).table, _incremental(history)
    for kode in INDEX.codes:
        mine = [s for s in states if s.kode_tps.startswith(kode)]
        wanted = sum(1 for s in mine if s.by_people and s.values)
        assert rebuilt.region(kode).coverage.verified_by_people == wanted, kode
        assert incremental.region(kode).coverage.verified_by_people == wanted, kode


@settings(max_examples=200, deadline=None)
@given(tps_states())
def test_a_tps_flags_follow_the_coverage_names(state: TpsState) -> None:
    """``TpsState.flags`` spells the flags out in ``COVERAGE`` order: each by its meaning."""
    flags = dict(zip(COVERAGE, state.flags(), strict=True))
    assert flags == {
        "received": int(state.stage >= TpsStage.RECEIVED),
        "read": int(state.stage >= TpsStage.READ),
        "verified": int(state.stage >= TpsStage.VERIFIED),
        "verified_by_people": int(state.by_people and state.has_values),
        "published": int(state.stage >= TpsStage.PUBLISHED),
        "blocking": int(state.blocking),
        "counted": int(state.counted),
    }


def test_one_update_touches_only_the_tps_and_its_ancestors() -> None:
    table = TallyTable.empty(INDEX, LAYOUT)
    kode = TPS_CODES[7]
    values = dict.fromkeys(LAYOUT.fields, 5)
    table.apply_state(TpsState(kode, TpsStage.READ, False, values))
    touched = set(np.flatnonzero(table.matrix.any(axis=1)).tolist())
    expected = {INDEX.row_of[kode[:n]] for n in (0, 2, 4, 6, 10)}
    assert touched == expected
    assert len(expected) == 5


def test_a_blocked_result_is_held_back_then_counted_when_cleared() -> None:
    table = TallyTable.empty(INDEX, LAYOUT)
    kode = TPS_CODES[0]
    values = {"paslon_1": 40, "paslon_2": 60, "paslon_3": 0, "suara_sah": 100}
    table.apply_state(TpsState(kode, TpsStage.READ, True, values))
    nation = table.region("")
    assert nation.counted["paslon_2"] == 0
    assert nation.held["paslon_2"] == 60
    assert nation.coverage.blocking == 1
    table.apply_state(TpsState(kode, TpsStage.VERIFIED, False, values))
    nation = table.region("")
    assert nation.counted["paslon_2"] == 60
    assert nation.held["paslon_2"] == 0
    coverage = nation.coverage
    assert (coverage.blocking, coverage.counted, coverage.verified) == (0, 1, 1)


def test_a_tps_outside_the_tree_is_reported_not_summed() -> None:
    outside = "5101012001001"
    states = [TpsState(outside, TpsStage.READ, False, {"paslon_1": 9})]
    rebuilt = rebuild(INDEX, LAYOUT, states)
    assert rebuilt.unplaced == (outside,)
    assert not rebuilt.table.matrix.any()
    with pytest.raises(UnplacedTps):
        TallyTable.empty(INDEX, LAYOUT).apply_state(states[0])


def test_a_scoped_index_keeps_the_regions_above_the_scope() -> None:
    scoped = RegionIndex.build(TREE, ["1101"])
    assert scoped.codes[:3] == ("", "11", "1101")
    assert all(c.startswith("1101") or c in ("", "11") for c in scoped.codes)
    assert scoped.expected[0] == sum(1 for c in TPS_CODES if c.startswith("1101"))
