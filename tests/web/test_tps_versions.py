"""A TPS page shows each version of its numbers with the change-log records that made it, in
words, its full history in words, and links its desa's page of changes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rekap.adapters.storage.repository import SqlStore
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.result import Provenance, SourceKind, TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.events.chain import Recorded
from rekap.sources.sirekap import ImportedTps
from rekap.web.context import AppContext
from rekap.web.portal.region_log import Say
from rekap.web.portal.tps_versions import number_versions, version_views
from tests.web.portal_store import portal_client, portal_store

DESA = "3101011001"  # PULAU PANGGANG
KODE = f"{DESA}001"
FIRST = {"paslon_1": 100, "paslon_2": 40, "paslon_3": 7, "suara_sah": 147, "dpt_j": 200}
SECOND = {**FIRST, "paslon_1": 104, "suara_sah": 151}
FORM = c_hasil_ppwp(election_2024().contest("ppwp").dapil[0])
AT = datetime(2024, 2, 15, 3, tzinfo=UTC)


def _import(store: SqlStore, context: AppContext, values: dict[str, int], day: int) -> None:
    result = TpsResult(
        KodeWilayah(KODE), "ppwp", values, source=Provenance(SourceKind.IMPORT, f"file {day}")
    )
    item = ImportedTps(f"file {day}", result, None)
    store.save_results(None, [item], context.log, datetime(2024, 2, day, tzinfo=UTC), "import")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One TPS imported, then imported again with paslon 1 and suara sah corrected."""
    root: Path = tmp_path_factory.mktemp("versions")
    tree = region_tree()
    store, context = portal_store(root, tree)
    _import(store, context, FIRST, 15)
    _import(store, context, SECOND, 16)
    with portal_client(context, root) as test_client:
        yield test_client


def _version(page: str, n: int) -> str:
    item = page[page.index(f'<li id="v{n}">') :]
    return item[: item.index("</details>")]


def _numbers(item: str) -> dict[str, str]:
    rows = re.findall(r'<th scope="row">([^<]+)</th><td class="n">(?:<strong>)?([^<]+)<', item)
    return dict(rows)


def test_each_version_of_the_numbers_is_shown_with_what_made_it(client: TestClient) -> None:
    page = client.get(f"/tps/{KODE}").text
    first, second = _version(page, 1), _version(page, 2)
    assert '<li id="v3">' not in page
    assert "5 angka diimpor dari file 15" in first and "(berlaku)" not in first
    label = FORM.by_id["paslon_1"].label_id
    assert f"{label}: diubah dari 100 menjadi 104" in second and "(berlaku)" in second
    assert "alasan: import" in second
    assert _numbers(first)[label] == "100" and _numbers(second)[label] == "104"
    assert _numbers(second)[FORM.by_id["paslon_2"].label_id] == "40"
    # the changed numbers are marked, for the eye and for a screen reader
    assert '<strong>104</strong><span class="vh"> (berubah di versi ini)</span>' in second
    assert "<strong>40</strong>" not in second


def test_a_version_links_the_log_records_that_made_it(client: TestClient) -> None:
    document = client.get(f"/tps/{KODE}.json").json()
    versions = document["versions"]
    assert [v["values"] for v in versions] == [FIRST, SECOND]
    second = versions[1]
    assert {c["field"] for c in second["changes"]} == {"paslon_1", "suara_sah"}
    span = second["last"] - second["first"] + 1
    page = client.get(f"/tps/{KODE}").text
    assert f'href="/api/v1/log?after={second["first"] - 1}&amp;limit={span}"' in page
    records = client.get(
        "/api/v1/log", params={"after": second["first"] - 1, "limit": span}
    ).json()["events"]
    # the numbers changed, and with them the row they come from
    assert {r["kind"] for r in records} == {"result.value_changed", "result.source_changed"}
    changed = {r["payload"]["field"] for r in records if r["kind"] == "result.value_changed"}
    assert changed == {"paslon_1", "suara_sah"}


def test_the_history_is_in_words_and_links_the_desas_changes(client: TestClient) -> None:
    page = client.get(f"/tps/{KODE}?lang=en").text
    history = page[page.index('id="history-h"') :]
    label = FORM.by_id["suara_sah"].label_en
    assert f"{label}: changed from 147 to 151" in history
    assert "suara_sah: 147 → 151" not in history  # no longer the field's id and arrows
    assert f'href="/wilayah/{DESA}/perubahan"' in history
    assert "What changed in PULAU PANGGANG" in history


def test_a_transaction_of_the_capture_workflow_is_one_version_said_in_words() -> None:
    def record(sequence: int, kind: str, payload: dict[str, object], actor: str) -> Recorded:
        return Recorded(sequence, kind, AT, actor, "task 4", {"kode_tps": KODE, **payload}, "", "")

    closed = {"task_id": 4, "outcome": "adjudicated", "values": {}}
    entered = [
        record(10, "verification.closed", closed, "acc-1"),
        record(11, "result.value_changed", {"field": "paslon_1", "after": 9}, "acc-1"),
        record(12, "result.value_changed", {"field": "paslon_2", "after": 8}, "acc-1"),
    ]
    corrected = record(13, "result.value_changed", {"field": "paslon_2", "before": 8}, "acc-2")
    findings = record(14, "result.findings_recorded", {"rules": []}, "acc-3")
    versions = number_versions([*entered, corrected, findings])
    assert [v.values for v in versions] == [{"paslon_1": 9, "paslon_2": 8}, {"paslon_1": 9}]
    assert (versions[0].first, versions[0].last) == (10, 12)
    say = Say(FORM, "en")
    first, second = version_views(versions, say, {"acc-1": ("Siti", "adjudicator")})
    assert first.made_by == ("Task 4 closed: decided by an adjudicator",)
    assert first.changes == ("2 numbers set",) and first.actor_name == "Siti"
    assert second.changes == (f"{FORM.by_id['paslon_2'].label_en}: cleared (it was 8)",)
    assert second.current and not first.current
    assert say.change("paslon_1", None, 9) == f"{FORM.by_id['paslon_1'].label_en}: set to 9"
