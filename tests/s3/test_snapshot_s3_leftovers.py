"""What a publication killed outright leaves in a bucket: the next publication removes a
snapshot that was never published, releases the claim of one that was, leaves alone what a
running publication or an unfollowable chain of snapshots keeps, and says what it did."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from rekap.adapters import snapshot_s3
from rekap.adapters import snapshot_s3_leftovers as leftovers
from rekap.adapters.snapshot_dir import PublicationBusy
from rekap.adapters.snapshot_s3 import S3SnapshotStore
from rekap.adapters.snapshot_s3_leftovers import holder
from rekap.adapters.snapshot_staged import StagedBucketStore
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
    """The claim of ``snapshot_id`` as a publication of this machine (or of ``host``) whose
    process has died left it."""
    body = {"snapshot_id": snapshot_id, **holder(), "pid": dead_pid()}
    if host:
        body["host"] = host
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
    killed_during_upload(connect, s3_client, bucket, False, None)  # no manifest up yet
    later = S3SnapshotStore(connect, bucket)
    publish(later, NEXT, FIRST)
    assert later.removed == []
    assert any("cannot be followed" in w and KILLED in w for w in later.warnings)
    assert f"snapshots/{KILLED}/data/note.txt" in keys(s3_client, bucket)


def test_the_snapshot_latest_names_is_never_removed(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    store = S3SnapshotStore(connect, bucket)
    publish(store, FIRST, None)
    publish(store, KILLED, FIRST)
    s3_client.delete_object(Bucket=bucket, Key=f"snapshots/{KILLED}/manifest.json")  # lost
    claimed_by_the_dead(s3_client, bucket, KILLED)  # killed between the switch and the release
    later = S3SnapshotStore(connect, bucket)
    later.begin(NEXT)
    assert later.removed == []
    assert f"snapshots/{KILLED}/data/note.txt" in keys(s3_client, bucket)


def test_a_publication_that_claimed_the_id_again_meanwhile_is_never_touched(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed_during_upload(connect, s3_client, bucket, False, None)
    slow, quick = S3SnapshotStore(connect, bucket), S3SnapshotStore(connect, bucket)
    judged = leftovers.abandoned
    started: list[bool] = []

    def judge_slowly(claim: Any, now: Any, here: Any) -> bool:
        if not started:  # between the slow one's listing and its acting: the quick one
            started.append(True)
            writer = quick.begin(KILLED)  # clears the killed upload, claims the id again
            writer.write("data/note.txt", b"a running upload")
        return judged(claim, now, here)

    monkeypatch.setattr(leftovers, "abandoned", judge_slowly)
    slow.clean_up()
    assert slow.removed == [] and len(quick.removed) == 1
    assert quick.read(KILLED, "data/note.txt") == b"a running upload"
    assert f"snapshots/.claims/{KILLED}" in keys(s3_client, bucket)


def stalled_a_day(
    connect: Connect, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[S3SnapshotStore, S3SnapshotStore, Any]:
    """A published first snapshot, and a publication of the next that has uploaded a file
    and stalled for over a day (every claim is old enough to be judged abandoned)."""
    store = S3SnapshotStore(connect, bucket)
    publish(store, FIRST, None)
    stalled = S3SnapshotStore(connect, bucket)
    writer = stalled.begin(KILLED)
    writer.write("data/note.txt", b"half")
    monkeypatch.setattr(leftovers, "ABANDONED_AFTER", timedelta(seconds=-1))
    return store, stalled, writer


def test_a_publication_whose_claim_was_taken_over_does_not_switch(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, stalled, writer = stalled_a_day(connect, bucket, monkeypatch)
    other = S3SnapshotStore(connect, bucket)
    other.clean_up()
    assert len(other.removed) == 1
    writer.write("manifest.json", manifest(KILLED, FIRST))  # the stalled one wakes up
    with pytest.raises(PublicationBusy, match="not this publication's"):
        stalled.commit(KILLED)
    assert store.latest() == FIRST


def test_keys_that_name_no_snapshot_are_not_claims(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("snapshots/.claims/", "snapshots/.claims/a/b", "snapshots/.claims/.hidden"):
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"")
    monkeypatch.setattr(leftovers, "ABANDONED_AFTER", timedelta(seconds=-1))  # all old
    store = S3SnapshotStore(connect, bucket)
    publish(store, NEXT, None)
    assert store.removed == [] and store.warnings == []


def test_objects_that_could_not_be_deleted_keep_their_claim(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    killed_during_upload(connect, s3_client, bucket, False, None)
    store = S3SnapshotStore(connect, bucket)
    real = store.client()

    class Refusing:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def delete_objects(self, **request: Any) -> dict[str, Any]:
            objects = request["Delete"]["Objects"]
            return {"Errors": [{"Key": o["Key"], "Code": "AccessDenied"} for o in objects]}

    store.client = lambda: Refusing()  # type: ignore[method-assign,assignment,return-value]
    store.clean_up()
    assert store.removed == []
    assert any("could not be deleted" in w for w in store.warnings)
    assert f"snapshots/.claims/{KILLED}" in keys(s3_client, bucket)


def test_publishing_the_killed_id_again_through_a_folder_clears_it_first(
    connect: Connect, bucket: str, s3_client: Any, tmp_path: Any
) -> None:
    publish(S3SnapshotStore(connect, bucket), FIRST, None)
    killed_during_upload(connect, s3_client, bucket, True, FIRST)  # its manifest up already
    staged = StagedBucketStore(S3SnapshotStore(connect, bucket), tmp_path)
    staged.begin(KILLED)  # not refused as existing: the killed upload is cleared first
    assert len(staged.removed) == 1
    staged.abort(KILLED)


def test_the_chain_is_followed_no_further_than_the_snapshots_own_previous(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    store = S3SnapshotStore(connect, bucket)
    ids = [f"2024022{day}T000000Z" for day in range(1, 9)]
    for before, snapshot_id in zip([None, *ids], ids, strict=False):
        publish(store, snapshot_id, before)
    killed = "20240229T000000Z"
    writer = S3SnapshotStore(connect, bucket).begin(killed)
    writer.write("manifest.json", manifest(killed, ids[-2]))  # compared with an older one
    claimed_by_the_dead(s3_client, bucket, killed)
    read: list[str] = []
    later = S3SnapshotStore(connect, bucket)
    original = later.read

    def counted(snapshot_id: str, path: str) -> bytes | None:
        read.append(snapshot_id)
        return original(snapshot_id, path)

    later.read = counted  # type: ignore[method-assign]
    later.clean_up()
    assert len(later.removed) == 1
    assert read == [killed, ids[-1]]  # its own manifest, then the latest's: its previous reached


def test_a_claim_written_again_after_it_was_listed_is_judged_next_time(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    claimed_by_the_dead(s3_client, bucket, KILLED, host="another-machine")
    monkeypatch.setattr(leftovers, "ABANDONED_AFTER", timedelta(seconds=-1))  # old by age
    slow, quick = S3SnapshotStore(connect, bucket), S3SnapshotStore(connect, bucket)
    read = slow.get_with_tag
    started: list[bool] = []

    def read_late(key: str) -> Any:
        if not started:  # between the listing and the read: the id reaped and claimed again
            started.append(True)
            quick.begin(KILLED).write("data/note.txt", b"a running upload")
        return read(key)

    monkeypatch.setattr(slow, "get_with_tag", read_late)
    slow.clean_up()
    assert slow.removed == []
    assert quick.read(KILLED, "data/note.txt") == b"a running upload"


def test_a_publication_killed_while_switching_keeps_its_objects(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    store = S3SnapshotStore(connect, bucket)
    publish(store, FIRST, None)
    publish(store, KILLED, FIRST)
    # its claim stayed, marked as switching; then latest.json was rolled back by hand
    body = {"snapshot_id": KILLED, **holder(), "pid": dead_pid(), "switching": True}
    claim = f"snapshots/.claims/{KILLED}"
    s3_client.put_object(Bucket=bucket, Key=claim, Body=json.dumps(body).encode())
    s3_client.put_object(
        Bucket=bucket, Key="snapshots/latest.json", Body=json.dumps({"snapshot_id": FIRST}).encode()
    )
    later = S3SnapshotStore(connect, bucket)
    later.clean_up()
    assert later.removed == [] and any("while it switched" in w for w in later.warnings)
    assert later.read(KILLED, "data/note.txt") == KILLED.encode()


def test_a_reaper_between_a_commits_read_and_its_switch_never_leaves_latest_dangling(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, stalled, writer = stalled_a_day(connect, bucket, monkeypatch)
    writer.write("manifest.json", manifest(KILLED, FIRST))
    reaper = S3SnapshotStore(connect, bucket)
    read = stalled.get_with_tag

    def reaped_meanwhile(key: str) -> Any:
        found = read(key)
        if ".claims/" in key:  # the commit has read its claim: the reaper runs now
            reaper.clean_up()
        return found

    monkeypatch.setattr(stalled, "get_with_tag", reaped_meanwhile)
    with pytest.raises(PublicationBusy):
        stalled.commit(KILLED)
    assert store.latest() == FIRST


def test_a_claim_with_an_impossible_process_number_fails_nothing(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    body = {"snapshot_id": KILLED, **holder(), "pid": 2**70}
    claim = f"snapshots/.claims/{KILLED}"
    s3_client.put_object(Bucket=bucket, Key=claim, Body=json.dumps(body).encode())
    s3_client.put_object(Bucket=bucket, Key="snapshots/.claims/latest.json", Body=b"{}")
    store = S3SnapshotStore(connect, bucket)
    publish(store, NEXT, None)
    assert store.removed == [] and store.latest() == NEXT


def staged(store: S3SnapshotStore, snapshot_id: str, previous: str | None) -> None:
    writer = store.begin(snapshot_id)
    writer.write("data/note.txt", snapshot_id.encode())
    writer.write("manifest.json", manifest(snapshot_id, previous))


def test_a_switch_whose_answer_was_lost_is_published_and_never_removed(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    """The switch is applied but its answer lost; another publication switches on top of it
    before the client tries again (412): it was published all the same."""
    publish(S3SnapshotStore(connect, bucket), FIRST, None)
    mine, other = S3SnapshotStore(connect, bucket), S3SnapshotStore(connect, bucket)
    staged(mine, KILLED, FIRST)
    staged(other, NEXT, KILLED)
    put = mine._put_pointer

    def answer_lost(name: str, data: bytes, kind: str, **condition: str) -> bool:
        done = put(name, data, kind, **condition)
        if name == "latest.json":
            other.commit(NEXT)
            return False  # what the client's second try is answered
        return done

    mine._put_pointer = answer_lost  # type: ignore[method-assign]
    mine.commit(KILLED)  # not a failure
    assert mine.latest() == NEXT
    assert mine.read(KILLED, "manifest.json") is not None
    assert not [k for k in keys(s3_client, bucket) if ".claims/" in k]


def test_an_abort_never_touches_what_a_reaper_freed_for_another(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, stalled, _ = stalled_a_day(connect, bucket, monkeypatch)
    reaper, other = S3SnapshotStore(connect, bucket), S3SnapshotStore(connect, bucket)
    read = stalled.get_with_tag
    started: list[bool] = []

    def reaped_meanwhile(key: str) -> Any:
        found = read(key)
        if ".claims/" in key and not started:  # the abort has read its claim: others run
            started.append(True)
            reaper.clean_up()
            other.begin(KILLED).write("data/note.txt", b"another upload")
        return found

    monkeypatch.setattr(stalled, "get_with_tag", reaped_meanwhile)
    stalled.abort(KILLED)
    assert len(reaper.removed) == 1
    assert other.read(KILLED, "data/note.txt") == b"another upload"
    assert f"snapshots/.claims/{KILLED}" in keys(s3_client, bucket)


def test_a_store_that_did_not_begin_a_snapshot_neither_switches_nor_removes_it(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    publish(S3SnapshotStore(connect, bucket), FIRST, None)
    running = S3SnapshotStore(connect, bucket)
    staged(running, KILLED, FIRST)
    stranger = S3SnapshotStore(connect, bucket)
    stranger.abort(KILLED)
    with pytest.raises(PublicationBusy, match="begun elsewhere"):
        stranger.commit(KILLED)
    assert running.read(KILLED, "data/note.txt") == KILLED.encode()
    running.commit(KILLED)
    assert running.latest() == KILLED


def test_a_mark_applied_whose_answer_was_lost_is_still_the_publications_own(
    connect: Connect, bucket: str, s3_client: Any
) -> None:
    publish(S3SnapshotStore(connect, bucket), FIRST, None)
    mine = S3SnapshotStore(connect, bucket)
    staged(mine, KILLED, FIRST)
    put = mine._put_if

    def applied_then_lost(condition: dict[str, str], **request: Any) -> bool:
        put(condition, **request)
        if ".claims/" in request["Key"] and "IfMatch" in condition:
            raise OSError("the connection reset after the PUT was applied")
        return True

    mine._put_if = applied_then_lost  # type: ignore[method-assign]
    with pytest.raises(OSError, match="connection reset"):
        mine.commit(KILLED)
    del mine._put_if  # the bucket answers again
    mine.abort(KILLED)
    assert mine.warnings == []
    assert not [k for k in keys(s3_client, bucket) if KILLED in k]


def test_a_switch_applied_whose_answer_was_lost_is_reported_as_published(
    connect: Connect, bucket: str, s3_client: Any, tmp_path: Any
) -> None:
    publish(S3SnapshotStore(connect, bucket), FIRST, None)
    folder = tmp_path / KILLED
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "note.txt").write_bytes(b"x")
    (folder / "manifest.json").write_bytes(manifest(KILLED, FIRST))
    mine = S3SnapshotStore(connect, bucket)
    put, read = mine._put_pointer, mine._pointer_and_tag
    lost: list[bool] = []
    failed_read: list[bool] = []

    def answer_lost(name: str, data: bytes, kind: str, **condition: str) -> bool:
        done = put(name, data, kind, **condition)
        if name == "latest.json":
            lost.append(True)
            raise OSError("the connection reset after the PUT was applied")
        return done

    def read_once_failing() -> Any:
        if lost and not failed_read:  # the check right after fails too
            failed_read.append(True)
            raise OSError("a passing read error")
        return read()

    mine._put_pointer = answer_lost  # type: ignore[method-assign]
    mine._pointer_and_tag = read_once_failing  # type: ignore[method-assign]
    assert mine.upload(folder) == mine.location(KILLED)  # published, and said so
    assert mine.latest() == KILLED and mine.read(KILLED, "manifest.json") is not None
    assert any("it is published" in w for w in mine.warnings)
    assert not [k for k in keys(s3_client, bucket) if ".claims/" in k]


def _freed_and_claimed_again(connect: Connect, bucket: str) -> S3SnapshotStore:
    """A day has passed: a reaper frees the id, and another publication of it begins and
    uploads. Returns that publication's store."""
    S3SnapshotStore(connect, bucket).clean_up()
    other = S3SnapshotStore(connect, bucket)
    other.begin(KILLED).write("data/note.txt", b"another upload")
    return other


def _left_to_the_other(
    stalled: S3SnapshotStore, others: list[S3SnapshotStore], s3_client: Any, bucket: str, said: str
) -> None:
    """The stalled deletion stopped with a warning (``said``); the later publication's
    upload and claim are whole."""
    assert any(said in warning for warning in stalled.warnings), stalled.warnings
    assert others[0].read(KILLED, "data/note.txt") == b"another upload"
    assert f"snapshots/.claims/{KILLED}" in keys(s3_client, bucket)


def test_an_abort_that_stalls_before_deleting_leaves_a_later_publication_alone(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, stalled, _ = stalled_a_day(connect, bucket, monkeypatch)
    delete = stalled.delete_snapshot_objects
    others: list[S3SnapshotStore] = []

    def after_a_day(snapshot_id: str, claims: Any) -> int:  # marked aborting, then a day
        others.append(_freed_and_claimed_again(connect, bucket))
        return delete(snapshot_id, claims)

    monkeypatch.setattr(stalled, "delete_snapshot_objects", after_a_day)
    stalled.abort(KILLED)
    _left_to_the_other(stalled, others, s3_client, bucket, "0 of its 1 objects were deleted")


def test_a_deletion_that_stalls_between_batches_stops_when_its_claim_is_taken(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, stalled, writer = stalled_a_day(connect, bucket, monkeypatch)
    writer.write("data/other.txt", b"half")
    monkeypatch.setattr(snapshot_s3, "DELETE_BATCH", 1)
    read = stalled.get
    claim_reads: list[str] = []
    others: list[S3SnapshotStore] = []

    def a_day_after_the_first_batch(key: str) -> Any:
        if ".claims/" in key:
            claim_reads.append(key)
            if len(claim_reads) == 2:  # the first batch is deleted: a day passes
                others.append(_freed_and_claimed_again(connect, bucket))
        return read(key)

    monkeypatch.setattr(stalled, "get", a_day_after_the_first_batch)
    stalled.abort(KILLED)  # no failure: a warning says what was left, and why
    _left_to_the_other(stalled, others, s3_client, bucket, "1 of its 2 objects were deleted")


def test_a_deletion_that_stalls_while_listing_deletes_nothing_of_a_later_one(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, stalled, _ = stalled_a_day(connect, bucket, monkeypatch)
    listing = stalled._keys
    others: list[S3SnapshotStore] = []

    def then_a_day(prefix: str) -> Any:
        found = list(listing(prefix))
        if KILLED in prefix:
            others.append(_freed_and_claimed_again(connect, bucket))
        return iter(found)

    monkeypatch.setattr(stalled, "_keys", then_a_day)
    stalled.abort(KILLED)
    _left_to_the_other(stalled, others, s3_client, bucket, "0 of its 1 objects were deleted")


def test_a_reaper_neither_switches_to_nor_aborts_what_it_took_over(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _, writer = stalled_a_day(connect, bucket, monkeypatch)
    writer.write("manifest.json", manifest(KILLED, FIRST))
    reaper = S3SnapshotStore(connect, bucket)
    listed = s3_client.head_object(Bucket=bucket, Key=f"snapshots/.claims/{KILLED}")
    assert reaper.take_over_claim(KILLED, listed["ETag"]) is not None
    with pytest.raises(PublicationBusy, match="begun elsewhere"):
        reaper.commit(KILLED)
    reaper.abort(KILLED)  # not its own publication: nothing removed
    assert reaper.read(KILLED, "data/note.txt") == b"half"
    assert store.latest() == FIRST


def test_a_reaper_deletes_in_batches_while_its_claim_stands(
    connect: Connect, bucket: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, writer = stalled_a_day(connect, bucket, monkeypatch)
    writer.write("data/other.txt", b"half")
    monkeypatch.setattr(snapshot_s3, "DELETE_BATCH", 1)
    reaper = S3SnapshotStore(connect, bucket)
    reaper.clean_up()
    assert len(reaper.removed) == 1 and "3 objects" not in reaper.removed[0]
    assert "2 objects" in reaper.removed[0]
    assert not [k for k in keys(s3_client, bucket) if KILLED in k]
