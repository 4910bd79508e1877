"""The stored live tally on SQLite and PostgreSQL: one TPS at a time reaches exactly the
state of a full rebuild, and a TPS outside the stored regions is refused."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sqlalchemy import Engine

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.tally_inputs import StoredResult, TpsRows, capture_stage
from rekap.adapters.storage.tally_store import TallyStore, parse_updated_at, stage_of
from rekap.tally.contribution import TpsState
from rekap.tally.index import RegionIndex, UnplacedTps
from rekap.tally.layout import TallyLayout
from rekap.tally.rebuild import rebuild
from rekap.tally.stage import TpsStage
from tests.tally.trees import LAYOUT, TPS_CODES, TREE, final_states

INDEX = RegionIndex.build(TREE)
TWIN = TallyLayout("twin", LAYOUT.vote_fields)
"""The same fields under another contest code: a second tally in the same tables."""


@pytest.fixture
def engine(database_url: str) -> Engine:
    engine = open_engine(database_url)
    upgrade(engine)
    return engine


def _random_history(seed: int, length: int) -> list[TpsState]:
    rng = random.Random(seed)
    history = []
    for _ in range(length):
        fields = rng.sample(LAYOUT.fields, rng.randint(0, len(LAYOUT.fields)))
        values = {f: rng.randint(0, 400) for f in fields}
        stage = rng.choice(list(TpsStage))
        by_people = rng.random() < 0.3
        state = TpsState(rng.choice(TPS_CODES), stage, rng.random() < 0.3, values, by_people)
        history.append(state)
    return history


def test_updates_one_by_one_reach_the_rebuilt_state(engine: Engine) -> None:
    store = TallyStore(engine, LAYOUT, INDEX)
    empty = rebuild(INDEX, LAYOUT, [])
    store.replace(empty.table)
    history = _random_history(seed=7, length=120)
    for state in history:
        store.apply(state)
    expected = rebuild(INDEX, LAYOUT, final_states(history)).table
    assert store.table(INDEX).same_totals(expected)
    nation = store.region("")
    assert nation is not None
    assert nation == expected.region("")


def test_a_stored_rebuild_then_updates_match_a_rebuild(engine: Engine) -> None:
    store = TallyStore(engine, LAYOUT, INDEX)
    first = _random_history(seed=1, length=40)
    rebuilt = rebuild(INDEX, LAYOUT, final_states(first))
    store.replace(rebuilt.table)
    assert store.table(INDEX).same_totals(rebuilt.table)
    later = _random_history(seed=2, length=40)
    for state in later:
        store.apply(state)
    expected = rebuild(INDEX, LAYOUT, final_states(first + later)).table
    assert store.table(INDEX).same_totals(expected)


def test_a_tps_whose_desa_is_not_stored_is_refused(engine: Engine) -> None:
    store = TallyStore(engine, LAYOUT, INDEX)
    store.replace(rebuild(INDEX, LAYOUT, []).table)
    with pytest.raises(UnplacedTps):
        store.apply(TpsState("5101012001001", TpsStage.READ, False, {"paslon_1": 3}))
    assert not store.table(INDEX).matrix.any()


def test_stage_and_time_of_a_stored_result() -> None:
    assert stage_of("import", True, ()) is TpsStage.READ
    assert stage_of("entry", True, ()) is TpsStage.VERIFIED
    assert stage_of("photo", False, ("abc",)) is TpsStage.RECEIVED
    assert stage_of("photo", False, ()) is TpsStage.NONE
    sirekap = parse_updated_at("2024-02-16 16:25:10")
    assert sirekap is not None and sirekap.utcoffset() is not None
    assert sirekap.isoformat() == "2024-02-16T16:25:10+07:00"
    assert parse_updated_at("not a time") is None


def test_an_empty_store_needs_no_set_up_and_many_at_once_equal_one_by_one(engine: Engine) -> None:
    one_by_one, at_once = TallyStore(engine, LAYOUT, INDEX), TallyStore(engine, TWIN, INDEX)
    history = _random_history(seed=3, length=80)
    for state in history:
        one_by_one.apply(state)
    with engine.begin() as connection:
        for start in range(0, len(history), 20):
            latest = {s.kode_tps: s for s in history[start : start + 20]}
            at_once.apply_many_in(connection, list(latest.values()))
    expected = rebuild(INDEX, LAYOUT, final_states(history)).table
    assert one_by_one.table(INDEX).same_totals(expected)
    assert np.array_equal(at_once.table(INDEX).matrix, expected.matrix)
    outside = TpsState("5101012001001", TpsStage.READ, False, {"paslon_1": 3})
    with engine.begin() as connection:
        assert at_once.apply_many_in(connection, [outside, outside]) == 0  # left out, as rebuilt


def test_a_rebuild_in_place_reads_what_is_stored(engine: Engine) -> None:
    store = TallyStore(engine, LAYOUT, INDEX)
    store.apply(TpsState(TPS_CODES[0], TpsStage.READ, False, {"paslon_1": 5}))
    with engine.begin() as connection:
        table = store.rebuild_in(connection)
    assert not table.matrix.any()  # nothing is stored but the tally itself
    assert store.table(INDEX).same_totals(table)


@pytest.mark.parametrize(
    ("result", "photos", "form_state", "stage"),
    [
        (None, set(), None, TpsStage.NONE),
        (None, {"received"}, None, TpsStage.RECEIVED),
        (None, {"failed"}, None, TpsStage.RECEIVED),
        (None, {"needs_verification"}, "needs_verification", TpsStage.READ),
        (
            StoredResult("photo", {"paslon_1": 1}, "tps", ()),
            {"accepted"},
            "accepted",
            TpsStage.VERIFIED,
        ),
        (StoredResult("import", {"paslon_1": 1}, "tps", ()), set(), None, TpsStage.READ),
        (StoredResult("import", {}, "tps", ("https://x/1.jpg",)), set(), None, TpsStage.RECEIVED),
        (
            StoredResult("entry", {"paslon_1": 1}, "tps", ()),
            {"verified"},
            "verified",
            TpsStage.VERIFIED,
        ),
        (
            StoredResult("photo", {"paslon_1": 1}, "tps", ()),
            {"published"},
            None,
            TpsStage.PUBLISHED,
        ),
    ],
)
def test_the_stage_is_the_capture_stage_reached(
    result: StoredResult | None, photos: set[str], form_state: str | None, stage: TpsStage
) -> None:
    assert capture_stage(TpsRows("7471011007001", result, photos, form_state)) is stage


def test_a_form_the_machine_accepted_is_verified_before_its_snapshot_as_after() -> None:
    """Publishing releases numbers; it does not verify them. A form the machine read in full
    with no blocking finding counted as verified only once a snapshot released it (published
    is a later stage), so the portal's and the open data's `verified` grew with each snapshot
    by TPS no person had seen, under a label that said people verified them."""
    result = StoredResult("photo", {"paslon_1": 1}, "tps", ())
    before = capture_stage(TpsRows("7471011007001", result, {"accepted"}, "accepted"))
    after = capture_stage(TpsRows("7471011007001", result, {"published"}, "accepted"))
    waiting = capture_stage(
        TpsRows("7471011007001", result, {"needs_verification"}, "needs_verification")
    )
    assert before >= TpsStage.VERIFIED and after >= TpsStage.VERIFIED
    assert waiting < TpsStage.VERIFIED
