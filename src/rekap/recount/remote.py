"""The recount of a snapshot a server publishes, from its web address.

The address is a snapshot folder's, or a publication root's with a ``latest`` pointer (as
``layout.locate`` does for folders). The manifest, its signature, ``SHA256SUMS`` and the public
key come first; then every file they list is fetched into a temporary folder, each under the
size the manifest lists (or a cap for the JSON tree's files, which it does not size) and all
under a total cap, so a hostile server cannot fill the disk. The folder recount then runs on
the copy, and its problems name the files by their addresses.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from rekap.recount.download import Progress, Wanted, fetch_all, url_of
from rekap.recount.files import parse_index
from rekap.recount.http_get import Budget, Client, HttpLimits, Outcome
from rekap.recount.layout import (
    INDEX,
    LATEST,
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    NoSnapshot,
    plain_path,
)
from rekap.recount.problems import Kind, Problem, RecountReport
from rekap.recount.run import recount

MANIFEST_CAP = 64 << 20
SIGNATURE_CAP = 64 << 10
LATEST_CAP = 4 << 10
INDEX_CAP = 1 << 30
"""For a ``SHA256SUMS`` whose size the manifest does not give (nationally: ~120 MB)."""
PATH_SAFE = "/%!$&'()*+,;=:@~"
"""What ``base_of`` leaves as it is in a path (with letters, digits and ``_.-``): the
separators, and '%' so that an address already percent-encoded is not encoded twice."""
UNLISTED_NOTE = (
    "Files on the server that SHA256SUMS does not list were not looked for: a web server "
    "gives no list of its files (download the folder and recount it for that check)."
)


@dataclass(frozen=True)
class RemoteOptions:
    connections: int = 8
    """Files fetched at a time."""
    max_bytes: int = 32 << 30
    """All files together (nationally, with the change log: ~5 GB)."""
    unsized_cap: int = 64 << 20
    """Each file the manifest does not size (the JSON tree's: a few kB each)."""
    http: HttpLimits = field(default_factory=HttpLimits)


def is_url(text: str) -> bool:
    return text[:8].lower().startswith(("http://", "https://"))


def base_of(url: str) -> str:
    """The address as a folder's (ending with '/', its path percent-encoded as a browser
    would: spaces, accents); refused as no snapshot when it cannot be one."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # a bad IPv6 address or port raises
        if host:
            host.encode("idna")  # an empty or over-long label raises
    except ValueError as error:  # UnicodeError is one
        raise NoSnapshot(f"{_shown(url)} is not a valid address ({error})") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise NoSnapshot(f"{_shown(url)} is not an http:// or https:// address")
    if parts.username is not None or parts.password is not None:
        raise NoSnapshot(f"{_shown(url)}: a snapshot's address has no user name or password")
    if not parts.netloc.isprintable() or any(c.isspace() for c in parts.netloc):
        raise NoSnapshot(f"{_shown(url)} is not a valid address (a space in the server's name)")
    if parts.query or parts.fragment:
        raise NoSnapshot(f"{_shown(url)}: a snapshot's address has no query or fragment")
    path = quote(parts.path, safe=PATH_SAFE)
    path = path if path.endswith("/") else f"{path}/"
    return f"{parts.scheme.lower()}://{parts.netloc}{path}"


def _shown(url: str) -> str:
    """An address as typed, fit for a message (control characters escaped)."""
    return url if url.isprintable() else ascii(url)[1:-1]


def recount_url(
    url: str,
    public_key: Path | None = None,
    workers: int = 2,
    deep: bool = False,
    options: RemoteOptions | None = None,
    progress: Progress | None = None,
    bulk_only: bool = False,
) -> RecountReport:
    """Fetch and recount the snapshot at ``url``; problems name files by their address.
    With ``bulk_only``, only the manifest and the files it names are fetched (the bulk data
    and the change log: nationally ~90 MB and the log, instead of every file of the JSON
    trees), and the recount leaves the trees out (``run.recount``).

    Raises ``NoSnapshot`` when the address is malformed, or holds neither a snapshot nor a
    ``latest`` pointer (or does not answer, or sends its manifest too slowly)."""
    options = options or RemoteOptions()
    base = base_of(url)
    client = Client(options.http, Budget(options.max_bytes))
    with tempfile.TemporaryDirectory(prefix="rekap-recount-") as temporary:
        folder = Path(temporary)
        try:
            snapshot = _locate(client, base, folder)
            fetched = _fetch(client, snapshot, folder, options, progress, bulk_only)
        finally:
            client.close()  # before the recount forks its workers
        if not (folder / MANIFEST).is_file() and not (folder / INDEX).is_file():
            report = RecountReport(snapshot)  # nothing to recount: each file named
        else:
            report = recount(folder, public_key, workers, deep, bulk_only=bulk_only)
        return _addressed(report, snapshot, folder, fetched, bulk_only)


def _locate(client: Client, base: str, folder: Path) -> str:
    """The snapshot's address: ``base``, or the one its ``latest`` names. ``manifest.json``
    is left in ``folder`` when it was found."""
    tried = []
    for name in (MANIFEST, INDEX):
        got = client.fetch(url_of(base, name), folder / name, _wanted(name, {}, None).cap)
        if got.outcome is Outcome.NO_ANSWER:
            raise NoSnapshot(f"{base} does not answer ({got.detail})")
        if got.outcome is Outcome.SLOW:
            raise NoSnapshot(f"{base} is too slow ({name}: {got.detail})")
        if got.outcome is not Outcome.ABSENT and got.outcome is not Outcome.FAILED:
            return base  # there, even when over its cap or cut short: named later
        tried.append(f"{name}: {got.detail}")
    got = client.fetch(url_of(base, LATEST), folder / LATEST, LATEST_CAP)
    if got.outcome is Outcome.SAVED:
        name = (folder / LATEST).read_bytes().decode("ascii", "replace").strip().strip("/")
        (folder / LATEST).unlink()
        if not name.isprintable() or not plain_path(name):
            raise NoSnapshot(f"{base}{LATEST} names {name!r}, not a snapshot folder")
        return f"{base}{quote(name)}/"
    tried.append(f"{LATEST}: {got.detail or got.outcome.value}")
    raise NoSnapshot(f"{base} holds no snapshot ({'; '.join(tried)})")


def _fetch(
    client: Client,
    snapshot: str,
    folder: Path,
    options: RemoteOptions,
    progress: Progress | None,
    bulk_only: bool = False,
) -> list[Problem]:
    """The manifest and what it signs first, then every listed file (with ``bulk_only``,
    every file the manifest names, ``SHA256SUMS`` and the trees left out); the problems."""
    problems = []
    if not (folder / MANIFEST).is_file():
        problems += fetch_all(client, snapshot, folder, [_wanted(MANIFEST, {}, options)], 1)
    manifest = _manifest(folder)
    listed = _sizes(manifest)
    first = [
        _wanted(name, listed, options)
        for name in (SIGNATURE, INDEX, PUBLIC_KEY)
        if not (folder / name).is_file() and not (bulk_only and name == INDEX)
    ]
    problems += fetch_all(client, snapshot, folder, first, options.connections)
    if manifest is not None:  # else the recount stops at the manifest
        paths = set(listed) - ({INDEX} if bulk_only else set())
        if (folder / INDEX).is_file() and not bulk_only:
            paths.update(path for path, _ in parse_index((folder / INDEX).read_bytes())[0])
        done = {MANIFEST, SIGNATURE, INDEX, PUBLIC_KEY}
        rest = [_wanted(p, listed, options) for p in sorted(paths - done) if plain_path(p)]
        problems += fetch_all(client, snapshot, folder, rest, options.connections, progress)
    return sorted(problems, key=lambda p: p.path)


def _manifest(folder: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _sizes(manifest: dict[str, Any] | None) -> dict[str, int]:
    """Every size the manifest gives (each file outside the JSON trees, and the index)."""
    if manifest is None:
        return {}
    sizes: dict[str, int] = {}
    files = manifest.get("files")
    for path, entry in (files if isinstance(files, dict) else {}).items():
        size = entry.get("bytes") if isinstance(entry, dict) else None
        sizes[str(path)] = size if isinstance(size, int) and size >= 0 else -1
    index = manifest.get("index")
    size = index.get("bytes") if isinstance(index, dict) else None
    if isinstance(size, int) and size >= 0:
        sizes[INDEX] = size
    return sizes


DEFAULT_CAPS = {MANIFEST: MANIFEST_CAP, SIGNATURE: SIGNATURE_CAP, INDEX: INDEX_CAP}


def _wanted(name: str, listed: dict[str, int], options: RemoteOptions | None) -> Wanted:
    """A file to fetch, with the size the manifest lists as its cap (or a default cap)."""
    size = listed.get(name, -1)
    if size >= 0:
        return Wanted(name, size, listed=True)
    unsized = (options or RemoteOptions()).unsized_cap
    return Wanted(name, DEFAULT_CAPS.get(name, unsized), listed=False)


def _addressed(
    report: RecountReport,
    snapshot: str,
    folder: Path,
    fetched: list[Problem],
    bulk_only: bool = False,
) -> RecountReport:
    """The folder recount's report with addresses for paths: a file the transfer could not
    bring is named once, by why (not also as absent from the copy)."""
    named = {p.path for p in fetched}
    kept = [p for p in report.problems if not (p.kind is Kind.MISSING and p.path in named)]
    root = str(folder)

    def address(problem: Problem) -> Problem:
        detail = problem.detail.replace(f"{root}/", snapshot).replace(root, snapshot)
        return replace(problem, path=url_of(snapshot, problem.path), detail=detail)

    return RecountReport(
        snapshot,
        [address(p) for p in (*fetched, *kept)],
        report.checked,
        report.nasional,
        report.notes if bulk_only else [*report.notes, UNLISTED_NOTE],
        report.signer,
        report.scope,
    )
