"""The portal's reads on each store (SQLite and PostgreSQL): Sirekap's sample imported, the
pages add up to the database, and a new result reaches the pages through the change log."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.server_keys import ServerKey
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.forms import publish_values
from rekap.adapters.storage.schema import tps_result
from rekap.cli.sirekap import import_sirekap
from rekap.data import region_tree
from rekap.web.app import create_app
from rekap.web.context import AppContext, utc_now
from rekap.web.portal.settings import PortalSettings
from tests.integration.conftest import database_url  # noqa: F401  (the fixture)
from tests.web.dataset import SAMPLE


def test_pages_on_each_database(database_url: str, tmp_path: Path) -> None:  # noqa: F811
    import_sirekap(SAMPLE, database_url)
    engine = open_engine(database_url)
    context = AppContext(
        engine, ServerKey.load_or_create(tmp_path / "k.pem"), LocalPhotoStore(tmp_path)
    )
    settings = PortalSettings(snapshots=tmp_path, refresh_seconds=0.0)
    with TestClient(create_app(context, settings)) as client:
        before = client.get("/wilayah/3101.json").json()["region"]
        with engine.connect() as connection:
            rows = connection.execute(
                select(tps_result.c.kode_tps, tps_result.c.fields).where(
                    tps_result.c.kode_tps.startswith("3101")
                )
            ).all()
        assert before["coverage"]["read"] == len(rows)
        kode = rows[0][0]
        assert client.get(f"/tps/{kode}").status_code == 200
        assert client.get("/anomali.json").json()["rules"]
        # A new result (as verification would publish it) reaches the pages by the log.
        taken = {k for k, _ in rows}
        desa = region_tree().regions[kode[:10]]
        new = next(c.value for c in desa.tps_codes() if c.value not in taken)
        values = {"paslon_1": 10, "paslon_2": 20, "paslon_3": 30, "suara_sah": 60}
        with engine.begin() as connection:
            events = publish_values(connection, new, "ppwp", "tps", values, "entry", "test")
            EventLog(engine).append(connection, events, utc_now(), "test", "test")
        after = client.get("/wilayah/3101.json").json()["region"]
        votes = {p["nomor_urut"]: p["votes"] for p in after["paslon"]}
        old = {p["nomor_urut"]: p["votes"] for p in before["paslon"]}
        assert votes == {1: old[1] + 10, 2: old[2] + 20, 3: old[3] + 30}
        assert after["coverage"]["verified"] == before["coverage"]["verified"] + 1
    engine.dispose()
