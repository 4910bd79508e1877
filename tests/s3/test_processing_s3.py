"""A worker whose photo store cannot answer (the endpoint down, the bucket missing) leaves the
photo claimed, to be taken again after the claim timeout, and processes it once the store is
back: a photo is never failed for the store's trouble (the officer's resend of the same bytes
would be the same photo, already received, and change nothing). A photo the store has lost is
still failed visibly."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from rekap.adapters.keys import load_or_create, raw_public
from rekap.adapters.photo_s3 import S3PhotoStore
from rekap.adapters.photo_store import StoreUnavailable
from rekap.adapters.processing import PhotoProcessor
from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.photos import PhotoStore, Upload
from rekap.adapters.storage.schema import photo
from rekap.capture.access import Role
from rekap.capture.photo_check import CheckedPhoto, check_photo
from rekap.cli.main import app
from rekap.cli.serve import build_context
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.reading.result import PageReading
from tests.integration.conftest import database_url
from tests.s3.conftest import REGION

REKAP = str(Path(sys.executable).parent / "rekap")
__all__ = ["database_url"]  # the fixture: a fresh SQLite file and a fresh PostgreSQL database

KODE = "7471011007001"
AT = datetime(2024, 2, 14, 14, 0, tzinfo=UTC)
CLAIM_TIMEOUT = timedelta(minutes=5)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = open_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def picture() -> tuple[bytes, CheckedPhoto]:
    out = io.BytesIO()
    Image.new("L", (420, 420), color=90).save(out, format="PNG")
    checked = check_photo(out.getvalue())
    assert isinstance(checked, CheckedPhoto)
    return out.getvalue(), checked


def receive(engine: Engine, tmp_path: Path, checked: CheckedPhoto) -> None:
    log = EventLog(engine)
    accounts = AccountStore(engine, log)
    officer, _ = accounts.enrol("KPPS", Role.OFFICER, KODE, AT, "test")
    device = accounts.register_device(
        officer, raw_public(Ed25519PrivateKey.generate().public_key()), AT
    )
    photos = PhotoStore(engine, log, load_or_create(tmp_path / "key.pem"))
    photos.receive(officer, Upload(KODE, "ppwp", 1, AT, device, b"\0" * 64, checked), AT)


def processor(engine: Engine, files: S3PhotoStore, read: list[bytes]) -> PhotoProcessor:
    election = election_2024()

    def reader(data: bytes, page: int) -> PageReading:
        read.append(data)
        return PageReading("not_a_form", "no fiducials", None)

    log = EventLog(engine)
    return PhotoProcessor(
        engine,
        log,
        PhotoStore(engine, log, load_or_create(Path("unused-key.pem"))),
        files,
        reader,
        c_hasil_ppwp(election.contest("ppwp").dapil[0]),
        election,
        region_tree(),
        CLAIM_TIMEOUT,
    )


def states(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(select(photo.c.state, photo.c.reason).order_by(photo.c.id))
        return [(str(state), str(reason)) for state, reason in rows]


def unreachable() -> Any:
    """A client of a port where nothing listens, trying once."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    once = Config(connect_timeout=1, retries={"max_attempts": 1})
    return session.client("s3", endpoint_url="http://127.0.0.1:9", config=once)


@pytest.mark.parametrize("trouble", ["the endpoint down", "the bucket missing"])
def test_a_photo_the_store_cannot_give_now_is_taken_again_not_failed(
    engine: Engine,
    tmp_path: Path,
    s3_client: Any,
    bucket: str,
    trouble: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    data, checked = picture()
    S3PhotoStore(s3_client, bucket).put(checked.sha256, checked.format.suffix, data)
    receive(engine, tmp_path, checked)
    away = (
        S3PhotoStore(unreachable(), bucket)
        if trouble == "the endpoint down"
        else S3PhotoStore(s3_client, f"{bucket}-gone")
    )
    read: list[bytes] = []
    with pytest.raises(StoreUnavailable):
        processor(engine, away, read).process_next(lambda: AT)
    assert states(engine) == [("received", "")] and read == []

    back = processor(engine, S3PhotoStore(s3_client, bucket), read)
    assert not back.process_next(lambda: AT + timedelta(minutes=1))  # still claimed
    assert back.process_next(lambda: AT + CLAIM_TIMEOUT + timedelta(seconds=1))
    assert read == [data]
    assert states(engine) == [("failed", "not_a_form: no fiducials")]  # read, once


def test_a_bug_in_taking_a_photo_from_the_store_fails_it_visibly(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the store away (an OSError) leaves a photo claimed: any other error in taking its
    bytes is a bug, and the photo is failed once with it as its reason, not retaken every
    claim timeout for ever."""
    monkeypatch.chdir(tmp_path)
    receive(engine, tmp_path, picture()[1])

    class Buggy:
        def get(self, sha256: str, suffix: str) -> bytes:
            raise ValueError("a format this store does not know")

    read: list[bytes] = []
    assert processor(engine, Buggy(), read).process_next(lambda: AT)  # type: ignore[arg-type]
    [(state, reason)] = states(engine)
    assert state == "failed" and "processing failed: ValueError" in reason
    assert read == []


def test_a_photo_the_store_lost_is_failed_visibly(
    engine: Engine, tmp_path: Path, s3_client: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    receive(engine, tmp_path, picture()[1])  # its file never stored
    read: list[bytes] = []
    assert processor(engine, S3PhotoStore(s3_client, bucket), read).process_next(lambda: AT)
    [(state, reason)] = states(engine)
    assert state == "failed" and "processing failed: FileNotFoundError" in reason


def test_a_store_whose_processed_photos_are_gone_still_starts(
    database_url: str,
    engine: Engine,
    tmp_path: Path,
    s3_endpoint: str,
    s3_client: Any,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only photos still waiting are looked for: a store whose processed photos were archived
    or pruned (here: one lost, and failed for it) serves and works on, its crops missing."""
    monkeypatch.chdir(tmp_path)
    receive(engine, tmp_path, picture()[1])  # its file never stored
    assert processor(engine, S3PhotoStore(s3_client, bucket), []).process_next(lambda: AT)
    assert states(engine)[0][0] == "failed"
    key = tmp_path / "key.pem"
    build_context(database_url, f"s3://{bucket}?endpoint={s3_endpoint}", key, signs=False)
    build_context(database_url, str(tmp_path / "empty-folder"), key, signs=False)


def worker(database_url: str, tmp_path: Path, photos: str) -> Result:
    arguments = ["worker", "--once", "--db", database_url, "--key", str(tmp_path / "key.pem")]
    return CliRunner().invoke(app, [*arguments, "--photos", photos])


def test_a_worker_given_another_photo_store_refuses_to_start(
    database_url: str, engine: Engine, tmp_path: Path, s3_endpoint: str, s3_client: Any, bucket: str
) -> None:
    """A worker started with the default folder (or another bucket) while the service stores
    photos in a bucket: it would fail every photo it took as lost. It exits 2, saying so, and
    the photo waits for a worker that reads the right store."""
    data, checked = picture()
    S3PhotoStore(s3_client, bucket).put(checked.sha256, checked.format.suffix, data)
    receive(engine, tmp_path, checked)
    for elsewhere in (str(tmp_path / "photos"), f"s3://{bucket}/other/?endpoint={s3_endpoint}"):
        result = worker(database_url, tmp_path, elsewhere)
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert "holds none of the newest 1 photos waiting to be processed" in said
        assert "needs the same --photos" in said
    assert states(engine) == [("received", "")]
    # the worker that reads the right store runs the queue (an event loop of its own): in a
    # process of its own, as an operator starts it (this one may hold a browser's loop)
    arguments = ["worker", "--once", "--db", database_url, "--key", str(tmp_path / "key.pem")]
    good = subprocess.run(
        [REKAP, *arguments, "--photos", f"s3://{bucket}?endpoint={s3_endpoint}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert good.returncode == 0, good.stdout + good.stderr


def test_a_missing_bucket_is_named_at_start(
    database_url: str, tmp_path: Path, s3_endpoint: str, bucket: str
) -> None:
    result = worker(database_url, tmp_path, f"s3://{bucket}-typo?endpoint={s3_endpoint}")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"the bucket s3://{bucket}-typo does not exist: create it, or correct --photos" in said


def test_refused_credentials_are_named_at_start() -> None:
    class Refusing:
        def head_bucket(self, **_arguments: Any) -> None:
            response = {"Error": {"Code": "InvalidAccessKeyId"}}
            raise ClientError(response, "HeadBucket")  # type: ignore[arg-type]

    with pytest.raises(StoreUnavailable, match=r"refused these credentials.*AWS_ACCESS_KEY_ID"):
        S3PhotoStore(Refusing(), "rekap-photos").check()


def test_a_policy_without_list_bucket_is_named_at_start() -> None:
    """HeadBucket answers a bare 403 to valid credentials that may get and put objects but
    not list the bucket: the refusal names the permission, not only the credentials."""

    class Unlisted:
        def head_bucket(self, **_arguments: Any) -> None:
            raise ClientError({"Error": {"Code": "403"}}, "HeadBucket")  # type: ignore[arg-type]

    with pytest.raises(StoreUnavailable, match=r"refused these credentials \(403\).*ListBucket"):
        S3PhotoStore(Unlisted(), "rekap-photos").check()


def test_photos_copied_in_by_another_tool_are_found(
    database_url: str, engine: Engine, tmp_path: Path, s3_endpoint: str, s3_client: Any, bucket: str
) -> None:
    """A photo folder moved into a bucket with `aws s3 sync` carries no recorded hash: the
    worker starts (and reads the bytes, checked against the address)."""
    data, checked = picture()
    key = S3PhotoStore(s3_client, bucket).key(checked.sha256, checked.format.suffix)
    s3_client.put_object(Bucket=bucket, Key=key, Body=data)  # no x-amz-meta-sha256
    receive(engine, tmp_path, checked)
    done = worker(database_url, tmp_path, f"s3://{bucket}?endpoint={s3_endpoint}")
    assert done.exit_code == 0, done.output
    assert states(engine) != [("received", "")]
