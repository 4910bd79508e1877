"""Every result rekap read itself has an ``updated_at``, on SQLite and PostgreSQL: the time of
the newest event of the change log that set its numbers (read, entered by people), unmoved by
a new photo that reads the same numbers. The bulk data, the desa records and the Sirekap TPS
files give it (the TPS file's ``ts`` in WIB), never the snapshot's time in its place, and the
recount finds the same from the log."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from rekap.adapters.keys import raw_public
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.photos import Upload
from rekap.adapters.storage.tally_store import TallyStore
from rekap.adapters.storage.verification import VerificationStore
from rekap.capture.access import Role
from rekap.capture.photo_check import CheckedPhoto, check_photo
from rekap.cli.main import app
from rekap.events.model import ValueChanged
from rekap.publish.encode import iso_utc, sirekap_ts
from rekap.recount.run import recount
from rekap.tally.layout import TallyLayout
from tests.integration.test_live_tally import AT, DESA, Capture, capture, image, reading

runner = CliRunner()
READ_AT = AT + timedelta(hours=1)  # when read_all reads every photo
VERIFIED_AT = AT + timedelta(hours=2, minutes=30)  # the second verifier's entry
RETAKEN_AT = AT + timedelta(hours=4)


def _retake_same_numbers(flow: Capture) -> None:
    """The clean TPS's officer sends page 3 again; it reads the same numbers."""
    kode = flow.clean.kode.value
    officer, _ = flow.accounts.enrol(f"KPPS 2 {kode}", Role.OFFICER, kode, AT, "test")
    device = flow.accounts.register_device(
        officer, raw_public(Ed25519PrivateKey.generate().public_key()), AT
    )
    checked = check_photo(image(100))
    assert isinstance(checked, CheckedPhoto)
    flow.photos.receive(officer, Upload(kode, "ppwp", 3, AT, device, b"\0" * 64, checked), AT)
    claimed = flow.photos.claim(RETAKEN_AT)
    assert claimed is not None and claimed.page == 3
    flow.processor.finish(claimed, reading(flow.form, 3, flow.clean.actual), RETAKEN_AT)


def _logged_times(flow: Capture, kode: str) -> list[datetime]:
    kinds = ("result.imported", "result.value_changed")
    return [
        r.at for r in flow.log.history(kode) if r.kind in kinds and r.payload["contest"] == "ppwp"
    ]


def test_a_result_rekap_read_says_when_its_numbers_last_changed(
    database_url: str, tmp_path: Path
) -> None:
    engine = open_engine(database_url)
    upgrade(engine)
    flow = capture(engine, tmp_path)
    flow.receive_all()
    flow.read_all()
    verification = VerificationStore(engine, flow.log, flow.form, flow.election)
    for name, at in (("V1", AT + timedelta(hours=2)), ("V2", VERIFIED_AT)):
        person, _ = flow.accounts.enrol(name, Role.VERIFIER, DESA[:4], AT, "test")
        task = verification.next_task(person)
        assert task is not None
        verification.enter(person, task.id, dict(flow.unsure.actual), 30.0, at)
    _retake_same_numbers(flow)
    clean, unsure = flow.clean.kode.value, flow.unsure.kode.value
    with engine.begin() as connection:  # a number of another contest is no change of these
        other = ValueChanged(clean, "dpd", "suara_sah", None, 1)
        flow.log.append(connection, [other], RETAKEN_AT, "test", "another contest")
    assert _logged_times(flow, clean)[-1] == READ_AT  # the retake changed no number
    assert _logged_times(flow, unsure)[-1] == VERIFIED_AT

    layout = TallyLayout.of_form("ppwp", flow.form)
    records = {r.kode_tps: r for r in TallyStore(engine, layout).records()}
    assert records[clean].source.kind.value == "photo"
    assert records[unsure].source.kind.value == "entry"
    assert (records[clean].updated_at, records[unsure].updated_at) == (READ_AT, VERIFIED_AT)
    engine.dispose()

    out, key = tmp_path / "snapshots", tmp_path / "s.pem"
    args = ["--out", str(out), "--key", str(key), "--scope", DESA[:6], "--workers", "1"]
    published = runner.invoke(
        app, ["publish", *args, "--at", "2024-02-20T06:00:00+00:00", "--db", database_url]
    )
    assert published.exit_code == 0, published.output
    folder = out / (out / "latest").read_text().strip()
    rows = {r["kode_tps"]: r for r in pq.read_table(folder / "data/tps-ppwp.parquet").to_pylist()}
    path = f"{DESA[:2]}/{DESA[:4]}/{DESA[:6]}/{DESA}"
    desa = json.loads((folder / f"rekap/ppwp/{path}/tps.json").read_text())["tps"]
    by_kode = {r["kode"]: r for r in desa}
    for kode, at in ((clean, READ_AT), (unsure, VERIFIED_AT)):
        assert rows[kode]["updated_at"] == iso_utc(at), kode
        assert by_kode[kode]["updated_at"] == iso_utc(at), kode
        tps_file = json.loads((folder / f"pemilu/hhcw/ppwp/{path}/{kode}.json").read_text())
        assert tps_file["ts"] == sirekap_ts(at), kode  # not the snapshot's 2024-02-20 13:00
    assert all(r["updated_at"] for r in rows.values() if r["has_result"])
    # the recount, from the log alone, finds each of them when their numbers last changed
    report = recount(folder, workers=1)
    assert report.ok, [str(p) for p in report.problems]
    assert sum(1 for r in rows.values() if r["source_kind"]) >= 2
    assert report.checked["TPS updated_at compared with the log"] == len(rows)


def test_an_import_without_numbers_sets_no_time(database_url: str) -> None:
    """Sirekap lists TPS with no numbers yet: importing one (or a later version of one that
    had numbers, with none) is no change of its numbers."""
    from rekap.adapters.storage.event_store import EventLog, numbers_changed_at
    from rekap.events.model import ResultImported

    engine = open_engine(database_url)
    upgrade(engine)
    log = EventLog(engine)
    empty, counted = f"{DESA}001", f"{DESA}002"
    with engine.begin() as connection:
        first = [
            ResultImported(empty, "ppwp", "sirekap", {}),
            ResultImported(counted, "ppwp", "sirekap", {"paslon_1": 5}),
        ]
        log.append(connection, list(first), AT, "import", "import", subject=None)
    with engine.begin() as connection:
        later = ResultImported(counted, "ppwp", "sirekap", {})
        log.append(connection, [later], RETAKEN_AT, "import", "import")
    with engine.connect() as connection:
        changed = numbers_changed_at(connection, "ppwp")
    engine.dispose()
    assert empty not in changed
    assert datetime.fromisoformat(changed[counted]) == AT
