"""The portal's reads on each store (SQLite and PostgreSQL): results and stored findings add up
on the pages, and a new result reaches the pages through the change log."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from rekap.adapters.keys import load_or_create
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.forms import publish_values
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.repository import SqlStore
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.result import TpsResult
from rekap.rules.registry import check_tps
from rekap.web.app import create_app
from rekap.web.context import AppContext, utc_now
from rekap.web.portal.settings import PortalSettings
from tests.integration.conftest import database_url  # noqa: F401  (the fixture)

DESA = "3101011001"


def votes(n: int) -> dict[str, int]:
    """Paslon votes adding up to suara sah, except every fifth TPS (F-SUM-SAH)."""
    paslon = {"paslon_1": 10 + n, "paslon_2": 20 + n, "paslon_3": 30}
    sah = sum(paslon.values()) + (1 if n % 5 == 0 else 0)
    return {**paslon, "suara_sah": sah, "suara_tidak_sah": 2, "suara_total": sah + 2}


def test_pages_on_each_database(database_url: str, tmp_path: Path) -> None:  # noqa: F811
    engine = open_engine(database_url)
    upgrade(engine)
    log, election = EventLog(engine), election_2024()
    form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    tps = list(region_tree().regions[DESA].tps_codes())
    first, later = [c.value for c in tps[:-1]], tps[-1].value
    with engine.begin() as connection:
        for n, kode in enumerate(first):
            events = publish_values(connection, kode, "ppwp", "tps", votes(n), "import", "t", ())
            log.append(connection, events, utc_now(), "test", "import")
    findings = {
        c.value: list(check_tps(TpsResult(c, "ppwp", votes(n)), form, election))
        for n, c in enumerate(tps[:-1])
    }
    SqlStore(engine).replace_findings("ppwp", first, findings)
    blocked = {k for k, found in findings.items() if any(f.blocking for f in found)}
    assert blocked
    context = AppContext(engine, load_or_create(tmp_path / "k.pem"), LocalPhotoStore(tmp_path))
    settings = PortalSettings(snapshots=tmp_path, refresh_seconds=0.0, rebuild_in_background=False)
    with TestClient(create_app(context, settings)) as client:
        before = client.get(f"/wilayah/{DESA}.json").json()["region"]
        counted = [votes(n) for n, k in enumerate(first) if k not in blocked]
        assert before["coverage"]["blocking"] == len(blocked)
        assert {p["nomor_urut"]: p["votes"] for p in before["paslon"]} == {
            i: sum(v[f"paslon_{i}"] for v in counted) for i in (1, 2, 3)
        }
        rules = client.get(f"/anomali.json?wilayah={DESA}").json()["rules"]
        assert {t["kode_tps"] for r in rules if r["rule"] == "F-SUM-SAH" for t in r["tps"]} == (
            blocked
        )
        assert client.get(f"/tps/{first[0]}").status_code == 200
        # A new result (as verification would publish it) reaches the pages by the log.
        with engine.begin() as connection:
            new = votes(1)
            events = publish_values(connection, later, "ppwp", "tps", new, "entry", "task 1", ())
            log.append(connection, events, utc_now(), "test", "test")
        after = client.get(f"/wilayah/{DESA}.json").json()["region"]
        old = {p["nomor_urut"]: p["votes"] for p in before["paslon"]}
        assert {p["nomor_urut"]: p["votes"] for p in after["paslon"]} == {
            i: old[i] + new[f"paslon_{i}"] for i in (1, 2, 3)
        }
        assert after["coverage"]["verified"] == before["coverage"]["verified"] + 1
        # numbers people entered: one more TPS verified by people, on the page as in its data
        assert before["coverage"]["verified_by_people"] == 0
        assert after["coverage"]["verified_by_people"] == 1
        page = client.get(f"/wilayah/{DESA}").text
        assert "<dt>Terverifikasi (mesin atau orang)</dt>" in page
        assert "<dt>Diverifikasi orang</dt><dd>1</dd>" in page
        english = client.get(f"/wilayah/{DESA}?lang=en").text
        assert "<dt>Verified by people</dt><dd>1</dd>" in english
        kecamatan = client.get(f"/wilayah/{DESA[:6]}.csv").text.splitlines()
        header, own = kecamatan[0].split(","), kecamatan[1].split(",")
        assert own[header.index("verified_by_people")] == "1"
    engine.dispose()
