"""Uploads recorded together (the intake's group commit), on SQLite and PostgreSQL: one
transaction for many photos, each recorded once with its own event and signed receipt, a photo
sent twice (in the batch or before it) answered with its first receipt, the log's chain intact,
and the intake thread delivering every receipt when many uploads arrive at once."""

from __future__ import annotations

import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from sqlalchemy import Engine, func, select

from rekap.adapters.intake import Intake
from rekap.adapters.keys import load_or_create, raw_public, verify_signature
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.photos import Arrival, PhotoStore, Upload
from rekap.adapters.storage.schema import event, photo
from rekap.capture.access import Principal, Role
from rekap.capture.messages import receipt_message
from rekap.capture.photo_check import CheckedPhoto, check_photo
from rekap.events.chain import verify_chain

AT = datetime(2024, 2, 14, 14, 0, tzinfo=UTC)
TPS = ("7471011007001", "7471011007002", "7471011007003")


@pytest.fixture
def engine(database_url: str) -> Engine:
    engine = open_engine(database_url)
    upgrade(engine)
    return engine


def photo_of(seed: int) -> CheckedPhoto:
    pixels = np.random.default_rng(seed).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=60)
    checked = check_photo(out.getvalue())
    assert isinstance(checked, CheckedPhoto)
    return checked


DEVICES: dict[str, str] = {}


def officers(engine: Engine, log: EventLog) -> list[Principal]:
    accounts = AccountStore(engine, log)
    people = []
    for kode in TPS:
        officer = accounts.enrol(f"KPPS {kode}", Role.OFFICER, kode, AT, "test")[0]
        public = raw_public(Ed25519PrivateKey.generate().public_key())
        DEVICES[officer.account_id] = accounts.register_device(officer, public, AT)
        people.append(officer)
    return people


def arrival(officer: Principal, page: int, checked: CheckedPhoto, minute: int) -> Arrival:
    device = DEVICES[officer.account_id]
    upload = Upload(officer.scope, "ppwp", page, AT, device, b"\0" * 64, checked)
    return Arrival(officer, upload, AT + timedelta(minutes=minute))


def count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_batch_records_each_photo_once_with_its_own_receipt(
    engine: Engine, tmp_path: Path
) -> None:
    log = EventLog(engine)
    a, b, c = officers(engine, log)
    key = load_or_create(tmp_path / "k.pem")
    photos = PhotoStore(engine, log, key)
    early = photos.receive(a, arrival(a, 1, photo_of(1), 0).upload, AT)
    events_before = count(engine, event)
    batch = [
        arrival(a, 1, photo_of(1), 1),  # already stored: the first receipt again
        arrival(a, 2, photo_of(2), 2),
        arrival(b, 1, photo_of(3), 3),
        arrival(a, 2, photo_of(2), 4),  # twice in the batch: recorded once
        arrival(c, 3, photo_of(4), 5),
    ]
    receipts = photos.receive_many(batch)
    assert [r.duplicate for r in receipts] == [True, False, False, True, False]
    assert receipts[0] == replace(early, duplicate=True)
    assert receipts[3].photo_id == receipts[1].photo_id
    assert receipts[3].received_at == receipts[1].received_at
    assert len({r.photo_id for r in receipts}) == 4
    assert count(engine, photo) == 4
    assert count(engine, event) == events_before + 3  # one photo.received per new photo
    for item, receipt in zip(batch, receipts, strict=True):
        assert (receipt.kode_tps, receipt.page) == (item.upload.kode_tps, item.upload.page)
        assert receipt.sha256 == item.upload.checked.sha256
        at = datetime.fromisoformat(receipt.received_at)
        message = receipt_message(receipt.sha256, receipt.kode_tps, receipt.page, at)
        assert verify_signature(key.public_raw, message, bytes.fromhex(receipt.signature))
    check = verify_chain(log.records())
    assert check.ok and check.checked == count(engine, event)
    received = [r for r in log.records() if r.kind == "photo.received"]
    assert [r.actor for r in received] == [a.account_id, a.account_id, b.account_id, c.account_id]
    # each names the id its receipt gives, which the photo's state changes name
    ids = [early.photo_id, receipts[1].photo_id, receipts[2].photo_id, receipts[4].photo_id]
    assert [(r.payload["photo_id"], r.payload["sha256"]) for r in received] == [
        (i, photo_of(n).sha256) for i, n in zip(ids, (1, 2, 3, 4), strict=True)
    ]


def test_the_intake_gives_every_concurrent_upload_its_receipt(
    engine: Engine, tmp_path: Path
) -> None:
    log = EventLog(engine)
    people = officers(engine, log)
    photos = PhotoStore(engine, log, load_or_create(tmp_path / "k.pem"))
    intake = Intake(photos, max_batch=8)
    jobs = [arrival(people[i % 3], 1 + i % 3, photo_of(100 + i), i) for i in range(40)]
    jobs += jobs[:5]  # five sent again
    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            receipts = list(pool.map(lambda j: intake.receive(j.principal, j.upload, j.at), jobs))
    finally:
        intake.close()
    assert count(engine, photo) == 40
    assert len({r.photo_id for r in receipts}) == 40
    assert sum(not r.duplicate for r in receipts) == 40
    assert intake.recorded == len(jobs) and 1 <= intake.batches <= len(jobs)
    assert verify_chain(log.records()).ok


def test_written_files_are_flushed_with_their_batch(engine: Engine, tmp_path: Path) -> None:
    """On the upload path a local photo is written at once and flushed by the intake, before
    the batch's rows are committed; a flush that fails leaves no row and no receipt."""
    log = EventLog(engine)
    people = officers(engine, log)
    photos = PhotoStore(engine, log, load_or_create(tmp_path / "k.pem"))
    files = LocalPhotoStore(tmp_path / "photos")
    flushed: list[list[Path]] = []

    def flush(paths: Sequence[Path]) -> None:
        assert all(p.exists() for p in paths)
        assert count(engine, photo) == len([p for batch in flushed for p in batch])
        flushed.append(list(paths))
        files.make_durable(paths)

    intake = Intake(photos, flush)
    item = arrival(people[0], 1, photo_of(7), 0)
    written = files.write(item.upload.checked.sha256, ".jpg", b"\xff\xd8\xff")
    try:
        receipt = intake.submit(item.principal, item.upload, item.at, written).result()
    finally:
        intake.close()
    assert flushed == [[written]] and not receipt.duplicate
    assert files.get(item.upload.checked.sha256, ".jpg") == b"\xff\xd8\xff"

    def failing(_paths: Sequence[Path]) -> None:
        raise OSError("the disk is gone")

    broken = Intake(photos, failing)
    other = arrival(people[1], 1, photo_of(8), 1)
    try:
        with pytest.raises(OSError, match="the disk is gone"):
            broken.submit(other.principal, other.upload, other.at, written).result()
    finally:
        broken.close()
    assert count(engine, photo) == 1
