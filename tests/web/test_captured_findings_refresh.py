"""Findings the capture workflow records change the portal's figures of their TPS only: the
change log names the TPS, so the figures are updated in place, never rebuilt (a rebuild
reads every TPS of the nation); an import's findings, replaced in bulk, still rebuild them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from rekap.adapters.storage.forms import publish_values
from rekap.adapters.storage.repository import SqlStore
from rekap.data import region_tree
from rekap.web.context import AppContext, utc_now
from rekap.web.portal import live_cache
from rekap.web.portal.live import build_live
from rekap.web.portal.settings import PortalSettings
from rekap.web.portal.state import Portal
from tests.web.portal_store import portal_store

TPS = "3101011001001"
GOOD = {"paslon_1": 10, "paslon_2": 20, "paslon_3": 30, "suara_sah": 60}
GOOD |= {"suara_tidak_sah": 2, "suara_total": 62}
BROKEN = {**GOOD, "paslon_1": 17}  # 17 + 20 + 30 is not 60: F-SUM-SAH, blocking


def _publish(context: AppContext, values: Mapping[str, int]) -> None:
    """A verification's numbers stored as the workflow stores them, with its events."""
    with context.engine.begin() as connection:
        events = publish_values(connection, TPS, "ppwp", "tps", values, "entry", "task 1", ())
        context.log.append(connection, events, utc_now(), "verifier", "task 1")


def _portal(root: Path) -> tuple[SqlStore, AppContext, Portal]:
    store, context = portal_store(root, region_tree())
    settings = PortalSettings(snapshots=root, refresh_seconds=0.0, rebuild_in_background=False)
    return store, context, Portal(context, settings)


def test_findings_recorded_by_the_capture_workflow_update_their_tps_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, context, portal = _portal(tmp_path)
    _publish(context, GOOD)
    first = portal.live()
    assert first.tps[TPS].counted and first.tps[TPS].findings == ()

    def no_rebuild(*_args: object) -> object:
        raise AssertionError("the figures were rebuilt")

    monkeypatch.setattr(live_cache, "build_live", no_rebuild)
    _publish(context, BROKEN)
    held = portal.live()
    assert held is not first and held.head > first.head
    assert [f.rule for f in held.tps[TPS].findings] == ["F-SUM-SAH"]
    assert not held.tps[TPS].counted and held.tps[TPS].status == "status_held"
    assert held.tps == build_live(held.version, portal.cache.parts).tps  # as a rebuild reads
    assert [kode for kode, _ in held.by_rule["F-SUM-SAH"]] == [TPS]

    _publish(context, GOOD)
    again = portal.live()
    assert again.tps[TPS].findings == () and again.tps[TPS].counted

    rebuilt: list[object] = []
    monkeypatch.setattr(live_cache, "build_live", lambda *a: rebuilt.append(a) or again)
    store.replace_findings("ppwp", ["3101011001002"], {})  # an import's, in bulk
    portal.live()
    assert len(rebuilt) == 1
