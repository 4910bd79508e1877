"""`rekap recount`: the independent check of a published snapshot.

It imports only what a recount needs (no database, web or reading code), and that only when
it runs: ``rekap recount --help`` is instant.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.progress import TaskID

    from rekap.recount.problems import Kind, Problem, RecountReport

console = Console(stderr=True)
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")]
ConnectionsOption = Annotated[
    int, typer.Option("--connections", min=1, help="Files fetched at a time (an address).")
]
MaxDownloadOption = Annotated[
    float,
    typer.Option("--max-download-gb", min=0.001, help="Stop fetching past this (an address)."),
]


def _as_typed(text: str) -> str:
    """SNAPSHOT as typed: an address must not become a ``Path``, which folds its '//' (so
    from the command line ``recount`` gets a ``str``, and reads either with ``str()``)."""
    return text


def recount(
    snapshot: Annotated[
        Path,
        typer.Argument(
            help="A snapshot folder or its http(s):// address, or the folder (address) of "
            "a publication with latest, or a bucket: s3://bucket/prefix[?endpoint=…].",
            parser=_as_typed,
            metavar="SNAPSHOT",
        ),
    ],
    public_key: Annotated[
        Path | None, typer.Option("--public-key", help="Pin the expected signing key (PEM).")
    ] = None,
    deep: Annotated[bool, typer.Option("--deep", help="Also compare every TPS file.")] = False,
    bulk_only: Annotated[
        bool,
        typer.Option(
            "--bulk-only",
            help="Check only the manifest, its signature and the files it names (bulk data, "
            "change log) and recount the totals; skip the JSON trees (an address then fetches "
            "a few dozen files, not every file).",
        ),
    ] = False,
    workers: WorkersOption = 2,
    connections: ConnectionsOption = 8,
    max_download_gb: MaxDownloadOption = 32.0,
) -> None:
    """Check a snapshot's signature and every hash, recount every aggregate from the bulk data
    (DuckDB) and compare, verify the change log and every TPS number against it. An http(s)://
    address is fetched into a temporary folder first (with --bulk-only, only the files the
    manifest names).

    Exit status: 0 every check agrees; 1 problems found (listed, the first 100 of each kind,
    and counted); 2 could not recount (no snapshot at the path or address: nothing there, a
    404 or an unreachable host; options that exclude each other; a --public-key that is not a
    key)."""
    from rekap.recount.layout import NoSnapshot
    from rekap.recount.remote import is_url

    started = time.perf_counter()
    given = str(snapshot)
    if deep and bulk_only:
        console.print(Text("--deep and --bulk-only exclude each other.", style="red"))
        raise typer.Exit(2)
    pinned = _pinned_key(public_key) if public_key is not None else None
    fetch = FetchOptions(connections, max_download_gb)
    try:
        if is_url(given):
            report = _recount_url(given, public_key, workers, deep, fetch, bulk_only)
        elif given.startswith("s3://"):
            report = _recount_bucket(given, public_key, workers, deep, bulk_only)
        else:
            from rekap.recount.run import recount as run_recount

            report = run_recount(Path(given), public_key, workers, deep, _say_phase, bulk_only)
    except NoSnapshot as error:
        console.print(Text(_shown(str(error)), style="red"), soft_wrap=True)
        raise typer.Exit(2) from None
    seconds = time.perf_counter() - started
    if not _print_report(report, pinned, seconds):
        raise typer.Exit(1)


def _shown(text: str) -> str:
    """``text`` on one line, every character as itself but the ones a terminal would not
    show as one (a newline, a control or a format character), which are escaped as Python
    writes them (``\\n``, ``\\x1b``, ``\\u202e``): a file's name cannot forge a line of the
    report. Printed as a ``Text``, never as markup, it cannot restyle or hide anything."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


SHOWN_PER_KIND = 100
"""Problems of one kind printed before the rest of that kind is only counted: a deleted
folder gives thousands of missing files, which must not hide a problem of another kind."""


def _first_of_each_kind(problems: Sequence[Problem]) -> tuple[list[Problem], dict[Kind, int]]:
    """The first ``SHOWN_PER_KIND`` problems of each kind, in the report's order, and how
    many of each kind are left out."""
    seen: Counter[Kind] = Counter()
    shown = []
    for problem in problems:
        seen[problem.kind] += 1
        if seen[problem.kind] <= SHOWN_PER_KIND:
            shown.append(problem)
    unshown = {kind: n - SHOWN_PER_KIND for kind, n in seen.items() if n > SHOWN_PER_KIND}
    return shown, unshown


def _print_report(report: RecountReport, pinned: bytes | None, seconds: float) -> bool:
    """Print the report on stdout, every name and detail from the snapshot as plain text;
    True when the recount agrees."""
    out = Console()
    checks = Table(title=Text(f"Recount of {_shown(report.snapshot)}"))
    checks.add_column("check")
    checks.add_column("count", justify="right")
    for name, count in sorted(report.checked.items()):
        checks.add_row(Text(_shown(name)), Text(f"{count:,}"))
    out.print(checks)
    if report.nasional:
        # every figure, zeros included: "verified_by_people 0" says no person entered a
        # number, and a figure left out would read as one the recount did not make
        totals = ", ".join(f"{k} {v:,}" for k, v in report.nasional.items())
        # a snapshot published with --scope sums only its regions, under the nation's name
        root = f"Scope {' '.join(report.scope)} only" if report.scope else "Nasional"
        out.print(Text(f"{_shown(root)}, recounted: {_shown(totals)}"), soft_wrap=True)
    for line in _signer_lines(report, pinned):
        out.print(line, soft_wrap=True)
    for note in report.notes:
        out.print(Text.assemble(("Note", "yellow"), f": {_shown(note)}"), soft_wrap=True)
    shown, unshown = _first_of_each_kind(report.problems)
    for problem in shown:
        line = Text.assemble(
            (problem.kind.value, "red"), f" {_shown(problem.path)}: {_shown(problem.detail)}"
        )
        out.print(line, soft_wrap=True)
    for kind, more in unshown.items():
        out.print(Text(f"… and {more:,} more {kind.value if more == 1 else kind.plural}."))
    if report.ok:
        agrees = Text.assemble(
            ("Recount agrees with the snapshot", "green"), f" ({seconds:.1f} s)."
        )
        out.print(agrees)
        return True
    summary = report.summary()
    out.print(Text.assemble(("Recount FAILED", "red"), f": {summary} ({seconds:.1f} s)."))
    return False


UNPINNED_NOTE = (
    "no --public-key given: the signature was checked against the key the snapshot itself "
    "carries, which proves it intact, not who signed it; pin the publisher's key with "
    "--public-key to be sure."
)


def _signer_lines(report: RecountReport, pinned: bytes | None) -> list[Text]:
    """Which key signed the manifest (its id: the first 16 hex digits of the SHA-256 of the
    raw Ed25519 key, as ``rekap publish`` says it), and, with no key pinned, why that alone
    does not say who signed."""
    lines = []
    verified = report.checked["signature"] > 0
    named = report.signer
    if pinned is not None and verified:
        lines.append(Text(f"Signed by key {_key_id(pinned)}, the one given with --public-key."))
    elif named is not None and verified:
        public = base64.b64encode(named).decode("ascii")
        lines.append(Text(f"Signed by key {_key_id(named)} (Ed25519 public key {public})."))
    elif named is not None:
        lines.append(
            Text(f"The manifest names key {_key_id(named)}; the signature was not verified.")
        )
    if pinned is None:
        lines.append(Text.assemble(("Note", "yellow"), f": {UNPINNED_NOTE}"))
    return lines


def _key_id(public_raw: bytes) -> str:
    """A key's id as the publisher gives it: the SHA-256 of the raw key, 16 hex digits."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _pinned_key(path: Path) -> bytes:
    """The raw key ``--public-key`` names; a file that is not one exits 2 with one line that
    says what it is instead (before anything is fetched or recounted)."""
    from cryptography.exceptions import UnsupportedAlgorithm

    from rekap.recount.signature import load_pinned_key

    try:
        return load_pinned_key(path)
    except OSError as error:
        reason = _unreadable(error)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        reason = _not_a_key(path)
    message = f"--public-key {_shown(str(path))}: {reason}"
    console.print(Text(message, style="red"), soft_wrap=True)
    raise typer.Exit(2)


def _unreadable(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "a folder, not a key file (give the publisher's public-key.pem)"
    return f"cannot be read ({_shown(error.strerror or str(error))})"


def _not_a_key(path: Path) -> str:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        data = path.read_bytes()
    except OSError as error:
        return _unreadable(error)
    if b"PRIVATE KEY-----" in data:
        return "a private key; give the publisher's public key (public-key.pem)"
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return "not a PEM public key (-----BEGIN PUBLIC KEY-----)"
    kind = type(key).__name__.removesuffix("PublicKey")
    return f"a public key of type {kind}, not Ed25519 (the type that signs snapshots)"


def _say_phase(text: str) -> None:
    """What the recount does next, a line on stderr (no live display: the recount forks
    worker processes, which must not inherit a refreshing thread)."""
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {text[0].upper()}{text[1:]}…")


def _recount_bucket(
    address: str, public_key: Path | None, workers: int, deep: bool, bulk_only: bool
) -> RecountReport:
    """The snapshot a bucket's ``latest.json`` names (``s3://bucket/prefix?endpoint=…``, the
    bucket's credentials from the environment), copied into a temporary folder (``TMPDIR``)
    and recounted there; problems name the files by their path in the snapshot."""
    import tempfile

    from rekap.adapters.snapshot_s3 import PointerMismatch, S3SnapshotStore
    from rekap.recount.layout import MANIFEST, NoSnapshot
    from rekap.recount.problems import Kind, RecountReport
    from rekap.recount.run import recount as run_recount

    try:
        store = S3SnapshotStore.from_url(address)
    except ValueError as error:
        raise NoSnapshot(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="rekap-recount-") as temporary:
        started = time.perf_counter()
        try:
            with console.status("Copying the snapshot out of the bucket"):
                folder = store.download(Path(temporary))
        except PointerMismatch as error:
            report = RecountReport(store.location())
            report.add(Kind.MANIFEST, MANIFEST, str(error))
            return report
        except NoSnapshot:
            raise
        except Exception as error:  # refused, unreachable, no credentials, a full disk
            raise NoSnapshot(f"{store.location()} cannot be copied: {error}") from None
        copied = f"Copied the snapshot in {time.perf_counter() - started:.1f} s"
        console.print(Text(f"{copied} from {_shown(store.location(folder.name))}"))
        report = run_recount(folder, public_key, workers, deep, _say_phase, bulk_only)
        report.snapshot = store.location(folder.name)
        return report


@dataclass(frozen=True)
class FetchOptions:
    connections: int
    max_download_gb: float


def _recount_url(
    url: str,
    public_key: Path | None,
    workers: int,
    deep: bool,
    fetch: FetchOptions,
    bulk_only: bool,
) -> RecountReport:
    """The recount of an address, with a progress bar while its files are fetched."""
    from rekap.recount.remote import RemoteOptions, recount_url

    options = RemoteOptions(
        connections=fetch.connections, max_bytes=int(fetch.max_download_gb * 1e9)
    )
    progress = FetchProgress()
    try:
        report = recount_url(url, public_key, workers, deep, options, progress, bulk_only)
    finally:
        progress.done()
    fetched = (
        f"Fetched {progress.files:,} files ({progress.bytes / 1e6:,.1f} MB) "
        f"in {progress.seconds:.1f} s from {_shown(report.snapshot)}"
    )
    console.print(Text(fetched))
    return report


class FetchProgress:
    """A progress bar (on stderr) while the listed files are fetched; it is gone before the
    recount starts its worker processes."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(
            TextColumn("Fetching"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[size]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.files = self.bytes = 0
        self.seconds = 0.0
        self._started = 0.0
        self._task: TaskID | None = None
        self._lock = threading.Lock()

    def start(self, files: int) -> None:
        self._started = time.perf_counter()
        self._task = self.bar.add_task("fetch", total=files, size="0.0 MB")
        self.bar.start()

    def advance(self, received: int) -> None:
        with self._lock:
            self.files += 1
            self.bytes += received
            size = f"{self.bytes / 1e6:,.1f} MB"
        if self._task is not None:
            self.bar.update(self._task, advance=1, size=size)

    def done(self) -> None:
        if self._task is not None and not self.seconds:
            self.seconds = time.perf_counter() - self._started
        self.bar.stop()
