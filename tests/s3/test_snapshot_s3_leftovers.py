"""What a publication killed outright leaves in a bucket: the next publication removes a
snapshot that was never published, releases the claim of one that was, leaves alone what a
running publication or an unfollowable chain of snapshots keeps, and says what it did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from rekap.adapters.snapshot_s3 import S3SnapshotStore
from tests.s3.conftest import Connect

pytestmark = pytest.mark.xdist_group("s3-snapshots")

FIRST, KILLED, NEXT = "20240220T050000Z", "20240220T060000Z", "20240220T070000Z"


def manifest(snapshot_id: str, previous: str | None) -> bytes:
    before = None if previous is None else {"snapshot_id": previous}
    return json.dumps({"snapshot_id": snapshot_id, "previous": before}).encode()


def publish(store: S3SnapshotStore, snapshot_id: str, previous: str | None) -> None:
    writer = store.begin(snapshot_id)
    writer.write("data/note.txt", snapshot_id.encode())
    writer.write("manifest.json", manifest(snapshot_id, previous))
    store.commit(snapshot_id)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def claimed_by_the_dead(s3_client: Any, bucket: str, snapshot_id: str, host: str = "") -> None:
    """The claim of ``snapshot_id`` as a publication whose process has died left it."""
    body = {"snapshot_id": snapshot_id, "host": host or os.uname().nodename, "pid": dead_pid()}
    key = f"snapshots/.claims/{snapshot_id}"
    s3_client.put_object(Bucket=bucket, Key=key, Body=json.dumps(body).encode())


def keys(s3_client: Any, bucket: str) -> list[str]:
    listed = s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(str(item["Key"]) for item in listed)


def killed_during_upload(
    connect: Connect, s3_client: Any, bucket: str, with_manifest: bool, previous: str | None
) -> None:
    writer = S3SnapshotStore(connect, bucket).begin(KILLED)
    writer.write("data/note.txt", b"half")
    if with_manifest:  # uploaded in any order: the manifest may be up before the kill
        writer.write("manifest.json", manifest(KILLED, previous))
    claimed_by_the_dead(s3_client, bucket, KILLED)


@pytest.mark.parametrize("with_manifest", [False, True])
def test_a_snapshot_never_published_is_removed_by_the_next_publication(
    connect: Connect, bucket: str, s3_client: Any, with_manifest: bool
) -> None:
    publish(S3SnapshotStore(connect, bucket), FIRST, None)
    killed_during_upload(connect, s3_client, bucket, with_manifest, FIRST)
    store = S3SnapshotStore(connect, bucket)
    publish(store, NEXT, FIRST)
    assert not [k for k in keys(s3_client, bucket) if KILLED in k]  # objects and claim
    assert len(store.removed) == 1 and KILLED in store.removed[0]
    assert "never published" in store.removed[0]
    assert store.latest() == NEXT
    assert store.read(FIRST, "data/note.txt") == FIRST.encode()


def test_the_same_id_is_free_again_once_its_publication_died(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    killed_during_upload(connect, s3_client, bucket, False, None)
    store = S3SnapshotStore(connect, bucket)
    publish(store, KILLED, None)
    assert store.read(KILLED, "data/note.txt") == KILLED.encode()  # not the half upload's
    assert store.latest() == KILLED


def test_a_published_snapshot_whose_claim_stayed_keeps_its_objects(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    store = S3SnapshotStore(connect, bucket)
    publish(store, FIRST, None)
    publish(store, KILLED, FIRST)
    claimed_by_the_dead(s3_client, bucket, KILLED)  # killed between the switch and the release
    later = S3SnapshotStore(connect, bucket)
    publish(later, NEXT, KILLED)
    assert later.removed == []
    assert later.read(KILLED, "data/note.txt") == KILLED.encode()
    assert not [k for k in keys(s3_client, bucket) if ".claims/" in k]


def test_a_running_publication_is_left_alone(connect: Connect, bucket: str, s3_client: Any) -> None:
    S3SnapshotStore(connect, bucket).begin(KILLED).write("data/note.txt", b"uploading")
    # and one on another machine, whose process this one cannot see: young, so running
    claimed_by_the_dead(s3_client, bucket, FIRST, host="another-machine")
    store = S3SnapshotStore(connect, bucket)
    publish(store, NEXT, None)
    assert store.removed == []
    found = keys(s3_client, bucket)
    assert f"snapshots/{KILLED}/data/note.txt" in found
    assert f"snapshots/.claims/{KILLED}" in found and f"snapshots/.claims/{FIRST}" in found


def test_a_chain_that_cannot_be_followed_keeps_the_objects_and_says_so(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    store = S3SnapshotStore(connect, bucket)
    writer = store.begin(FIRST)  # a hand-made snapshot: its manifest names no previous
    writer.write("manifest.json", json.dumps({"snapshot_id": FIRST}).encode())
    store.commit(FIRST)
    killed_during_upload(connect, s3_client, bucket, True, FIRST)
    later = S3SnapshotStore(connect, bucket)
    publish(later, NEXT, FIRST)
    assert later.removed == []
    assert any("cannot be followed" in w and KILLED in w for w in later.warnings)
    assert f"snapshots/{KILLED}/data/note.txt" in keys(s3_client, bucket)
