"""What a publication killed outright leaves in a bucket, found and removed by the next one.

A publication claims its snapshot id (``<root>.claims/<id>``) before it uploads and releases
the claim once ``latest.json`` names the snapshot, or once a failure has deleted what it sent.
A claim still there is a publication under way, or one that was killed: its objects sit under
``<root><id>/`` where nothing points at them (a reader follows ``latest.json`` only), or, if it
was killed between the switch and the release, a published snapshot whose claim stayed.

A claim is **abandoned** when the process that wrote it is gone (same host, no such process)
or it is older than ``ABANDONED_AFTER`` (a national upload takes well under an hour). Its
snapshot is removed only when it is certainly not published: it has no manifest (the switch
reads the manifest back first), or the chain of ``previous`` from ``latest.json`` reaches the
first snapshot without passing it. When the chain cannot be followed to its start, the
objects stay and a warning says so; the claim of a published snapshot is simply released.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rekap.publish import paths
from rekap.publish.previous import named_previous

if TYPE_CHECKING:
    from rekap.adapters.snapshot_s3 import S3SnapshotStore

ABANDONED_AFTER = timedelta(hours=24)
MAX_CHAIN = 10_000
"""Snapshots followed back from ``latest.json`` at most (a week of one every minute)."""


@dataclass(frozen=True)
class Claim:
    snapshot_id: str
    host: str
    pid: int
    written: datetime


def claims(store: S3SnapshotStore, prefix: str) -> Iterator[Claim]:
    """Every claim under ``prefix`` (``<root>.claims/``); one that cannot be parsed is taken
    as written by no known process."""
    pages = store.client().get_paginator("list_objects_v2")
    for page in pages.paginate(Bucket=store.bucket, Prefix=prefix):
        for item in page.get("Contents", ()):
            key = str(item["Key"])
            snapshot_id = key[len(prefix) :]
            body = store.get(key) or b""
            host, pid = _holder(body)
            yield Claim(snapshot_id, host, pid, _aware(item["LastModified"]))


def _holder(body: bytes) -> tuple[str, int]:
    try:
        found: Any = json.loads(body)
        return str(found["host"]), int(found["pid"])
    except (ValueError, KeyError, TypeError):
        return "", 0


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC)  # a store that does not say: never old enough


def abandoned(claim: Claim, now: datetime, host: str) -> bool:
    """Whether the publication that wrote ``claim`` is certainly over."""
    if now - claim.written > ABANDONED_AFTER:
        return True
    return claim.host == host and claim.pid > 0 and not _running(claim.pid)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def published(store: S3SnapshotStore, snapshot_id: str) -> bool | None:
    """Whether ``latest.json`` or a snapshot before it (following ``previous``) is
    ``snapshot_id``: True, False, or None when the chain breaks before its start."""
    current = store.pointer().get("snapshot_id")
    for _ in range(MAX_CHAIN):
        if current is None:
            return False  # the first snapshot reached
        if current == snapshot_id:
            return True
        manifest = store.read(str(current), paths.MANIFEST_FILE)
        if manifest is None:
            return None
        names, current = named_previous(manifest)
        if not names:
            return None
    return None


def remove_abandoned(store: S3SnapshotStore, prefix: str, now: datetime) -> list[str]:
    """Remove what abandoned publications left; returns what was removed, in words (what
    could not be decided is added to ``store.warnings``)."""
    removed: list[str] = []
    host = os.uname().nodename
    for claim in list(claims(store, prefix)):
        if not abandoned(claim, now, host):
            continue
        has_manifest = store.read(claim.snapshot_id, paths.MANIFEST_FILE) is not None
        state = published(store, claim.snapshot_id) if has_manifest else False
        if state is None:
            store.warnings.append(
                f"{store.location(claim.snapshot_id)} was left by a publication killed before "
                f"it released its claim, and the chain of snapshots from {store.root}latest.json "
                "cannot be followed to its start to tell whether it was published: left as it is"
            )
            continue
        if state:
            store.release_claim(claim.snapshot_id)  # published; only its claim had stayed
            continue
        count = store.delete_snapshot_objects(claim.snapshot_id)
        store.release_claim(claim.snapshot_id)
        removed.append(
            f"{store.location(claim.snapshot_id)} ({count:,} objects, never published; claimed "
            f"{claim.written:%Y-%m-%d %H:%M} UTC by {claim.host or 'an unknown host'})"
        )
    return removed
