"""The pages of changes and the API's log of a region read the log the way a region's size asks
for, on each database: a small region's few events by the subject index, a large region's (and
the nation's) by walking the log (backwards for a page, forwards for the API); either way a page
is the region's newest events before a position (tests/integration/test_region_events_ways.py
holds every way to a plain filter)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Select, text

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import SPREAD_TPS, Direction, EventLog, under_query
from rekap.adapters.storage.migrate import upgrade
from rekap.data import region_tree
from rekap.events.chain import Recorded
from rekap.events.model import PhotoStateChanged
from tests.integration.conftest import database_url  # noqa: F401  (the fixture)
from tests.web.dataset import DESA, Dataset

AT = datetime(2024, 2, 14, 15, tzinfo=UTC)
PLACES = (f"{DESA}001", f"{DESA}002", "7471021001001", "7401011001001", "3101011001001")


def _plan(dataset: Dataset, prefix: str, spread: bool | None = None) -> str:
    return _plan_of(dataset, under_query(prefix, 1000, 51, Direction.BACKWARDS, spread))


def _api_plan(dataset: Dataset, prefix: str, spread: bool | None = None) -> str:
    return _plan_of(dataset, under_query(prefix, 9, 101, Direction.FORWARDS, spread))


def _plan_of(dataset: Dataset, query: Select[Any]) -> str:
    sql = str(query.compile(dataset.context.engine, compile_kwargs={"literal_binds": True}))
    with dataset.context.engine.connect() as connection:
        return " | ".join(str(r[-1]) for r in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


def test_a_small_region_is_read_by_its_index_a_large_one_by_walking_the_log(
    dataset: Dataset,
) -> None:
    for small in (DESA[:6], DESA, f"{DESA}001"):
        assert "USING INDEX ix_event_subject" in _plan(dataset, small), small
    for large in ("", "74", "7471"):
        plan = _plan(dataset, large)
        assert "ix_event_subject" not in plan and "TEMP B-TREE" not in plan, (large, plan)
    # the portal says which from the region's TPS: a small kabupaten, a large kecamatan
    assert "USING INDEX ix_event_subject" in _plan(dataset, "7471", spread=False)
    assert "ix_event_subject" not in _plan(dataset, DESA[:6], spread=True)


def test_the_api_reads_a_region_in_order_the_same_two_ways(dataset: Dataset) -> None:
    for small in (DESA[:6], DESA, f"{DESA}001"):
        assert "USING INDEX ix_event_subject" in _api_plan(dataset, small), small
    for large in ("", "74", "7471"):
        plan = _api_plan(dataset, large)
        assert "ix_event_subject" not in plan and "TEMP B-TREE" not in plan, (large, plan)
    assert "USING INDEX ix_event_subject" in _api_plan(dataset, "7471", spread=False)
    assert "ix_event_subject" not in _api_plan(dataset, DESA[:6], spread=True)


def _sizes() -> tuple[str, str]:
    """A kabupaten with fewer TPS than ``SPREAD_TPS`` and a kecamatan with more."""
    sizes = region_tree().tps_counts()
    small_kabupaten = min((k for k in sizes if len(k) == 4), key=sizes.__getitem__)
    large_kecamatan = max((k for k in sizes if len(k) == 6), key=sizes.__getitem__)
    assert sizes[small_kabupaten] < SPREAD_TPS <= sizes[large_kecamatan]
    return small_kabupaten, large_kecamatan


def test_the_api_reads_a_region_by_its_number_of_tps(
    client: TestClient, dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = dataset.context.log
    asked: list[bool | None] = []
    read = log.under

    def recording(
        prefix: str, after: int | None, limit: int, way: Direction, spread: bool | None = None
    ) -> list[Recorded]:
        assert way is Direction.FORWARDS
        asked.append(spread)
        return read(prefix, after, limit, way, spread)

    monkeypatch.setattr(log, "under", recording)
    small_kabupaten, large_kecamatan = _sizes()
    for scope in (small_kabupaten, large_kecamatan, "", f"{DESA}001", "7499"):
        answer = client.get("/api/v1/log", params={"wilayah": scope} if scope else {})
        assert answer.status_code == 200, scope
    # a TPS, and a code the tree does not hold, have few events: the index finds them
    assert asked == [False, True, True, False, False]


def test_the_portal_reads_a_region_by_its_number_of_tps(
    client: TestClient, dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not by its level: a small kabupaten's events are few, a large kecamatan's many."""
    log = dataset.context.log
    asked: list[bool | None] = []
    read = log.under

    def recording(
        prefix: str, before: int | None, limit: int, way: Direction, spread: bool | None = None
    ) -> list[Recorded]:
        assert way is Direction.BACKWARDS
        asked.append(spread)
        return read(prefix, before, limit, way, spread)

    monkeypatch.setattr(log, "under", recording)
    small_kabupaten, large_kecamatan = _sizes()
    for address in (f"/wilayah/{small_kabupaten}", f"/wilayah/{large_kecamatan}", "/nasional"):
        assert client.get(f"{address}/perubahan").status_code == 200
    assert asked == [False, True, True]


def test_each_way_gives_the_regions_newest_events_before_a_position(
    database_url: str,  # noqa: F811
) -> None:
    engine = open_engine(database_url)
    upgrade(engine)
    log = EventLog(engine)
    with engine.begin() as connection:
        for n in range(60):
            kode = PLACES[n % len(PLACES)]
            log.append(connection, [PhotoStateChanged(kode, n, "a", "b", "")], AT, "t", "x")
    everything = list(log.records())
    for prefix in ("", "74", "7471", DESA[:6], DESA, f"{DESA}002", "31", "9999"):
        for before, spread in ((None, None), (50, True), (13, False), (None, True)):
            wanted = [
                r
                for r in reversed(everything)
                if str(r.payload["kode_tps"]).startswith(prefix)
                and (before is None or r.sequence < before)
            ][:7]
            read = log.under(prefix, before, 7, Direction.BACKWARDS, spread)
            assert read == wanted, (prefix, before)
    engine.dispose()
