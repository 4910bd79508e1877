"""Publication under failure: killed mid-write, two at once, a pointer or a previous snapshot
that cannot be trusted, a bad signing key, a full disk, odd target paths, a failing bucket.
In every case ``latest`` names a complete snapshot, and the command says what went wrong."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rekap.adapters import snapshot_dir
from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import (
    BadPointer,
    DirectorySnapshotStore,
    LatestMoved,
    PublicationBusy,
    SnapshotExists,
)
from rekap.adapters.snapshot_s3 import S3SnapshotStore
from rekap.cli.db import open_store
from rekap.cli.main import app
from rekap.publish.ports import FileEntry
from rekap.publish.previous import PreviousAltered
from rekap.publish.snapshot import Published, publish_snapshot
from tests.publish.conftest import AT, Publisher, make_records, request_for
from tests.s3.conftest import (  # noqa: F401  (the bucket fixtures, for the S3 cases)
    Connect,
    aws_credentials,
    bucket,
    connect,
    s3_client,
    s3_endpoint,
)

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _publish(store: Any, signer: SigningKey, seed: int, hour: int) -> Published:
    request = replace(request_for(make_records(seed)), created_at=AT.replace(hour=hour))
    return publish_snapshot(replace(request, previous=store.previous("ppwp")), store, signer)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# A publication in its own process that stops after 30 files, says so, and waits to be killed.
CHILD = """
import sys, time
from dataclasses import replace
from pathlib import Path
from rekap.adapters.keys import load_or_create
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.publish.snapshot import publish_snapshot
from tests.publish.conftest import AT, make_records, request_for

out, key, ready = map(Path, sys.argv[1:4])

class Stalling(DirectorySnapshotStore):
    def begin(self, snapshot_id):
        writer = super().begin(snapshot_id)
        original, count = writer.write, [0]
        def write(path, data):
            count[0] += 1
            if count[0] == 30:
                ready.write_text("writing")
                time.sleep(600)
            return original(path, data)
        writer.write = write
        return writer

store = Stalling(out)
request = replace(request_for(make_records(2)), created_at=AT.replace(hour=8))
publish_snapshot(replace(request, previous=store.previous("ppwp")), store, load_or_create(key))
"""


def test_a_publication_killed_mid_write_is_cleaned_up_by_the_next(
    tmp_path: Path, signer: SigningKey
) -> None:
    out, key, ready = tmp_path / "out", tmp_path / "keys" / "snapshot.pem", tmp_path / "ready"
    store = DirectorySnapshotStore(out)
    first = _publish(store, signer, 1, 6)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(out), str(key), str(ready)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the child never started writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    left = [name for name in _names(out) if name.startswith(".staging-")]
    assert len(left) == 1  # recognisable: hidden, named for its snapshot and its process
    assert (out / "latest").read_text().strip() == first.snapshot_id
    again = DirectorySnapshotStore(out)
    second = _publish(again, signer, 2, 9)
    assert again.removed == [left[0]]  # reported, so the command can say so
    assert _names(out) == sorted([first.snapshot_id, second.snapshot_id, "latest"])
    assert (out / "latest").read_text().strip() == second.snapshot_id


def test_a_second_publication_into_the_same_folder_is_refused_while_one_runs(
    tmp_path: Path, signer: SigningKey
) -> None:
    out = tmp_path / "out"
    busy = DirectorySnapshotStore(out)
    busy.begin("20240220T060000Z").write("a.json", b"{}")
    with pytest.raises(PublicationBusy):
        _publish(DirectorySnapshotStore(out), signer, 1, 7)
    busy.abort("20240220T060000Z")
    done = _publish(DirectorySnapshotStore(out), signer, 1, 7)  # the lock went with the abort
    assert (out / "latest").read_text().strip() == done.snapshot_id


def test_a_publication_whose_previous_snapshot_is_no_longer_latest_is_not_switched(
    tmp_path: Path, signer: SigningKey
) -> None:
    out = tmp_path / "out"
    store = DirectorySnapshotStore(out)
    _publish(store, signer, 1, 6)
    stale = replace(request_for(make_records(3)), created_at=AT.replace(hour=8))
    stale = replace(stale, previous=store.previous("ppwp"))  # read, then another publishes
    meanwhile = _publish(store, signer, 2, 9)
    with pytest.raises(LatestMoved):
        publish_snapshot(stale, store, signer)
    assert (out / "latest").read_text().strip() == meanwhile.snapshot_id
    assert not (out / "20240220T080000Z").exists()
    assert not [name for name in _names(out) if name.startswith(".")]


def test_an_id_taken_by_a_publication_that_finished_first_is_named(tmp_path: Path) -> None:
    store = DirectorySnapshotStore(tmp_path)
    store.begin("20240220T060000Z").write("a.json", b"{}")
    (tmp_path / "20240220T060000Z").mkdir()  # another publisher, without the lock, won
    (tmp_path / "20240220T060000Z" / "b.json").write_bytes(b"{}")
    with pytest.raises(SnapshotExists):
        store.commit("20240220T060000Z")
    store.abort("20240220T060000Z")
    assert _names(tmp_path) == ["20240220T060000Z"]


def test_a_pointer_that_cannot_be_written_leaves_the_old_one_and_the_id_free(
    tmp_path: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    first = _publish(DirectorySnapshotStore(out), signer, 1, 6)

    def full(source: object, target: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(snapshot_dir.os, "replace", full)
        with pytest.raises(OSError, match="No space"):
            _publish(DirectorySnapshotStore(out), signer, 2, 7)
    assert _names(out) == [first.snapshot_id, "latest"]
    assert (out / "latest").read_text().strip() == first.snapshot_id
    second = _publish(DirectorySnapshotStore(out), signer, 2, 7)  # the id is still free
    assert (out / "latest").read_text().strip() == second.snapshot_id


@pytest.mark.parametrize(
    "pointer",
    [b"20240101T000000Z\n", b"../elsewhere/20240220T060000Z\n", b".\n", b"latest\n", b"\xff\n"],
    ids=["missing", "outside", "dot", "itself", "not-ascii"],
)
def test_a_pointer_that_names_no_snapshot_here_is_refused(
    tmp_path: Path, signer: SigningKey, pointer: bytes
) -> None:
    _publish(DirectorySnapshotStore(tmp_path / "elsewhere"), signer, 1, 6)
    out = tmp_path / "out"
    _publish(DirectorySnapshotStore(out), signer, 1, 6)
    (out / "latest").write_bytes(pointer)
    with pytest.raises(BadPointer, match="latest"):
        DirectorySnapshotStore(out).previous("ppwp")


def _altered_bulk(folder: Path, other: Path) -> None:
    bulk = folder / "data" / "tps-ppwp.parquet"
    bulk.chmod(0o644)
    shutil.copyfile(other / "data" / "tps-ppwp.parquet", bulk)


def test_a_previous_snapshot_whose_bulk_file_was_altered_is_not_diffed_against(
    tmp_path: Path, publish_small: Publisher
) -> None:
    other = Path(publish_small(make_records(5), out=tmp_path / "other").location)
    folder = Path(publish_small(make_records(4)).location)
    _altered_bulk(folder, other)
    with pytest.raises(PreviousAltered, match=r"tps-ppwp\.parquet"):
        publish_small(make_records(4), at=AT.replace(hour=9))
    (folder / "data" / "tps-ppwp.parquet").unlink()
    with pytest.raises(PreviousAltered, match=r"tps-ppwp\.parquet"):
        publish_small(make_records(4), at=AT.replace(hour=9))


def test_a_previous_manifest_of_another_snapshot_is_refused(
    tmp_path: Path, publish_small: Publisher
) -> None:
    first = publish_small(make_records(4))
    second = Path(publish_small(make_records(4), at=AT.replace(hour=7)).location)
    (tmp_path / "out" / "latest").write_text(second.name + "\n")
    manifest = second / "manifest.json"
    manifest.chmod(0o644)
    shutil.copyfile(Path(first.location) / "manifest.json", manifest)
    with pytest.raises(PreviousAltered, match="names snapshot"):
        DirectorySnapshotStore(tmp_path / "out").previous("ppwp")


def _said(result: Any, text: str) -> bool:
    """Whether the command's output holds ``text``, wherever the console wrapped its lines."""
    return "".join(text.split()) in "".join(result.output.split())


def _cli_publish(tmp_path: Path, *args: str) -> Any:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    open_store(db).engine.dispose()  # a database with rekap's schema and nothing in it
    common = ["publish", "--db", db, "--scope", "3101", "--workers", "1"]
    return runner.invoke(app, [*common, *args])


def _write_rsa(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _write_encrypted(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )


@pytest.mark.parametrize("case", ["garbage", "empty", "rsa", "encrypted", "folder"])
def test_a_signing_key_that_cannot_sign_is_one_clear_line(tmp_path: Path, case: str) -> None:
    key = tmp_path / "key.pem"
    if case == "garbage":
        key.write_bytes(b"not a key\n")
    elif case == "empty":
        key.write_bytes(b"")
    elif case == "rsa":
        _write_rsa(key)
    elif case == "encrypted":
        _write_encrypted(key)
    else:
        key.mkdir()
    out = tmp_path / "out"
    result = _cli_publish(tmp_path, "--out", str(out), "--key", str(key))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _said(result, "signing key") and _said(result, str(key)), result.output
    assert not out.exists()


def test_a_new_signing_key_is_said_once_when_it_is_made(tmp_path: Path) -> None:
    """A mistyped --key makes a new key: the command says so, with its id, that first time."""
    out, key = tmp_path / "out", tmp_path / "typo.pem"
    first = _cli_publish(
        tmp_path, "--out", str(out), "--key", str(key), "--at", "2024-02-20T06:00Z"
    )
    assert first.exit_code == 0, first.output
    assert _said(first, f"No signing key at {key}: a new one was made"), first.output
    later = _cli_publish(
        tmp_path, "--out", str(out), "--key", str(key), "--at", "2024-02-20T07:00Z"
    )
    assert later.exit_code == 0, later.output
    assert not _said(later, "No signing key")


def test_a_full_disk_is_named_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    key = str(tmp_path / "key.pem")
    first = _cli_publish(tmp_path, "--out", str(out), "--key", key, "--at", "2024-02-20T06:00Z")
    assert first.exit_code == 0, first.output
    original, count = snapshot_dir.DirectoryWriter.write, [0]

    def write(self: snapshot_dir.DirectoryWriter, path: str, data: bytes) -> FileEntry:
        count[0] += 1
        if count[0] == 20:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.root / path))
        return original(self, path, data)

    monkeypatch.setattr(snapshot_dir.DirectoryWriter, "write", write)
    later = _cli_publish(tmp_path, "--out", str(out), "--key", key, "--at", "2024-02-20T07:00Z")
    assert later.exit_code == 1
    assert isinstance(later.exception, SystemExit), later.exception
    assert _said(later, "No space left on device"), later.output
    assert _said(later, "nothing was published")
    assert _names(out) == ["20240220T060000Z", "latest"]


def test_a_target_that_is_a_file_is_named(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder")
    result = _cli_publish(tmp_path, "--out", str(out), "--key", str(tmp_path / "k.pem"))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert _said(result, "nothing was published"), result.output


def test_a_target_path_with_spaces_quotes_markup_and_accents_is_named_literally(
    tmp_path: Path,
) -> None:
    out = tmp_path / "hasil [/b] 'ünï' \"x\" [bold]y[/bold]"
    key = str(tmp_path / "key.pem")
    result = _cli_publish(tmp_path, "--out", str(out), "--key", key, "--at", "2024-02-20T06:00Z")
    assert result.exit_code == 0, result.output
    assert _said(result, str(out)), result.output
    assert (out / "latest").read_text().strip() == "20240220T060000Z"
    again = _cli_publish(tmp_path, "--out", str(out), "--key", key, "--at", "2024-02-20T06:00Z")
    assert again.exit_code == 2
    assert _said(again, str(out)), again.output


def test_a_bucket_snapshot_whose_previous_moved_is_not_pointed_at(
    connect: Connect,  # noqa: F811
    bucket: str,  # noqa: F811
    signer: SigningKey,
) -> None:
    store = S3SnapshotStore(connect, bucket)
    _publish(store, signer, 1, 6)
    stale = replace(request_for(make_records(3)), created_at=AT.replace(hour=8))
    stale = replace(stale, previous=store.previous("ppwp"))
    meanwhile = _publish(store, signer, 2, 9)
    with pytest.raises(LatestMoved):
        publish_snapshot(stale, store, signer)
    assert store.latest() == meanwhile.snapshot_id
    assert store.read("20240220T080000Z", "manifest.json") is None


def test_a_bucket_snapshot_whose_bulk_file_was_altered_is_not_diffed_against(
    connect: Connect,  # noqa: F811
    bucket: str,  # noqa: F811
    s3_client: Any,  # noqa: F811
    signer: SigningKey,
) -> None:
    store = S3SnapshotStore(connect, bucket)
    first = _publish(store, signer, 1, 6)
    key = f"snapshots/{first.snapshot_id}/data/tps-ppwp.parquet"
    body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3_client.put_object(Bucket=bucket, Key=key, Body=body[:-10] + b"x" * 10)
    with pytest.raises(PreviousAltered, match=r"tps-ppwp\.parquet"):
        store.previous("ppwp")


def test_a_bucket_pointer_that_fails_to_switch_leaves_the_old_one(
    connect: Connect,  # noqa: F811
    bucket: str,  # noqa: F811
    signer: SigningKey,
) -> None:
    store = S3SnapshotStore(connect, bucket)
    first = _publish(store, signer, 1, 6)
    client = store.client()
    original = client.put_object

    def put_object(**arguments: Any) -> Any:
        if arguments["Key"].endswith("latest.json"):
            raise OSError("connection reset")
        return original(**arguments)

    client.put_object = put_object
    try:
        with pytest.raises(OSError, match="connection reset"):
            _publish(store, signer, 2, 7)
    finally:
        client.put_object = original
    assert store.latest() == first.snapshot_id
    assert not list(store._keys(f"{store.root}20240220T070000Z/"))  # removed by the abort
