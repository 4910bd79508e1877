"""The manifest: what a snapshot holds and reflects, signed with Ed25519.

``SHA256SUMS`` lists the SHA-256 of every file of the snapshot (``sha256sum -c`` reads it)
except itself, ``manifest.json`` and ``manifest.sig``; the manifest names the hash of
``SHA256SUMS`` and, for convenience, of every file outside the JSON trees. ``manifest.sig``
is the base64 Ed25519 signature of the exact bytes of ``manifest.json``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping

from rekap.publish.encode import dump_pretty
from rekap.publish.paths import INDEX_FILE
from rekap.publish.ports import FileEntry, Signer
from rekap.publish.records import LogHead

FORMAT = "rekap-snapshot/2"
"""`/2`: the snapshot carries the change log up to its head (`log/`); `/1` snapshots, made
before, name a head without carrying the log."""
TREE_PREFIXES = ("wilayah/", "pemilu/", "rekap/")


def sha256_index(entries: Iterable[tuple[str, str, int]]) -> bytes:
    """``<sha256>  <path>`` per line, sorted by path (the format of ``sha256sum``)."""
    return "".join(f"{sha}  {path}\n" for path, sha, _ in sorted(entries)).encode("utf-8")


def build_manifest(
    *,
    snapshot_id: str,
    created_at: str,
    contest: str,
    scope: tuple[str, ...],
    log_head: LogHead | None,
    previous: Mapping[str, str] | None,
    signer: Signer,
    index: FileEntry,
    entries: Iterable[FileEntry],
    files: int,
    counts: Mapping[str, int],
) -> bytes:
    """The manifest; ``entries`` are the files outside the JSON trees, ``files`` counts all."""
    listed = {
        e.path: {"sha256": e.sha256, "bytes": e.size}
        for e in sorted(entries, key=lambda e: e.path)
        if not e.path.startswith(TREE_PREFIXES)
    }
    document = {
        "format": FORMAT,
        "snapshot_id": snapshot_id,
        "created_at": created_at,
        "contest": contest,
        "scope": list(scope),
        "log_head": None
        if log_head is None
        else {"sequence": log_head.sequence, "hash": log_head.hash},
        "previous": dict(previous) if previous is not None else None,
        "key": {
            "algorithm": "Ed25519",
            "key_id": signer.key_id,
            "public_key": base64.b64encode(signer.public_raw).decode("ascii"),
        },
        "counts": {**counts, "files": files},
        "index": {"path": INDEX_FILE, "sha256": index.sha256, "bytes": index.size, "files": files},
        "files": listed,
    }
    return dump_pretty(document)


def signature_file(signer: Signer, manifest: bytes) -> bytes:
    return base64.b64encode(signer.sign(manifest)) + b"\n"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
