"""Snapshots in an S3-compatible bucket, the same layout as the folder (``snapshot_dir``):

    <root>latest.json        {"snapshot_id", "manifest_sha256"}: the pointer, written last
    <root>latest             the id alone, a copy for tools that read the folder layout
    <root><snapshot id>/…    a complete snapshot, never changed afterwards

A bucket has no rename, so the switch is the pointer: every file is uploaded under its final key
first (S3 PUTs are atomic per object and strongly consistent), and only then is ``latest.json``
replaced, and only while it still names the snapshot the new manifest calls ``previous``
(``LatestMoved`` otherwise). A reader that follows the pointer sees the previous snapshot or the
new one, never half of one. A failed publication deletes what it uploaded. ``download`` copies a
snapshot into a folder for ``rekap recount``. See docs/decisions/0003-object-store.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rekap.adapters.photo_s3 import MISSING, SHA256_KEY, S3Client, error_code, parse_s3_url
from rekap.adapters.snapshot_dir import (
    LATEST,
    LatestMoved,
    PublicationBusy,
    SnapshotExists,
    UnsafePath,
    plain_id,
)
from rekap.adapters.snapshot_s3_leftovers import (
    ABANDONED_AFTER,
    UNKNOWN,
    ClaimLost,
    holder,
    published,
    remove_abandoned,
)
from rekap.publish import paths
from rekap.publish.ports import FileEntry
from rekap.publish.previous import checked_previous, named_previous
from rekap.publish.records import PreviousSnapshot
from rekap.recount.layout import NoSnapshot

POINTER = "latest.json"
CLAIMS = ".claims/"
"""``<root>.claims/<id>``: written only if absent while a publication of ``<id>`` uploads, so
that a second publication of the same id is refused instead of overwriting its objects."""
CONFLICT = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
"""What a conditional PUT answers when its condition does not hold (or another conditional
PUT of the same key is in flight)."""
UNCONDITIONAL = frozenset({"NotImplemented", "InvalidArgument"})
"""What a store without conditional writes answers: the PUT is made without its condition."""
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
DELETE_BATCH = 1000
"""Objects deleted per request (the most S3's DeleteObjects takes)."""
CONTENT_TYPES = {
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".gz": "application/gzip",
    ".parquet": "application/vnd.apache.parquet",
    ".pem": "application/x-pem-file",
    ".sig": "application/octet-stream",
}


class PointerMismatch(ValueError):
    """The manifest in the bucket is not the one ``latest.json`` names."""


def content_type(path: str) -> str:
    if path == paths.INDEX_FILE:
        return "text/plain; charset=utf-8"
    return CONTENT_TYPES.get(os.path.splitext(path)[1], "application/octet-stream")


def safe_path(path: str) -> str:
    if not path or path.startswith("/") or "\\" in path or ".." in path.split("/"):
        raise UnsafePath(path)
    return path


def _check_id(snapshot_id: str) -> str:
    if not snapshot_id or "/" in snapshot_id or snapshot_id in (".", "..", POINTER, LATEST):
        raise ValueError(f"not a snapshot id: {snapshot_id!r}")
    return snapshot_id


class ClientPerProcess:
    """One client per process: a forked worker must not share its parent's connections."""

    def __init__(self, connect: Callable[[], S3Client]) -> None:
        self._connect = connect
        self._pid = -1
        self._client: S3Client = None

    def __call__(self) -> S3Client:
        if self._pid != os.getpid():
            self._client = self._connect()
            self._pid = os.getpid()
        return self._client


class S3SnapshotWriter:
    """Uploads the files of one snapshot under their final keys (nobody follows them yet)."""

    def __init__(self, client: ClientPerProcess, bucket: str, prefix: str) -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    def write(self, path: str, data: bytes) -> FileEntry:
        digest = hashlib.sha256(data).hexdigest()
        self._client().put_object(
            Bucket=self.bucket,
            Key=self.prefix + safe_path(path),
            Body=data,
            Metadata={SHA256_KEY: digest},
            ContentType=content_type(path),
            CacheControl=IMMUTABLE,
        )
        return FileEntry(path, digest, len(data))


class S3SnapshotStore:
    """The SnapshotStore port (``begin``, ``commit``, ``abort``) on a bucket, plus readers."""

    def __init__(
        self, connect: Callable[[], S3Client], bucket: str, root: str = "snapshots/"
    ) -> None:
        if root and not root.endswith("/"):
            root += "/"
        self.client = ClientPerProcess(connect)
        self.bucket = bucket
        self.root = root
        self.warnings: list[str] = []
        """What went wrong that did not fail the publication (or its failure), to be said."""
        self.removed: list[str] = []
        """What ``begin`` removed: snapshots of publications killed outright, never published
        (``snapshot_s3_leftovers``)."""
        self._claims: dict[str, list[bytes]] = {}
        """The claims this store wrote for each snapshot id it is publishing (the first, then
        each rewritten with a mark)."""
        self.published_after_all: set[str] = set()
        """Snapshots whose publication failed after the switch had been applied (its answer
        lost): ``abort`` found ``latest.json`` naming them and removed nothing."""
        self._cleaned = False

    @classmethod
    def from_url(cls, url: str) -> S3SnapshotStore:
        """``s3://bucket[/root][?endpoint=…&region=…]``; the root defaults to ``snapshots/``."""
        address = parse_s3_url(url, default_prefix="snapshots/")
        return cls(address.client, address.bucket, address.prefix)

    def _prefix(self, snapshot_id: str) -> str:
        return f"{self.root}{_check_id(snapshot_id)}/"

    def location(self, snapshot_id: str | None = None) -> str:
        """``s3://bucket/root/`` or, with an id, ``s3://bucket/root/<id>/``."""
        return f"s3://{self.bucket}/{self._prefix(snapshot_id) if snapshot_id else self.root}"

    def _keys(self, prefix: str) -> Iterator[str]:
        pages = self.client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                yield str(item["Key"])

    def get(self, key: str) -> bytes | None:
        """An object's bytes, or None when there is no such key."""
        found = self.get_with_tag(key)
        return None if found is None else found[0]

    def _put_pointer(self, name: str, data: bytes, kind: str, **condition: str) -> bool:
        return self._put_if(
            condition,
            Bucket=self.bucket,
            Key=self.root + name,
            Body=data,
            ContentType=kind,
            CacheControl=REVALIDATE,
        )

    def _put_if(self, condition: dict[str, str], **request: Any) -> bool:
        """PUT with ``condition`` (``IfNoneMatch``/``IfMatch``); False when it does not hold.
        A store that knows no conditional writes gets the PUT without it (and no protection
        against a concurrent publication beyond the checks made before)."""
        try:
            self.client().put_object(**request, **condition)
        except Exception as error:
            code = error_code(error)
            if code in CONFLICT:
                return False
            if not condition or code not in UNCONDITIONAL:
                raise
            self.client().put_object(**request)
        return True

    def names_a_snapshot(self, snapshot_id: str) -> bool:
        """Whether ``snapshot_id`` can be a snapshot's id in this store."""
        try:
            _check_id(snapshot_id)
        except ValueError:
            return False
        return plain_id(snapshot_id)

    def _claim_key(self, snapshot_id: str) -> str:
        return f"{self.root}{CLAIMS}{_check_id(snapshot_id)}"

    def clean_up(self) -> None:
        """Remove what publications killed outright left (once per store; it never fails:
        what it cannot do is a warning)."""
        if not self._cleaned:
            self._cleaned = True
            self.removed += remove_abandoned(self, self.root + CLAIMS)

    def begin(self, snapshot_id: str) -> S3SnapshotWriter:
        prefix = self._prefix(snapshot_id)
        self.clean_up()
        if next(self._keys(prefix), None) is not None:
            raise SnapshotExists(f"snapshot {snapshot_id} exists already in {self.location()}")
        mine = {"snapshot_id": snapshot_id, **holder()}
        claim = (json.dumps({**mine, "nonce": os.urandom(8).hex()}) + "\n").encode()
        claimed = self._put_if(
            {"IfNoneMatch": "*"},
            Bucket=self.bucket,
            Key=self._claim_key(snapshot_id),
            Body=claim,
            ContentType="application/json",
        )
        # a PUT the client tried again after its first answer was lost finds its own claim
        if not claimed and self.get(self._claim_key(snapshot_id)) != claim:
            raise PublicationBusy(
                f"another publication of snapshot {snapshot_id} is uploading into "
                f"{self.location()} (one killed on this machine is cleared at once, one "
                f"killed elsewhere after {ABANDONED_AFTER.total_seconds() / 3600:.0f} hours; if "
                f"none runs, delete s3://{self.bucket}/{self._claim_key(snapshot_id)} and what "
                f"is under {self.location(snapshot_id)}, or publish at another time)"
            )
        if next(self._keys(prefix), None) is not None:  # a publication that ended meanwhile
            self.release_claim(snapshot_id)
            raise SnapshotExists(f"snapshot {snapshot_id} exists already in {self.location()}")
        self._claims[snapshot_id] = [claim]
        return S3SnapshotWriter(self.client, self.bucket, prefix)

    def release_claim(self, snapshot_id: str) -> None:
        self.client().delete_object(Bucket=self.bucket, Key=self._claim_key(snapshot_id))

    def take_over_claim(self, snapshot_id: str, etag: str) -> bytes | None:
        """Replace the claim of ``snapshot_id`` by one of this process's, only if it is still
        the version ``etag`` (a conditional PUT); returns the claim written, or None when it
        changed or is gone, or when the store cannot write conditionally (a warning then:
        nothing is taken over). The store does not count the claim as one it began: it
        neither switches to nor aborts that snapshot."""
        body = {"snapshot_id": snapshot_id, "reaping": True, **holder()}
        data = (json.dumps({**body, "nonce": os.urandom(8).hex()}) + "\n").encode()
        request = {
            "Bucket": self.bucket,
            "Key": self._claim_key(snapshot_id),
            "Body": data,
            "ContentType": "application/json",
        }
        try:
            self.client().put_object(**request, IfMatch=etag)
        except Exception as error:
            code = error_code(error)
            if code in UNCONDITIONAL:
                self.warnings.append(
                    f"{self.location()} cannot write conditionally: what killed publications "
                    "left there is not removed (remove it by hand when none runs)"
                )
                return None
            if code in CONFLICT or code in MISSING:
                # refused, unless it is a PUT tried again after its first answer was lost
                return data if self.get(self._claim_key(snapshot_id)) == data else None
            raise
        return data

    def _own_claim(self, snapshot_id: str) -> str | None:
        """The ETag of the snapshot's claim while it is one this store wrote, else None (a
        store that did not begin the snapshot owns no claim of it)."""
        bodies = self._claims.get(snapshot_id)
        if not bodies:
            return None
        found = self.get_with_tag(self._claim_key(snapshot_id))
        return found[1] if found is not None and found[0] in bodies else None

    def _rewrite_claim(self, snapshot_id: str, **marks: bool) -> bool:
        """Add ``marks`` to this store's claim of the snapshot with a PUT conditional on the
        version read being its own (a reaper's take-over is conditional on the version it
        listed: of the two, one wins). False when the claim is no longer this store's. The
        new body counts as this store's before the PUT, so a PUT applied whose answer was
        lost is recognised."""
        tag = self._own_claim(snapshot_id)
        if tag is None:
            return False
        bodies = self._claims[snapshot_id]
        body = (json.dumps(json.loads(bodies[-1]) | marks) + "\n").encode()
        bodies.append(body)
        key = self._claim_key(snapshot_id)
        request = {"Bucket": self.bucket, "Key": key, "Body": body}
        try:
            written = self._put_if({"IfMatch": tag}, **request, ContentType="application/json")
        except Exception as error:
            if error_code(error) in MISSING:  # removed since it was read
                return False
            raise
        # refused, unless it is a PUT the client tried again after its first answer was lost
        return written or self.get(key) == body

    def _switch_tried(self, snapshot_id: str) -> bool:
        """Whether this store marked its claim of the snapshot as switching (``latest.json``
        may name the snapshot from then on)."""
        bodies = self._claims.get(snapshot_id, [])
        return any(json.loads(body).get("switching") for body in bodies)

    def get_with_tag(self, key: str) -> tuple[bytes, str] | None:
        """An object's bytes and ETag, or None when there is no such key."""
        try:
            response = self.client().get_object(Bucket=self.bucket, Key=key)
        except Exception as error:
            if error_code(error) in MISSING:
                return None
            raise
        data: bytes = response["Body"].read()
        return data, str(response["ETag"])

    def commit(self, snapshot_id: str) -> str:
        """Point ``latest.json`` (then ``latest``) at the snapshot, once its manifest reads back."""
        manifest = self.get(self._prefix(snapshot_id) + paths.MANIFEST_FILE)
        if manifest is None:
            raise NoSnapshot(f"{self.location(snapshot_id)} has no {paths.MANIFEST_FILE}")
        names, previous = named_previous(manifest)
        current, tag = self._pointer_and_tag()
        compared = previous or "no snapshot (the first)"
        moved = LatestMoved(
            f"{self.location()}{POINTER} names {current.get('snapshot_id') or 'nothing'} now, "
            f"not {compared}, the one this snapshot was compared with: another publication "
            "finished meanwhile"
        )
        if names and previous != current.get("snapshot_id"):
            raise moved
        if not self._rewrite_claim(snapshot_id, switching=True):
            raise PublicationBusy(
                f"the claim of snapshot {snapshot_id} in {self.location()} is not this "
                "publication's (it was begun elsewhere, or it stalled for over "
                f"{ABANDONED_AFTER.total_seconds() / 3600:.0f} hours and what it uploaded may "
                "have been removed); nothing was switched"
            )
        pointer = {"snapshot_id": snapshot_id, "manifest_sha256": _sha256(manifest)}
        # switched only if latest.json is still the one just read (its ETag): a publication
        # that finished between the read and this PUT makes it fail, not go back
        condition = ({"IfMatch": tag} if tag else {"IfNoneMatch": "*"}) if names else {}
        data = json.dumps(pointer).encode() + b"\n"
        try:
            switched = self._put_pointer(POINTER, data, "application/json", **condition)
        except Exception:
            # an answer lost after the PUT was applied: published all the same
            if published(self, snapshot_id, previous if names else UNKNOWN) is not True:
                raise
            switched = True  # (the plain copy and the claim's release follow)
        # refused, unless it is a PUT the client tried again after its first answer was lost
        # (and another publication may have switched on top of it since)
        before = previous if names else UNKNOWN
        if (
            not switched
            and self.pointer() != pointer
            and published(self, snapshot_id, before) is not True
        ):
            raise moved
        self._after_switch(snapshot_id)
        return self.location(snapshot_id)

    def _after_switch(self, snapshot_id: str) -> None:
        """The plain ``latest`` copy and the claim's release, once ``latest.json`` names the
        snapshot: it is published whatever happens here, so a failure is a warning (the copy
        is tried twice), never a failed publication."""
        for attempt in (1, 2):
            try:
                self._put_pointer(LATEST, snapshot_id.encode("ascii") + b"\n", "text/plain")
                break
            except Exception as error:
                if attempt == 2:
                    self.warnings.append(
                        f"{self.location()}{LATEST} could not be written ({error}): it still "
                        f"names the previous snapshot; {POINTER} names {snapshot_id}"
                    )
        try:
            self.release_claim(snapshot_id)
        except Exception as error:
            self.warnings.append(
                f"s3://{self.bucket}/{self._claim_key(snapshot_id)} could not be deleted "
                f"({error}): delete it by hand (it only keeps id {snapshot_id} taken)"
            )

    def abort(self, snapshot_id: str) -> None:
        """Delete what a failed publication uploaded and free its id: only while its claim is
        this store's (marked as aborting first, so no reaper takes it over meanwhile), and,
        once the switch was tried, only when ``latest.json`` and the snapshots after it
        certainly never named it (else its claim is released, or everything is left with a
        warning when that cannot be told)."""
        if not self._rewrite_claim(snapshot_id, aborting=True):
            self.warnings.append(
                f"the claim of snapshot {snapshot_id} is not this publication's: what is "
                f"under {self.location(snapshot_id)} is left to the one that holds it"
            )
            return
        if self._switch_tried(snapshot_id):
            manifest = self.get(self._prefix(snapshot_id) + paths.MANIFEST_FILE)
            names, previous = named_previous(manifest) if manifest else (False, None)
            state = published(self, snapshot_id, previous if names else UNKNOWN)
            if state is True:
                self.published_after_all.add(snapshot_id)
                self.release_claim_of(snapshot_id, self._claims[snapshot_id])
                return
            if state is None:
                self.warnings.append(
                    f"{self.location(snapshot_id)} may have been switched to before the "
                    "publication failed, and the chain of snapshots cannot tell: left as it is"
                )
                return
        mine = self._claims[snapshot_id]
        try:
            self.delete_snapshot_objects(snapshot_id, mine)
        except ClaimLost as lost:
            self.warnings.append(f"{self.location(snapshot_id)}: {lost}")
            return
        self.release_claim_of(snapshot_id, mine)

    def release_claim_of(self, snapshot_id: str, claims: Sequence[bytes]) -> None:
        """Release the snapshot's claim if it is still one of ``claims`` (read back first:
        another publication's claim of the same id is left alone)."""
        if self.get(self._claim_key(snapshot_id)) in claims:
            self.release_claim(snapshot_id)

    def delete_snapshot_objects(self, snapshot_id: str, claims: Sequence[bytes]) -> int:
        """Delete every object under the snapshot's prefix while its claim is one of
        ``claims`` (what the caller wrote: an abort's mark, a reaper's take-over); returns how
        many there were.

        The claim is read again before each batch of ``DELETE_BATCH``, the first included (a
        national listing takes a while): a deletion that stalls for over ``ABANDONED_AFTER``
        can find its claim taken over and a later publication of the same id uploading; it
        then stops (``ClaimLost``), leaving the rest to that publication."""
        keys = list(self._keys(self._prefix(snapshot_id)))
        for start in range(0, len(keys), DELETE_BATCH):
            if self.get(self._claim_key(snapshot_id)) not in claims:
                raise ClaimLost(
                    f"the claim of snapshot {snapshot_id} is another publication's now: "
                    f"{start:,} of its {len(keys):,} objects were deleted, the rest is left "
                    "to that publication"
                )
            batch = [{"Key": k} for k in keys[start : start + DELETE_BATCH]]
            answer = self.client().delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            failed = answer.get("Errors") or []
            if failed:  # a quiet delete names what it could not delete instead of raising
                first = failed[0]
                raise OSError(
                    f"{len(failed):,} objects could not be deleted, e.g. {first.get('Key')}: "
                    f"{first.get('Code')} {first.get('Message', '')}".rstrip()
                )
        return len(keys)

    def upload(self, folder: Path, threads: int = 32) -> str:
        """Publish a complete snapshot folder (written by ``DirectorySnapshotStore``) with many
        uploads at once, then switch the pointer: the fast way to a bucket at national size."""
        if not (folder / paths.MANIFEST_FILE).is_file():
            raise NoSnapshot(f"{folder} has no {paths.MANIFEST_FILE}")
        snapshot_id = folder.name
        writer = self.begin(snapshot_id)

        failed = threading.Event()

        def send(file: Path) -> None:
            if failed.is_set():  # one file failed: the others are not sent for nothing
                return
            try:
                writer.write(file.relative_to(folder).as_posix(), file.read_bytes())
            except BaseException:
                failed.set()
                raise

        try:
            with ThreadPoolExecutor(max(1, threads)) as pool:
                list(pool.map(send, (p for p in folder.rglob("*") if p.is_file())))
            return self.commit(snapshot_id)
        except Exception as error:
            try:
                self.abort(snapshot_id)
            except Exception as failure:  # the bucket away: the first error is the one to say
                self.warnings.append(
                    f"what was uploaded under {self.location(snapshot_id)} could not be "
                    f"deleted ({failure}), nor its claim"
                )
            if snapshot_id in self.published_after_all:
                self.warnings.append(
                    f"the switch to {snapshot_id} answered with an error ({error}), but "
                    f"{POINTER} names it: it is published"
                )
                return self.location(snapshot_id)
            raise
        except BaseException:  # interrupted: the abort's own checks keep what was named
            with contextlib.suppress(Exception):
                self.abort(snapshot_id)
            raise

    def pointer(self) -> dict[str, Any]:
        """What ``latest.json`` says (``{}`` before the first snapshot)."""
        return self._pointer_and_tag()[0]

    def _pointer_and_tag(self) -> tuple[dict[str, Any], str | None]:
        """What ``latest.json`` says and its ETag (``{}, None`` before the first snapshot)."""
        try:
            response = self.client().get_object(Bucket=self.bucket, Key=self.root + POINTER)
        except Exception as error:
            if error_code(error) in MISSING:
                return {}, None
            raise
        return self._parsed_pointer(response["Body"].read()), str(response["ETag"])

    def _parsed_pointer(self, data: bytes) -> dict[str, Any]:
        found = json.loads(data)
        if not isinstance(found, dict) or not isinstance(found.get("snapshot_id"), str):
            raise ValueError(f"s3://{self.bucket}/{self.root}{POINTER} is not a snapshot pointer")
        _check_id(found["snapshot_id"])
        return found

    def latest(self) -> str | None:
        """The id of the newest complete snapshot, or None."""
        found = self.pointer().get("snapshot_id")
        return str(found) if found else None

    def read(self, snapshot_id: str, path: str) -> bytes | None:
        """One file of a snapshot, or None when it has no such file."""
        return self.get(self._prefix(snapshot_id) + safe_path(path))

    def _manifest(self, pointer: dict[str, Any]) -> bytes:
        snapshot_id = str(pointer["snapshot_id"])
        manifest = self.read(snapshot_id, paths.MANIFEST_FILE)
        if manifest is None:
            raise NoSnapshot(f"latest.json names {snapshot_id}, which has no manifest")
        expected = pointer.get("manifest_sha256")
        if expected is not None and _sha256(manifest) != expected:
            raise PointerMismatch(f"the manifest of {snapshot_id} is not the one latest.json names")
        return manifest

    def previous(self, contest: str) -> PreviousSnapshot | None:
        """The latest snapshot's id, manifest hash and bulk TPS columns, for the diff, once
        its bulk file is the one its manifest lists (``PreviousAltered`` otherwise)."""
        pointer = self.pointer()
        if not pointer:
            return None
        snapshot_id = str(pointer["snapshot_id"])
        manifest = self._manifest(pointer)
        bulk = self.read(snapshot_id, paths.bulk_tps(contest, "parquet"))
        signature = self.read(snapshot_id, paths.SIGNATURE_FILE)
        return checked_previous(snapshot_id, manifest, bulk, contest, signature)

    def download(self, dest: Path, snapshot_id: str | None = None, threads: int = 16) -> Path:
        """Copy a snapshot (by default the one ``latest.json`` names) to ``dest/<id>/`` and
        write ``dest/latest``; returns the snapshot folder, ready for ``rekap recount``."""
        pointer = self.pointer()
        chosen = snapshot_id or pointer.get("snapshot_id")
        if not chosen:
            raise NoSnapshot(f"{self.location()} holds no snapshot (no {POINTER})")
        chosen = str(chosen)
        prefix = self._prefix(chosen)
        keys = (key for key in self._keys(prefix) if not key.endswith("/"))
        relative = [safe_path(key[len(prefix) :]) for key in keys]
        if not relative:
            raise NoSnapshot(f"{self.location(chosen)} holds no files")
        folder = dest / chosen
        folder.mkdir(parents=True)
        client = self.client()

        def fetch(path: str) -> None:
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            body = client.get_object(Bucket=self.bucket, Key=prefix + path)["Body"]
            with target.open("wb") as out:
                shutil.copyfileobj(body, out, 1 << 20)

        with ThreadPoolExecutor(max(1, threads)) as pool:
            list(pool.map(fetch, relative))
        named = pointer.get("manifest_sha256") if chosen == pointer.get("snapshot_id") else None
        if named is not None and _sha256_file(folder / paths.MANIFEST_FILE) != named:
            raise PointerMismatch(f"the manifest of {chosen} is not the one {POINTER} names")
        (dest / LATEST).write_text(chosen + "\n", encoding="ascii")
        return folder


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str | None:
    return _sha256(path.read_bytes()) if path.is_file() else None
