"""The portal's figures after a change: updating only the TPS that changed gives exactly what
a full rebuild gives (the TPS facts, and the stored tally the pages read), and the pages follow
the change log without a restart."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rekap.adapters.storage.verification_holds import hold
from rekap.capture.access import Role
from rekap.tally.rebuild import rebuild
from rekap.web.context import utc_now
from rekap.web.portal.live import build_live, update_live
from rekap.web.portal.state import Portal
from tests.web.dataset import DESA, Dataset


def test_an_update_equals_a_rebuild_and_the_pages_follow(app: FastAPI, dataset: Dataset) -> None:
    portal: Portal = app.state.portal
    before = portal.live()
    store, accounts = dataset.context.verification, dataset.context.accounts
    first, _ = accounts.enrol("V-live-1", Role.VERIFIER, DESA, utc_now(), "test")
    second, _ = accounts.enrol("V-live-2", Role.VERIFIER, DESA, utc_now(), "test")
    task = store.next_task(first)
    assert task is not None
    truth = dict(dataset.truth[task.kode_tps].actual)
    store.enter(first, task.id, truth, 30.0, utc_now())
    with dataset.context.engine.begin() as connection:  # as if the draw handed it to them
        hold(connection, task.id, second.account_id, utc_now())
    assert store.enter(second, task.id, truth, 31.0, utc_now()) == "verified"

    version = portal.queries.version()
    changed = portal.queries.changed_since(before.head)
    assert task.kode_tps in changed
    updated = update_live(before, version, portal.cache.parts, changed)
    rebuilt = build_live(version, portal.cache.parts)
    assert updated.tps == rebuilt.tps
    assert updated.voters == rebuilt.voters  # DPT, voters and unlisted TPS, kept by the change
    # The region figures are the stored tally, which the verification kept equal to a rebuild.
    tally = portal.tally
    assert tally.table().same_totals(rebuild(tally.index, tally.layout, tally.states()).table)
    assert before.tps[task.kode_tps].status == "status_needs_verification"  # untouched

    now = portal.live()
    assert now.head == version.head
    assert now.tps[task.kode_tps].status == "status_counted"
    page = TestClient(app).get(f"/wilayah/{DESA}.json").json()
    line = next(t for t in page["tps"] if t["kode_tps"] == task.kode_tps)
    assert line["status"] == "counted" and line["values"] == truth
