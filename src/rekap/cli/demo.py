"""`rekap demo`: the main job on the embedded default (SQLite + local files, no services)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from rekap.cli.db import DatabaseOption, init
from rekap.cli.sirekap import import_sirekap

console = Console(stderr=True)
SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sirekap-raw-sample"


def demo(db: DatabaseOption = None) -> None:
    """Build the database with the real 2024 region tree and check Sirekap's published sample."""
    if not SAMPLE.is_dir():
        console.print(f"[red]The Sirekap sample is missing: {SAMPLE}[/]")
        raise typer.Exit(2)
    started = time.perf_counter()
    console.rule("[bold]rekap demo[/]: the 2024 region tree")
    init(db)
    console.rule("[bold]Sirekap's own published numbers (1,053 raw API files, DKI Jakarta)")
    import_sirekap(SAMPLE, db)
    console.print(f"Demo finished in {time.perf_counter() - started:.1f} s.")
