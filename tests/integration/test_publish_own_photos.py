"""A snapshot names the photos rekap's own numbers come from, on SQLite and PostgreSQL: each
page's newest read photo, by its SHA-256 (the hash its `photo.received` event logs), in the
bulk data, the desa records and the Sirekap TPS files, whether the machine read the form or
people entered it; a later photo that could not be read does not replace the one read. The
recount replays that choice from the log: an older photo of a page published in place of the
newest is named."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from typer.testing import CliRunner

from rekap.adapters.keys import raw_public
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.photos import Upload
from rekap.adapters.storage.schema import photo, tps_result
from rekap.adapters.storage.verification import VerificationStore
from rekap.capture.access import Role
from rekap.capture.photo_check import CheckedPhoto, check_photo
from rekap.cli.main import app
from rekap.reading.result import PageReading
from rekap.recount.problems import Kind
from rekap.recount.run import recount
from tests.integration.test_live_tally import AT, DESA, Capture, capture, image, reading

runner = CliRunner()


def _hashes(database_url: str, kode: str) -> list[tuple[int, str, str]]:
    """(page, state, sha256) of each photo of a TPS, oldest first."""
    engine = open_engine(database_url)
    with engine.connect() as connection:
        query = (
            select(photo.c.page, photo.c.state, photo.c.sha256)
            .where(photo.c.kode_tps == kode)
            .order_by(photo.c.id)
        )
        found = [(int(p), str(s), str(h)) for p, s, h in connection.execute(query)]
    engine.dispose()
    return found


def _retake(flow: Capture) -> None:
    """The clean TPS's officer sends page 3 again (read) and page 1 again (unreadable)."""
    kode = flow.clean.kode.value
    officer, _ = flow.accounts.enrol(f"KPPS 2 {kode}", Role.OFFICER, kode, AT, "test")
    key = Ed25519PrivateKey.generate()
    device = flow.accounts.register_device(officer, raw_public(key.public_key()), AT)
    for page, seed in ((3, 100), (1, 101)):
        checked = check_photo(image(seed))
        assert isinstance(checked, CheckedPhoto)
        upload = Upload(kode, "ppwp", page, AT, device, b"\0" * 64, checked)
        flow.photos.receive(officer, upload, AT + timedelta(hours=3))
    later = AT + timedelta(hours=4)
    while (claimed := flow.photos.claim(later)) is not None:
        if claimed.page == 3:
            read = reading(flow.form, 3, flow.clean.actual)
        else:
            read = PageReading("unreadable", "blurred", None)
        flow.processor.finish(claimed, read, later)


def _captured(database_url: str, tmp_path: Path) -> Capture:
    """The desa captured: every form read, the unsure TPS entered by people, then the clean
    TPS's page 3 sent again and read, its page 1 sent again and unreadable."""
    engine = open_engine(database_url)
    upgrade(engine)
    flow = capture(engine, tmp_path)
    flow.receive_all()
    flow.read_all()
    verification = VerificationStore(engine, flow.log, flow.form, flow.election)
    for name in ("V1", "V2"):  # people enter the unsure TPS
        person, _ = flow.accounts.enrol(name, Role.VERIFIER, DESA[:4], AT, "test")
        task = verification.next_task(person)
        assert task is not None
        entered = dict(flow.unsure.actual)
        verification.enter(person, task.id, entered, 30.0, AT + timedelta(hours=2))
    _retake(flow)
    engine.dispose()
    return flow


def _publish(database_url: str, tmp_path: Path) -> Path:
    out, key = tmp_path / "snapshots", tmp_path / "s.pem"
    args = ["--out", str(out), "--key", str(key), "--scope", DESA[:6], "--workers", "1"]
    published = runner.invoke(
        app, ["publish", *args, "--at", "2024-02-20T06:00:00+00:00", "--db", database_url]
    )
    assert published.exit_code == 0, published.output
    return out / (out / "latest").read_text().strip()


def test_published_photos_are_each_pages_newest_read_photo(
    database_url: str, tmp_path: Path
) -> None:
    flow = _captured(database_url, tmp_path)
    clean, unsure = flow.clean.kode.value, flow.unsure.kode.value
    shots = _hashes(database_url, clean)
    assert [(p, s) for p, s, _ in shots][3:] == [(3, "accepted"), (1, "failed")]
    wanted = {
        clean: [shots[0][2], shots[1][2], shots[3][2]],  # page 3 retaken; page 1's retake failed
        unsure: [h for _, _, h in _hashes(database_url, unsure)],
    }

    folder = _publish(database_url, tmp_path)
    rows = {r["kode_tps"]: r for r in pq.read_table(folder / "data/tps-ppwp.parquet").to_pylist()}
    assert rows[clean]["source_kind"] == "photo" and rows[unsure]["source_kind"] == "entry"
    assert rows[clean]["source_ref"] == shots[3][2]  # the photo read last, not a row id
    path = f"{DESA[:2]}/{DESA[:4]}/{DESA[:6]}/{DESA}"
    records = json.loads((folder / f"rekap/ppwp/{path}/tps.json").read_text())["tps"]
    by_kode = {r["kode"]: r for r in records}
    for kode, hashes in wanted.items():
        assert rows[kode]["photos"] == " ".join(hashes), kode
        assert by_kode[kode]["photos"] == hashes, kode
        tps_file = folder / f"pemilu/hhcw/ppwp/{path}/{kode}.json"
        assert json.loads(tps_file.read_text())["images"] == hashes, kode
    logged = {
        r.payload["sha256"]
        for r in EventLog(open_engine(database_url)).records()
        if r.kind == "photo.received"
    }
    assert set(wanted[clean]) | set(wanted[unsure]) <= logged
    assert recount(folder, workers=1, deep=True).ok


def test_an_older_photo_of_the_page_published_behind_the_logs_back_is_named(
    database_url: str, tmp_path: Path
) -> None:
    """The clean TPS's first page 3 (read, and still in a read state) published in place of
    the page 3 sent again, with it as the source: each is a photo the officer sent of that
    page, but not the one the store chose when the form was last accepted, which the log
    replays from the photos' ids."""
    flow = _captured(database_url, tmp_path)
    clean = flow.clean.kode.value
    shots = _hashes(database_url, clean)
    first, newer = shots[2][2], shots[3][2]
    assert shots[2][:2] == (3, "accepted") and shots[3][:2] == (3, "accepted")
    engine = open_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            update(tps_result)
            .where(tps_result.c.kode_tps == clean, tps_result.c.contest == "ppwp")
            .values(photos=[shots[0][2], shots[1][2], first], source_ref=first)
        )
    engine.dispose()
    report = recount(_publish(database_url, tmp_path), workers=1)
    assert [(p.kind, p.path, p.detail) for p in report.problems] == [
        (
            Kind.SOURCE,
            "data/tps-ppwp.parquet",
            f"TPS {clean} {detail}",
        )
        for detail in (
            f"source_ref: bulk data says read from {first!r}, "
            f"the log last accepted the form when it read {newer!r}",
            f"photo of page 3: bulk data says {first!r}, "
            f"the newest photo of that page read when the form was last accepted is {newer!r}",
        )
    ]
