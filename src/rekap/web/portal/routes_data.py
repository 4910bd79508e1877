"""Open data: the published snapshots (served read-only) and how to recount them yourself."""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse

from rekap.rules.registry import ALL_RULES
from rekap.web.access import PUBLIC
from rekap.web.portal.anomalies import rule_title
from rekap.web.portal.page_errors import PageNotFound
from rekap.web.portal.rendering import render, request_lang, words_of
from rekap.web.portal.state import Portal, portal_of

router = APIRouter(dependencies=[Depends(PUBLIC)], include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
LATEST = "latest"


@dataclass(frozen=True, slots=True)
class SnapshotFile:
    path: str
    size: int


def latest_snapshot(root: Path) -> str | None:
    pointer = root / LATEST
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="ascii").strip()
    return name if name and (root / name).is_dir() else None


def snapshot_files(root: Path, snapshot: str) -> list[SnapshotFile]:
    """The files at the top of a snapshot and its bulk data (the JSON tree is left out: a
    national snapshot holds a million documents; SHA256SUMS lists every one)."""
    folder = root / snapshot
    found = [p for p in folder.iterdir() if p.is_file()]
    if (folder / "data").is_dir():
        found += [p for p in (folder / "data").iterdir() if p.is_file()]
    return [
        SnapshotFile(p.relative_to(folder).as_posix(), p.stat().st_size)
        for p in sorted(found)
        if not p.name.startswith(".")
    ]


def signing_key_id(root: Path, snapshot: str) -> str | None:
    """The id of the key that signed a snapshot, as its manifest names it (None when the
    manifest does not say: the page then leaves the id out). A manifest is parsed once per
    version of its file (its device, inode, size and modification time), not per visit."""
    path = root / snapshot / "manifest.json"
    try:
        stat = path.stat()
    except OSError:
        return None
    return _key_id_of(str(path), (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns))


@lru_cache(maxsize=8)
def _key_id_of(path: str, identity: tuple[int, int, int, int]) -> str | None:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return key_id_in(data)


def key_id_in(manifest: bytes) -> str | None:
    """The signing key's id in a manifest's bytes, when it names one that is plain text."""
    try:
        parsed = json.loads(manifest)
    except (ValueError, RecursionError):
        return None
    key = parsed.get("key") if isinstance(parsed, dict) else None
    key_id = key.get("key_id") if isinstance(key, dict) else None
    if isinstance(key_id, str) and key_id.isascii() and key_id.isalnum():
        return key_id
    return None


@router.get("/data")
def open_data(request: Request, portal: PortalDep) -> Response:
    root = portal.settings.snapshots
    snapshot = latest_snapshot(root)
    files = snapshot_files(root, snapshot) if snapshot else []
    lang = request_lang(request)
    rules = [(r.id, r.severity.value, rule_title(r.id, lang)) for r in ALL_RULES]
    context = {
        "title": words_of(request)("open_data"),
        "snapshot": snapshot,
        "files": files,
        "rules": rules,
        # the address `rekap recount` fetches a snapshot from (it follows `latest`)
        "snapshots_url": str(request.url_for("snapshot_file", path="")),
        "key_id": signing_key_id(root, snapshot) if snapshot else None,
    }
    return render(request, "data.html", context, cache="public, max-age=60")


@router.get("/data/snapshots/{path:path}")
def snapshot_file(path: str, portal: PortalDep) -> Response:
    """A file of a published snapshot, exactly as signed (never changed once written)."""
    root = portal.settings.snapshots.resolve()
    if "\x00" in path:
        raise PageNotFound(path)
    if path == LATEST:
        target = root / LATEST
        cache = "no-cache"
    else:
        target = (root / path).resolve()
        cache = "public, max-age=31536000, immutable"
    try:
        found = target.is_file()
    except OSError:  # a name too long for the file system, ...
        found = False
    if root not in target.parents or not found or target.name.startswith("."):
        raise PageNotFound(path)
    if any(part.startswith(".") for part in target.relative_to(root).parts):
        raise PageNotFound(path)
    return FileResponse(
        target, media_type=media_type(target.name), headers={"Cache-Control": cache}
    )


MEDIA_BY_SUFFIX = {
    ".gz": "application/gzip",  # served as stored: the bytes are gzip, no Content-Encoding
    ".parquet": "application/vnd.apache.parquet",
    ".jsonl": "application/x-ndjson",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".pem": "text/plain; charset=utf-8",  # a public key, to read or save
    ".sig": "application/octet-stream",  # a raw Ed25519 signature, not a PGP one
}
TEXT_FILES = frozenset({LATEST, "SHA256SUMS"})


def media_type(name: str) -> str:
    """What a snapshot's file is, by its name (``mimetypes`` called a ``.csv.gz`` CSV text and
    the signature a PGP one)."""
    if name in TEXT_FILES:
        return "text/plain; charset=utf-8"
    suffix = name[name.rfind(".") :] if "." in name else ""
    return (
        MEDIA_BY_SUFFIX.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
