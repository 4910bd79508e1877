"""A full rebuild of the portal's figures (after an import changed the findings in bulk) runs
in a thread of its own: the request that finds the figures stale is answered at once with
the previous ones, as every other request is, until the new figures are complete."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rekap.adapters.storage.repository import SqlStore
from rekap.data import region_tree
from rekap.domain.result import Provenance, SourceKind, TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.finding import Finding, Severity
from rekap.sources.sirekap import ImportedTps
from rekap.web.portal import live_cache
from rekap.web.portal.live import LiveData
from rekap.web.portal.settings import PortalSettings
from rekap.web.portal.state import Portal
from tests.web.portal_store import portal_store

TPS = "3101011001001"
VALUES = {"paslon_1": 10, "paslon_2": 20, "paslon_3": 30, "suara_sah": 60}


def _imported(root: Path) -> tuple[SqlStore, Portal]:
    """A store with one imported TPS, counted, and a portal over it (rebuilding in a thread,
    as ``rekap serve``'s does)."""
    store, context = portal_store(root, region_tree())
    result = TpsResult(KodeWilayah(TPS), "ppwp", VALUES, source=Provenance(SourceKind.IMPORT, "r"))
    at = datetime(2024, 2, 15, tzinfo=UTC)
    store.save_results(None, [ImportedTps("r", result, None)], context.log, at, "import")
    return store, Portal(context, PortalSettings(snapshots=root, refresh_seconds=0.0))


def _hold(store: SqlStore) -> None:
    """A blocking finding stored for the TPS, as an import stores them: figures rebuilt."""
    held = Finding("F-SUM-SAH", Severity.BLOCKING, ("suara_sah",), "m", "m")
    store.replace_findings("ppwp", [TPS], {TPS: [held]})


def test_a_rebuild_runs_while_the_previous_figures_are_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, portal = _imported(tmp_path)
    first = portal.live()
    assert first.tps[TPS].counted

    building, release = threading.Event(), threading.Event()
    real_build = live_cache.build_live

    def slow_build(*args: object) -> LiveData:
        building.set()
        assert release.wait(30)
        return real_build(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(live_cache, "build_live", slow_build)
    _hold(store)  # an import's findings: a rebuild

    assert portal.live() is first  # the request that found them stale is not held up
    assert building.wait(30)
    assert portal.live() is first  # nor any other while the rebuild runs
    release.set()
    portal.cache.wait()
    now = portal.live()
    assert now is not first and not now.tps[TPS].counted  # the finding holds it back now


def test_a_failed_rebuild_leaves_the_previous_figures_and_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, portal = _imported(tmp_path)
    first = portal.live()
    real_build = live_cache.build_live
    calls: list[int] = []

    def failing_once(*args: object) -> LiveData:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the database went away")
        return real_build(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(live_cache, "build_live", failing_once)
    _hold(store)
    assert portal.live() is first
    portal.cache.wait()
    assert portal.live() is first  # the failure left them; this request started a new try
    portal.cache.wait()
    assert not portal.live().tps[TPS].counted and len(calls) == 2
