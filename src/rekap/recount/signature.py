"""The manifest's signature, and the files the manifest names with their size and hash."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from rekap.recount.folder_chain import IN_LINK, LINKED_FILE
from rekap.recount.layout import INDEX, MANIFEST, PUBLIC_KEY, SIGNATURE, plain_path, required_files
from rekap.recount.manifest_shape import shape_problem
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.truncation import looks_truncated


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_pinned_key(path: Path) -> bytes:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return _raw(key)


def unreadable(error: ValueError | RecursionError) -> str:
    """Why the manifest's bytes are no JSON, in words a reader can act on."""
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}"
    if isinstance(error, UnicodeDecodeError):
        bad = error.object[error.start : error.start + 1].hex()
        return f"not UTF-8 text: byte 0x{bad} at position {error.start}"
    if isinstance(error, RecursionError):
        return "nested beyond reason"
    return f"not JSON: {error}"


def check_manifest(
    folder: Path, report: RecountReport, pinned: bytes | None = None
) -> dict[str, Any] | None:
    """The manifest when it can be read; a bad signature is reported, not fatal."""
    path = folder / MANIFEST
    if path.is_symlink():  # never followed: the snapshot is what its folder holds
        report.add(Kind.CORRUPTED, MANIFEST, LINKED_FILE)
        return None
    if not path.is_file():
        report.add(Kind.MISSING, MANIFEST, "the snapshot has no manifest")
        return None
    data = path.read_bytes()
    try:
        manifest: dict[str, Any] = json.loads(data)
    except (ValueError, RecursionError) as error:  # nested beyond reason: not a manifest
        report.add(Kind.MANIFEST, MANIFEST, f"unreadable manifest: {unreadable(error)}")
        return None
    problem = shape_problem(manifest)
    if problem is not None:
        report.add(Kind.MANIFEST, MANIFEST, f"unreadable manifest: {problem}")
        return None
    try:
        public = base64.b64decode(manifest["key"]["public_key"], validate=True)
    except (ValueError, binascii.Error) as error:
        report.add(Kind.MANIFEST, MANIFEST, f"unreadable manifest: {error}")
        return None
    report.signer = public
    if pinned is not None and public != pinned:
        report.add(Kind.KEY, MANIFEST, "signed by another key than the one given")
        public = pinned
    signature_path = folder / SIGNATURE
    if signature_path.is_symlink():
        report.add(Kind.CORRUPTED, SIGNATURE, LINKED_FILE)
        return manifest
    if not signature_path.is_file():
        report.add(Kind.MISSING, SIGNATURE, "the manifest is not signed")
        return manifest
    try:
        signature = base64.b64decode(signature_path.read_bytes().strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
        report.checked["signature"] += 1
    except (InvalidSignature, ValueError, binascii.Error):
        report.add(Kind.SIGNATURE, SIGNATURE, "the Ed25519 signature of manifest.json fails")
    return manifest


def check_key_files(
    folder: Path, manifest: dict[str, Any], passed: set[str], report: RecountReport
) -> None:
    """``key.key_id`` (the first 16 hex digits of the SHA-256 of the raw public key) and
    ``public-key.pem`` (once it passed its hash) name the key the manifest gives
    (``report.signer``): a snapshot re-signed by another key that kept the publisher's id and
    file is named."""
    key = manifest.get("key") or {}
    public = report.signer  # the key ``check_manifest`` read from the manifest
    if public is None:
        return
    if key.get("key_id") != hashlib.sha256(public).hexdigest()[:16]:
        report.add(Kind.KEY, MANIFEST, f"key.key_id {key.get('key_id')!r} is not the signing key's")
    if PUBLIC_KEY not in passed:
        return
    try:
        pem = serialization.load_pem_public_key((folder / PUBLIC_KEY).read_bytes())
    except (ValueError, TypeError, OSError) as error:
        report.add(Kind.KEY, PUBLIC_KEY, f"not a public key: {type(error).__name__}")
        return
    if not isinstance(pem, Ed25519PublicKey) or _raw(pem) != public:
        report.add(Kind.KEY, PUBLIC_KEY, "another key than the one the manifest names")


def check_file(
    folder: Path, relative: str, sha256: str, size: int | None, report: RecountReport
) -> bool:
    """True when the file is there with the expected hash (and size, when known)."""
    path = folder / relative
    if path.is_symlink():  # never followed: the manifest signs a file, not where a link goes
        report.add(Kind.CORRUPTED, relative, LINKED_FILE)
        return False
    if _link_above(folder, relative):  # nor a folder on its path (DuckDB reads it by path)
        report.add(Kind.CORRUPTED, relative, IN_LINK)
        return False
    if not path.is_file():
        report.add(Kind.MISSING, relative, "listed but absent")
        return False
    with path.open("rb") as file:  # no more than the manifest's size and a byte
        data = file.read() if size is None else file.read(size + 1)
    if size is not None and len(data) > size:
        report.add(Kind.CORRUPTED, relative, f"larger than the {size:,} bytes the manifest says")
        return False
    if size is not None and len(data) < size:
        kind = Kind.TRUNCATED if looks_truncated(relative, data) else Kind.CORRUPTED
        report.add(kind, relative, f"{len(data):,} bytes, the manifest says {size:,}")
        return False
    if hashlib.sha256(data).hexdigest() != sha256:
        report.add(Kind.CORRUPTED, relative, "SHA-256 differs from the manifest")
        return False
    report.checked["files hashed"] += 1
    return True


def _link_above(folder: Path, relative: str) -> bool:
    """Whether a folder between the snapshot's and the file is a link."""
    parts = relative.split("/")[:-1]
    return any((folder.joinpath(*parts[: i + 1])).is_symlink() for i in range(len(parts)))


def check_listed(
    folder: Path, manifest: dict[str, Any], report: RecountReport, with_index: bool = True
) -> set[str]:
    """Check the index (unless not ``with_index``) and every file the manifest names;
    returns the paths that passed."""
    good: set[str] = set()
    index = manifest.get("index", {})
    if with_index and check_file(
        folder, INDEX, str(index.get("sha256")), index.get("bytes"), report
    ):
        good.add(INDEX)
    named = manifest.get("files", {})
    contest = str(manifest.get("contest", ""))
    for relative in required_files(contest):
        if relative not in named:
            report.add(Kind.MANIFEST, MANIFEST, f"does not name {relative}, which it must sign")
    for relative, entry in sorted(named.items()):
        if not plain_path(relative):
            report.add(Kind.MANIFEST, MANIFEST, f"lists {relative!r}: not a path in the snapshot")
            continue
        if check_file(folder, relative, str(entry.get("sha256")), entry.get("bytes"), report):
            good.add(relative)
    return good
