"""The times of an officer's photos are checked like an imported row's: a photo taken before
the polls closed (local time) is ``W-FOTO-DINI``, one dated after the server received it (a
phone with a wrong clock) is ``W-FOTO-JAM``. Both are warnings: the photo is kept and read,
the TPS counts, and the tally, the publication and the portal all say so."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from rekap.adapters.keys import raw_public
from rekap.adapters.storage.photos import Upload
from rekap.adapters.storage.tally_inputs import ResultChecks, read_rows
from rekap.capture.access import Role
from rekap.capture.photo_check import CheckedPhoto, check_photo
from rekap.web.portal.live import collect_facts
from rekap.web.portal.queries import PortalQueries
from tests.integration.test_live_tally import AT, assert_in_step, capture, desa, image
from tests.integration.test_live_tally import engine as engine  # the fixture

BEFORE_CLOSE = AT.replace(hour=4)  # 12:00 WITA in Kendari; the polls close at 13:00


def test_photo_times_give_warnings_everywhere_and_the_tps_counts(
    engine: Engine, tmp_path: Path
) -> None:
    flow = capture(engine, tmp_path)
    kode = flow.clean.kode.value
    officer, _ = flow.accounts.enrol("KPPS", Role.OFFICER, kode, AT, "test")
    key = Ed25519PrivateKey.generate()
    device = flow.accounts.register_device(officer, raw_public(key.public_key()), AT)
    received = AT + timedelta(minutes=30)
    taken = {1: BEFORE_CLOSE, 2: received + timedelta(hours=3), 3: AT}
    for page in (1, 2, 3):
        checked = check_photo(image(page))
        assert isinstance(checked, CheckedPhoto)
        upload = Upload(kode, "ppwp", page, taken[page], device, b"\0" * 64, checked)
        flow.photos.receive(officer, upload, received)
    flow.read_all()

    with engine.connect() as connection:
        rows = read_rows(connection, "ppwp", [kode])[kode]
    checks = ResultChecks(flow.form, flow.election, "ppwp")(rows)  # the tally and `publish`
    assert {f.rule for f in checks} == {"W-FOTO-DINI", "W-FOTO-JAM"}
    assert not any(f.blocking for f in checks)
    late = next(f for f in checks if f.rule == "W-FOTO-JAM")
    assert late.evidence["captured_at"] == taken[2].isoformat()
    assert late.evidence["received_at"] == received.isoformat()

    facts = collect_facts(PortalQueries(engine, "ppwp"), flow.form, flow.election, [kode])
    assert {f.rule for f in facts[kode].findings} == {"W-FOTO-DINI", "W-FOTO-JAM"}

    store = assert_in_step(engine)
    assert desa(store).coverage.counted == 1  # warnings hold nothing back
    engine.dispose()
