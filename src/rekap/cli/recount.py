"""`rekap recount`: the independent check of a published snapshot.

It imports only what a recount needs (no database, web or reading code), and that only when
it runs: ``rekap recount --help`` is instant.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console(stderr=True)
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")]


def recount(
    snapshot: Annotated[Path, typer.Argument(help="A snapshot folder, or a folder with latest.")],
    public_key: Annotated[
        Path | None, typer.Option("--public-key", help="Pin the expected signing key (PEM).")
    ] = None,
    deep: Annotated[bool, typer.Option("--deep", help="Also compare every TPS file.")] = False,
    workers: WorkersOption = 2,
) -> None:
    """Check a snapshot's signature and every hash, recount every aggregate from the bulk data
    (DuckDB) and compare, verify the change log and every TPS number against it; exits 1 on any
    problem."""
    from rekap.recount.layout import NoSnapshot
    from rekap.recount.run import recount as run_recount

    started = time.perf_counter()
    try:
        report = run_recount(snapshot, public_key, workers, deep)
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
