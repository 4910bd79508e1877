"""`rekap recount`: the independent check of a published snapshot.

It imports only what a recount needs (no database, web or reading code), and that only when
it runs: ``rekap recount --help`` is instant.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from rich.progress import TaskID

    from rekap.recount.problems import RecountReport

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
            "a publication with latest.",
            parser=_as_typed,
            metavar="SNAPSHOT",
        ),
    ],
    public_key: Annotated[
        Path | None, typer.Option("--public-key", help="Pin the expected signing key (PEM).")
    ] = None,
    deep: Annotated[bool, typer.Option("--deep", help="Also compare every TPS file.")] = False,
    workers: WorkersOption = 2,
    connections: ConnectionsOption = 8,
    max_download_gb: MaxDownloadOption = 32.0,
) -> None:
    """Check a snapshot's signature and every hash, recount every aggregate from the bulk data
    (DuckDB) and compare, verify the change log and every TPS number against it; exits 1 on any
    problem. An http(s):// address is fetched into a temporary folder first."""
    from rekap.recount.layout import NoSnapshot
    from rekap.recount.remote import is_url

    started = time.perf_counter()
    given = str(snapshot)
    try:
        if is_url(given):
            report = _recount_url(given, public_key, workers, deep, connections, max_download_gb)
        else:
            from rekap.recount.run import recount as run_recount

            report = run_recount(Path(given), public_key, workers, deep, _say_phase)
    except NoSnapshot as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None
    seconds = time.perf_counter() - started
    checks = Table(title=f"Recount of {report.snapshot}")
    checks.add_column("check")
    checks.add_column("count", justify="right")
    for name, count in sorted(report.checked.items()):
        checks.add_row(name, f"{count:,}")
    Console().print(checks)
    if report.nasional:
        totals = ", ".join(f"{k} {v:,}" for k, v in report.nasional.items() if v)
        Console().print(f"Nasional, recounted: {totals}")
    for note in report.notes:
        Console().print(f"[yellow]Note[/]: {note}")
    for problem in report.problems[:100]:
        Console().print(f"[red]{problem.kind.value}[/] {problem.path}: {problem.detail}")
    if len(report.problems) > 100:
        Console().print(f"… and {len(report.problems) - 100:,} more problems.")
    if report.ok:
        Console().print(f"[green]Recount agrees with the snapshot[/] ({seconds:.1f} s).")
        return
    kinds = ", ".join(f"{n} {k}" for k, n in report.by_kind().items())
    Console().print(f"[red]Recount FAILED[/]: {kinds} ({seconds:.1f} s).")
    raise typer.Exit(1)


def _say_phase(text: str) -> None:
    """What the recount does next, a line on stderr (no live display: the recount forks
    worker processes, which must not inherit a refreshing thread)."""
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {text[0].upper()}{text[1:]}…")


def _recount_url(
    url: str,
    public_key: Path | None,
    workers: int,
    deep: bool,
    connections: int,
    max_download_gb: float,
) -> RecountReport:
    """The recount of an address, with a progress bar while its files are fetched."""
    from rekap.recount.remote import RemoteOptions, recount_url

    options = RemoteOptions(connections=connections, max_bytes=int(max_download_gb * 1e9))
    progress = FetchProgress()
    try:
        report = recount_url(url, public_key, workers, deep, options, progress)
    finally:
        progress.done()
    console.print(
        f"Fetched {progress.files:,} files ({progress.bytes / 1e6:,.1f} MB) "
        f"in {progress.seconds:.1f} s from {report.snapshot}"
    )
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
