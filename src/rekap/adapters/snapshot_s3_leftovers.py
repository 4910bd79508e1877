"""What a publication killed outright leaves in a bucket, found and removed by the next one.

A publication claims its snapshot id (``<root>.claims/<id>``) before it uploads and releases
the claim once ``latest.json`` names the snapshot, or once a failure has deleted what it sent.
A claim still there is a publication under way, or one that was killed: its objects sit under
``<root><id>/`` where nothing points at them (a reader follows ``latest.json`` only), or, if it
was killed between the switch and the release, a published snapshot whose claim stayed.

A claim is **abandoned** when the process that wrote it is gone (the same host, boot and
process namespace, no such process) or it is older than ``ABANDONED_AFTER`` by the bucket's
own clock (a national upload takes well under an hour). Its snapshot is removed only when it
is certainly not published: the chain of ``previous`` from ``latest.json`` reaches the first
snapshot, or the snapshot's own previous one, without passing it. When the chain cannot be
followed, the objects stay and a warning says so; the claim of a published snapshot is only
released. The claim is first taken over with a conditional PUT on the version listed, so a
publication that claimed the id again meanwhile is never touched; and a publication checks
that its claim is still its own before it switches ``latest.json`` (``S3SnapshotStore``).
Nothing here ever fails a publication: what goes wrong is a warning.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from rekap.publish import paths
from rekap.publish.previous import named_previous

if TYPE_CHECKING:
    from rekap.adapters.snapshot_s3 import S3SnapshotStore

ABANDONED_AFTER = timedelta(hours=24)
MAX_CHAIN = 10_000
"""Snapshots followed back from ``latest.json`` at most (a week of one every minute)."""
UNKNOWN = "?"
"""The previous snapshot of a snapshot whose manifest says nothing of it."""


def holder() -> dict[str, Any]:
    """Who writes a claim: the host, its boot, the process namespace and the process (a
    process is judged gone only by a claim of the same host, boot and namespace)."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as boot:
            boot_id = boot.read().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        boot_id, namespace = "", 0
    return {"host": platform.node(), "boot": boot_id, "pidns": namespace, "pid": os.getpid()}


class ClaimLost(OSError):
    """A snapshot's claim that is another publication's now, found while deleting."""


@dataclass(frozen=True)
class Claim:
    snapshot_id: str
    holder: dict[str, Any]
    written: datetime
    etag: str


def claims(store: S3SnapshotStore, prefix: str) -> tuple[list[Claim], datetime]:
    """Every claim under ``prefix`` (``<root>.claims/``) with the version read, and the
    bucket's time (its ``Date``; this machine's when it gives none). Keys that name no
    snapshot id (a folder marker) are not claims."""
    found: list[Claim] = []
    now: datetime | None = None
    pages = store.client().get_paginator("list_objects_v2")
    for page in pages.paginate(Bucket=store.bucket, Prefix=prefix):
        now = now or _server_time(page)
        for item in page.get("Contents", ()):
            snapshot_id = str(item["Key"])[len(prefix) :]
            if not store.names_a_snapshot(snapshot_id):
                continue
            read = store.get_with_tag(str(item["Key"]))
            if read is None or read[1] != item.get("ETag"):
                continue  # released or written again since it was listed: judged next time
            body, etag = read
            found.append(Claim(snapshot_id, _holder(body), _aware(item["LastModified"]), etag))
    return found, now or datetime.now(UTC)


def _server_time(page: Any) -> datetime | None:
    try:
        found = parsedate_to_datetime(page["ResponseMetadata"]["HTTPHeaders"]["date"])
    except (KeyError, TypeError, ValueError):
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _holder(body: bytes) -> dict[str, Any]:
    try:
        found = json.loads(body)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC) + ABANDONED_AFTER  # a store that does not say: never old enough


def abandoned(claim: Claim, now: datetime, here: dict[str, Any]) -> bool:
    """Whether the publication that wrote ``claim`` is certainly over."""
    if now - claim.written > ABANDONED_AFTER:
        return True
    theirs = claim.holder
    same_place = all(theirs.get(k) == here[k] for k in ("host", "boot", "pidns"))
    pid = theirs.get("pid")
    return same_place and bool(here["boot"]) and type(pid) is int and pid > 0 and not _running(pid)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):  # another user's, or no such number: kept
        return True
    return True


def published(store: S3SnapshotStore, snapshot_id: str, its_previous: str | None) -> bool | None:
    """Whether ``latest.json`` or a snapshot before it (following ``previous``) is
    ``snapshot_id``: True, False, or None when the chain breaks first. The walk stops at the
    snapshot's own previous one (``its_previous``; ``UNKNOWN`` when not known): a snapshot is
    published only while ``latest.json`` names its previous one, so a chain that reaches that
    one without passing the snapshot never will."""
    current = store.pointer().get("snapshot_id")
    for _ in range(MAX_CHAIN):
        if current == snapshot_id:
            return True
        if current is None or (its_previous != UNKNOWN and current == its_previous):
            return False
        manifest = store.read(str(current), paths.MANIFEST_FILE)
        if manifest is None:
            return None
        names, current = named_previous(manifest)
        if not names:
            return None
    return None


def remove_abandoned(store: S3SnapshotStore, prefix: str) -> list[str]:
    """Remove what abandoned publications left; returns what was removed, in words (what
    could not be decided or done is added to ``store.warnings``)."""
    removed: list[str] = []
    try:
        listed, now = claims(store, prefix)
    except Exception as error:
        store.warnings.append(f"the claims in {store.location()} could not be read ({error})")
        return removed
    here = holder()
    for claim in listed:
        try:
            done = _reap(store, claim) if abandoned(claim, now, here) else None
        except Exception as error:
            store.warnings.append(
                f"what a killed publication left under snapshot id {claim.snapshot_id} could "
                f"not be removed ({error}): it stays, and its claim with it"
            )
            continue
        if done:
            removed.append(done)
    return removed


def _reap(store: S3SnapshotStore, claim: Claim) -> str | None:
    manifest = store.read(claim.snapshot_id, paths.MANIFEST_FILE)
    its_previous: str | None = UNKNOWN
    if manifest is not None:
        names, before = named_previous(manifest)
        its_previous = before if names else UNKNOWN
    state = published(store, claim.snapshot_id, its_previous)
    if state is None:
        store.warnings.append(
            f"{store.location(claim.snapshot_id)} was left by a publication killed before "
            f"it released its claim, and the chain of snapshots from {store.root}latest.json "
            "cannot be followed to tell whether it was published: left as it is"
        )
        return None
    if claim.holder.get("switching") and not state:
        # killed while switching latest.json: it may have been switched to, and switched
        # away from by hand since; its objects are never removed
        store.warnings.append(
            f"{store.location(claim.snapshot_id)} was left by a publication killed while it "
            "switched latest.json: left as it is (remove it by hand if it was never published)"
        )
        return None
    mine = store.take_over_claim(claim.snapshot_id, claim.etag)
    if mine is None:
        return None  # claimed again meanwhile, or released: not ours to touch
    if state:
        store.release_claim_of(claim.snapshot_id, [mine])  # published; only its claim stayed
        return None
    try:
        count = store.delete_snapshot_objects(claim.snapshot_id, [mine])
    except ClaimLost as lost:
        store.warnings.append(f"{store.location(claim.snapshot_id)}: {lost}")
        return None
    store.release_claim_of(claim.snapshot_id, [mine])
    host = claim.holder.get("host") or "an unknown host"
    return (
        f"{store.location(claim.snapshot_id)} ({count:,} objects, never published; claimed "
        f"{claim.written:%Y-%m-%d %H:%M} UTC by {host})"
    )
