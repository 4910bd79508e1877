"""Snapshots in a bucket: the same files as the folder, switched by the pointer written last,
never half-visible, and recountable after a download.

Requests to the test server take ~15 ms, so two real publications are shared by the module
(``published``); the other tests write small snapshots by hand.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from rekap.adapters.keys import SigningKey, load_or_create
from rekap.adapters.snapshot_dir import (
    DirectorySnapshotStore,
    ForkedRunner,
    LatestMoved,
    PublicationBusy,
    SnapshotExists,
    UnsafePath,
)
from rekap.adapters.snapshot_s3 import PointerMismatch, S3SnapshotStore, S3SnapshotWriter
from rekap.publish.ports import FileEntry, SnapshotStore
from rekap.publish.snapshot import Published, publish_snapshot
from rekap.recount.layout import NoSnapshot
from rekap.recount.run import recount
from tests.publish.conftest import AT, make_records, request_for
from tests.s3.conftest import REGION, Connect, new_bucket

pytestmark = pytest.mark.xdist_group("s3-snapshots")  # one worker publishes the module's pair
LATER = AT.replace(hour=9)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def publish(
    store: Any, signer: SigningKey, seed: int, at: datetime = AT, **options: Any
) -> Published:
    request = replace(request_for(make_records(seed)), created_at=at)
    request = replace(request, previous=store.previous("ppwp"))
    return publish_snapshot(request, store, signer, **options)


class WatchedStore(S3SnapshotStore):
    """Reads the bucket as a reader would (the pointer, then the manifest it names) after every
    file of the new snapshot is uploaded, just before the switch; what it read is in ``seen``."""

    def __init__(self, connect: Connect, bucket: str) -> None:
        super().__init__(connect, bucket)
        self.seen: list[tuple[str | None, bytes | None]] = []

    def commit(self, snapshot_id: str) -> str:
        assert self.read(snapshot_id, "manifest.sig") is not None  # everything is uploaded
        reader = S3SnapshotStore(self.client, self.bucket)
        latest = reader.latest()
        manifest = None if latest is None else reader.read(latest, "manifest.json")
        self.seen.append((latest, manifest))
        return super().commit(snapshot_id)


@dataclass
class Publications:
    store: WatchedStore
    first: Published
    second: Published
    in_folder: Published
    scratch: Path


@pytest.fixture(scope="module")
def published(
    connect: Connect, s3_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> Publications:
    """Two publications into one bucket, the second by forked workers; and the first again,
    into a folder."""
    scratch = tmp_path_factory.mktemp("published")
    signer = load_or_create(scratch / "snapshot.pem")
    store = WatchedStore(connect, new_bucket(s3_client))
    first = publish(store, signer, 6)
    second = publish(store, signer, 7, LATER, runner=ForkedRunner(2), workers=2)
    in_folder = publish(DirectorySnapshotStore(scratch / "folder"), signer, 6)
    return Publications(store, first, second, in_folder, scratch)


def test_a_reader_during_a_publication_sees_the_previous_snapshot(
    published: Publications,
) -> None:
    store, first = published.store, published.first
    assert store.seen[0] == (None, None)
    latest, manifest = store.seen[1]  # the second snapshot was wholly uploaded by then
    assert latest == first.snapshot_id
    assert manifest is not None
    assert hashlib.sha256(manifest).hexdigest() == first.manifest_sha256
    assert store.latest() == published.second.snapshot_id


def test_the_bucket_holds_the_same_bytes_as_the_folder(
    published: Publications, tmp_path: Path
) -> None:
    first, in_folder = published.first, published.in_folder
    assert first.location == f"{published.store.location()}{first.snapshot_id}/"
    assert first.manifest_sha256 == in_folder.manifest_sha256
    folder = published.store.download(tmp_path, first.snapshot_id)
    assert files_of(folder) == files_of(Path(in_folder.location))
    assert len(files_of(folder)) > 100


def test_the_latest_snapshot_downloads_and_recounts_clean(
    published: Publications, tmp_path: Path
) -> None:
    published.store.download(tmp_path)
    assert (tmp_path / "latest").read_text().strip() == published.second.snapshot_id
    report = recount(tmp_path, workers=1, deep=True)  # through the latest pointer
    assert report.ok, [str(p) for p in report.problems]
    assert report.checked["signature"] == 1


def test_the_pointer_names_the_manifest_and_readers_revalidate_it(
    published: Publications, s3_client: Any
) -> None:
    store, second = published.store, published.second

    def get(name: str) -> Any:
        return s3_client.get_object(Bucket=store.bucket, Key=f"snapshots/{name}")

    pointer = json.loads(get("latest.json")["Body"].read())
    assert pointer == {"snapshot_id": second.snapshot_id, "manifest_sha256": second.manifest_sha256}
    assert get("latest")["Body"].read().decode().strip() == second.snapshot_id
    assert get("latest.json")["CacheControl"] == "no-cache"
    manifest = get(f"{second.snapshot_id}/manifest.json")
    assert manifest["ContentType"] == "application/json"
    assert "immutable" in manifest["CacheControl"]


def test_the_next_snapshot_diffs_against_the_one_in_the_bucket(published: Publications) -> None:
    store, first, second = published.store, published.first, published.second
    summary = json.loads(store.read(second.snapshot_id, "diff/summary.json") or b"{}")
    assert summary["previous"] == {
        "snapshot_id": first.snapshot_id,
        "manifest_sha256": first.manifest_sha256,
        "scope": summary["scope"],
    }
    assert summary["scope_changed"] is False
    assert summary["tps"]["changed"] > 0
    previous = store.previous("ppwp")
    assert previous is not None
    assert (previous.snapshot_id, previous.manifest_sha256) == (
        second.snapshot_id,
        second.manifest_sha256,
    )
    assert previous.table.num_rows == second.counts["tps_rows"]


def test_a_snapshot_is_never_overwritten(published: Publications) -> None:
    with pytest.raises(SnapshotExists):
        published.store.begin(published.first.snapshot_id)


def small_snapshot(store: SnapshotStore, snapshot_id: str, note: bytes = b"") -> None:
    writer = store.begin(snapshot_id)
    writer.write("data/note.txt", note or snapshot_id.encode())
    writer.write("manifest.json", json.dumps({"snapshot_id": snapshot_id}).encode())
    store.commit(snapshot_id)


def test_before_the_first_snapshot_there_is_nothing_to_read(
    connect: Connect, bucket: str, tmp_path: Path
) -> None:
    store = S3SnapshotStore(connect, bucket)
    assert store.latest() is None
    assert store.previous("ppwp") is None
    with pytest.raises(NoSnapshot):
        store.download(tmp_path)


class FailingStore(S3SnapshotStore):
    """A store whose writer fails after a number of files (a dropped connection)."""

    def __init__(self, connect: Connect, bucket: str, after: int) -> None:
        super().__init__(connect, bucket)
        self.after = after

    def begin(self, snapshot_id: str) -> S3SnapshotWriter:
        writer = super().begin(snapshot_id)
        original = writer.write
        count = [0]

        def write(path: str, data: bytes) -> FileEntry:
            count[0] += 1
            if count[0] > self.after:
                raise OSError("network down")
            return original(path, data)

        writer.write = write  # type: ignore[method-assign]
        return writer


def test_a_failed_publication_leaves_nothing_visible(
    connect: Connect, bucket: str, s3_client: Any, tmp_path: Path
) -> None:
    store = S3SnapshotStore(connect, bucket)
    small_snapshot(store, "20240220T050000Z")
    signer = load_or_create(tmp_path / "snapshot.pem")
    with pytest.raises(OSError, match="network down"):
        publish_snapshot(request_for(make_records(2)), FailingStore(connect, bucket, 30), signer)
    listed = s3_client.list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(item["Key"] for item in listed) == [
        "snapshots/20240220T050000Z/data/note.txt",
        "snapshots/20240220T050000Z/manifest.json",
        "snapshots/latest",
        "snapshots/latest.json",
    ]
    assert store.latest() == "20240220T050000Z"


def test_a_snapshot_without_a_manifest_is_never_pointed_at(connect: Connect, bucket: str) -> None:
    store = S3SnapshotStore(connect, bucket)
    writer = store.begin("20240220T060000Z")
    writer.write("data/tps-ppwp.parquet", b"half")
    with pytest.raises(NoSnapshot):
        store.commit("20240220T060000Z")
    assert store.latest() is None


def test_a_manifest_the_pointer_does_not_name_is_refused(
    connect: Connect, bucket: str, s3_client: Any, tmp_path: Path
) -> None:
    store = S3SnapshotStore(connect, bucket)
    small_snapshot(store, "20240220T060000Z")
    key = "snapshots/20240220T060000Z/manifest.json"
    s3_client.put_object(Bucket=bucket, Key=key, Body=b'{"forged": true}')
    with pytest.raises(PointerMismatch):
        store.previous("ppwp")
    with pytest.raises(PointerMismatch):
        store.download(tmp_path)


def test_paths_that_leave_the_snapshot_are_refused(
    connect: Connect, bucket: str, s3_client: Any, tmp_path: Path
) -> None:
    store = S3SnapshotStore(connect, bucket)
    writer = store.begin("20240220T060000Z")
    for path in ("../latest.json", "/etc/passwd", "a\\b", ""):
        with pytest.raises(UnsafePath):
            writer.write(path, b"x")
    with pytest.raises(ValueError, match="snapshot id"):
        store.begin("../other")
    key = "snapshots/20240220T060000Z/../../escape"
    s3_client.put_object(Bucket=bucket, Key=key, Body=b"x")
    with pytest.raises(UnsafePath):
        store.download(tmp_path / "copy", "20240220T060000Z")
    assert not (tmp_path / "escape").exists()


def test_a_folder_snapshot_uploads_and_switches(
    connect: Connect, bucket: str, tmp_path: Path
) -> None:
    folder = DirectorySnapshotStore(tmp_path / "folder")
    for number in range(2):
        small_snapshot(folder, f"2024022{number}T060000Z")
    store = S3SnapshotStore(connect, bucket)
    small_snapshot(store, "20240219T060000Z")
    location = store.upload(tmp_path / "folder" / "20240220T060000Z")
    assert (store.latest(), location) == ("20240220T060000Z", store.location("20240220T060000Z"))
    with pytest.raises(SnapshotExists):
        store.upload(tmp_path / "folder" / "20240220T060000Z")
    copy = store.download(tmp_path / "copy")
    assert files_of(copy) == files_of(tmp_path / "folder" / "20240220T060000Z")
    with pytest.raises(NoSnapshot):
        store.upload(tmp_path / "folder")  # not a snapshot: no manifest.json
    assert store.latest() == "20240220T060000Z"


def test_the_store_opens_from_an_address(s3_endpoint: str, bucket: str, tmp_path: Path) -> None:
    url = f"s3://{bucket}/public/ppwp?endpoint={s3_endpoint}&region={REGION}"
    store = S3SnapshotStore.from_url(url)  # credentials from the environment
    assert (store.bucket, store.root) == (bucket, "public/ppwp/")
    small_snapshot(store, "20240220T060000Z", b"hello")
    assert store.latest() == "20240220T060000Z"
    copy = store.download(tmp_path)
    assert (copy / "data" / "note.txt").read_bytes() == b"hello"
    assert store.location("20240220T060000Z") == f"s3://{bucket}/public/ppwp/20240220T060000Z/"


def staged(store: S3SnapshotStore, snapshot_id: str, previous: str | None) -> None:
    """A snapshot uploaded but not yet switched to, whose manifest names ``previous``."""
    writer = store.begin(snapshot_id)
    writer.write("data/note.txt", snapshot_id.encode())
    manifest = {"snapshot_id": snapshot_id, "previous": previous and {"snapshot_id": previous}}
    writer.write("manifest.json", json.dumps(manifest).encode())


def test_a_second_publication_of_an_id_being_uploaded_is_refused(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    first, second = S3SnapshotStore(connect, bucket), S3SnapshotStore(connect, bucket)
    writer = first.begin("20240220T060000Z")
    with pytest.raises(PublicationBusy, match="another publication of snapshot 20240220T060000Z"):
        second.begin("20240220T060000Z")  # before either uploads: its files would mix in
    writer.write("data/note.txt", b"first")
    body = s3_client.get_object(Bucket=bucket, Key="snapshots/20240220T060000Z/data/note.txt")
    assert body["Body"].read() == b"first"
    first.abort("20240220T060000Z")  # the id is free again
    small_snapshot(second, "20240220T060000Z")
    assert second.latest() == "20240220T060000Z"
    with pytest.raises(SnapshotExists):
        first.begin("20240220T060000Z")
    keys = [item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert not [k for k in keys if ".claims/" in k]  # released once switched to


def test_a_killed_publication_keeps_its_id_and_says_what_to_delete(
    connect: Connect, bucket: str
) -> None:
    S3SnapshotStore(connect, bucket).begin("20240220T060000Z")  # then killed: no abort
    with pytest.raises(PublicationBusy, match=r"\.claims/20240220T060000Z"):
        S3SnapshotStore(connect, bucket).begin("20240220T060000Z")
    small_snapshot(S3SnapshotStore(connect, bucket), "20240220T070000Z")  # another time works


class StaleRead(S3SnapshotStore):
    """Reads ``latest.json`` once as it was before another publication switched it: the
    moment between a publication's check of the pointer and its switch."""

    def __init__(self, connect: Connect, bucket: str) -> None:
        super().__init__(connect, bucket)
        self.stale: tuple[dict[str, Any], str | None] | None = None

    def _pointer_and_tag(self) -> tuple[dict[str, Any], str | None]:
        if self.stale is not None:
            stale, self.stale = self.stale, None
            return stale
        return super()._pointer_and_tag()


def test_a_switch_that_lost_the_race_to_another_is_refused(connect: Connect, bucket: str) -> None:
    base = S3SnapshotStore(connect, bucket)
    staged(base, "20240220T050000Z", None)
    base.commit("20240220T050000Z")
    slow, fast = StaleRead(connect, bucket), S3SnapshotStore(connect, bucket)
    staged(slow, "20240220T060000Z", "20240220T050000Z")
    staged(fast, "20240220T070000Z", "20240220T050000Z")
    slow.stale = slow._pointer_and_tag()  # read before the other switched
    fast.commit("20240220T070000Z")
    with pytest.raises(LatestMoved):
        slow.commit("20240220T060000Z")
    assert base.latest() == "20240220T070000Z"  # not sent back to a fork of the chain


class NoPlainCopy(S3SnapshotStore):
    """A bucket that refuses the plain ``latest`` copy, after ``latest.json`` switched."""

    def _put_pointer(self, name: str, data: bytes, kind: str, **condition: str) -> bool:
        if name == "latest":
            raise OSError("the bucket refused the copy")
        return super()._put_pointer(name, data, kind, **condition)


def test_a_failure_after_the_switch_is_a_warning_not_a_failed_publication(
    connect: Connect, bucket: str
) -> None:
    store = NoPlainCopy(connect, bucket)
    staged(store, "20240220T060000Z", None)
    assert store.commit("20240220T060000Z").endswith("20240220T060000Z/")
    assert store.latest() == "20240220T060000Z"
    assert len(store.warnings) == 1 and "could not be written" in store.warnings[0]


class LostAnswers(S3SnapshotStore):
    """A client whose conditional PUTs are applied but answered as if tried again (412)."""

    def _put_if(self, condition: dict[str, str], **request: Any) -> bool:
        super()._put_if(condition, **request)
        return not condition


def test_a_conditional_put_tried_again_after_a_lost_answer_is_not_a_conflict(
    connect: Connect, bucket: str
) -> None:
    store = LostAnswers(connect, bucket)
    staged(store, "20240220T050000Z", None)  # its claim "fails": it is this store's own
    store.commit("20240220T050000Z")  # and so does the switch: latest.json names it
    staged(store, "20240220T060000Z", "20240220T050000Z")
    store.commit("20240220T060000Z")
    assert store.latest() == "20240220T060000Z"
    other = S3SnapshotStore(connect, bucket)
    staged(other, "20240220T070000Z", "20240220T050000Z")
    with pytest.raises(LatestMoved, match="names 20240220T060000Z now, not 20240220T050000Z"):
        other.commit("20240220T070000Z")


def test_an_upload_stops_sending_at_the_first_failure(
    connect: Connect, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "20240220T060000Z"
    for n in range(300):
        (folder / "data").mkdir(parents=True, exist_ok=True)
        (folder / "data" / f"{n}.json").write_text("{}")
    (folder / "manifest.json").write_text('{"snapshot_id": "20240220T060000Z"}')
    sent = [0]
    original = S3SnapshotWriter.write

    def failing(self: S3SnapshotWriter, path: str, data: bytes) -> FileEntry:
        sent[0] += 1
        if sent[0] == 5:
            raise OSError("AccessDenied")
        return original(self, path, data)

    monkeypatch.setattr(S3SnapshotWriter, "write", failing)
    store = S3SnapshotStore(connect, bucket)
    with pytest.raises(OSError, match="AccessDenied"):
        store.upload(folder, threads=4)
    assert sent[0] < 50  # not the 301 files
    assert store.latest() is None
