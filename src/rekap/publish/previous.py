"""The previous snapshot, as the diff reads it back: never trusted blindly.

The diff anchors on the previous snapshot's ``manifest.json``: the new manifest and the diff
name its SHA-256, so anyone can see which one was used. Its bulk TPS file must be the one that
manifest lists (same SHA-256 and size): a file altered, replaced or removed after publication
stops the publication (``PreviousAltered``) instead of giving a diff against numbers that were
never published. Whether the manifest itself is authentic (its signature, its key) is the
recount's question (``rekap recount``), not re-asked here.
"""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa
import pyarrow.parquet as pq

from rekap.publish import paths
from rekap.publish.records import PreviousSnapshot


class PreviousAltered(ValueError):
    """The previous snapshot's manifest or bulk file is not what was published."""


def _listed(manifest: object, path: str) -> tuple[str, int] | None:
    files = manifest.get("files") if isinstance(manifest, dict) else None
    entry = files.get(path) if isinstance(files, dict) else None
    if entry is None:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        raise PreviousAltered(f"its manifest lists {path} without a SHA-256")
    size = entry.get("bytes")
    return entry["sha256"], size if isinstance(size, int) else -1


def checked_previous(
    snapshot_id: str,
    manifest: bytes,
    bulk: bytes | None,
    contest: str,
    signature: bytes | None = None,
) -> PreviousSnapshot:
    """``PreviousSnapshot`` of the snapshot ``snapshot_id`` from its manifest's bytes and its
    bulk TPS Parquet's (None: absent), once they agree; ``PreviousAltered`` otherwise."""
    where = f"the previous snapshot {snapshot_id}"
    try:
        document = json.loads(manifest)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PreviousAltered(f"{where}: its manifest.json is not JSON") from None
    named = document.get("snapshot_id") if isinstance(document, dict) else None
    if named != snapshot_id:
        raise PreviousAltered(f"{where}: its manifest.json names snapshot {named!r}")
    path = paths.bulk_tps(contest, "parquet")
    try:
        listed = _listed(document, path)
    except PreviousAltered as error:
        raise PreviousAltered(f"{where}: {error}") from None
    if listed is None and bulk is not None:
        raise PreviousAltered(f"{where}: {path} is there, its manifest does not list it")
    if listed is not None:
        if bulk is None:
            raise PreviousAltered(f"{where}: {path}, listed in its manifest, is missing")
        sha256, size = listed
        if hashlib.sha256(bulk).hexdigest() != sha256 or size not in (-1, len(bulk)):
            raise PreviousAltered(f"{where}: {path} is not the file its manifest lists")
    table = (
        pq.read_table(pa.BufferReader(bulk))
        if bulk is not None
        else pa.table({"kode_tps": pa.array([], pa.string())})
    )
    return PreviousSnapshot(snapshot_id, manifest, table, _log_head(document), signature)


def _log_head(manifest: dict[str, object]) -> tuple[int, str] | None:
    head = manifest.get("log_head")
    if not isinstance(head, dict):
        return None
    sequence, hash_ = head.get("sequence"), head.get("hash")
    if type(sequence) is not int or not 0 < sequence < 2**63 or not isinstance(hash_, str):
        return None
    return sequence, hash_


def named_previous(manifest: bytes) -> tuple[bool, str | None]:
    """Whether a manifest being committed names its previous snapshot, and which (None: it
    says there was none). A manifest without the key (a hand-made test snapshot) names none."""
    try:
        document = json.loads(manifest)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False, None
    if not isinstance(document, dict) or "previous" not in document:
        return False, None
    previous = document["previous"]
    if isinstance(previous, dict) and isinstance(previous.get("snapshot_id"), str):
        return True, previous["snapshot_id"]
    return True, None
