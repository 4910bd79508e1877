"""`rekap db`: create or upgrade the database and load the region tree."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.repository import SqlStore
from rekap.cli.settings import DATABASE_ENV, Settings
from rekap.data import region_tree

app = typer.Typer(help="Create or upgrade the database.", no_args_is_help=True)
console = Console(stderr=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--db", help=f"Database URL (default: ${DATABASE_ENV} or var/rekap.db)."),
]


def open_store(database_url: str | None) -> SqlStore:
    """Open the database, migrated to the newest schema."""
    engine = open_engine(Settings.from_environment(database_url).database_url)
    upgrade(engine)
    return SqlStore(engine)


@app.command("init")
def init(db: DatabaseOption = None) -> None:
    """Create or upgrade the schema and load the 2024 region tree."""
    started = time.perf_counter()
    store = open_store(db)
    with console.status("Loading the 2024 region tree"):
        count = store.load_regions(region_tree())
    seconds = time.perf_counter() - started
    console.print(f"Database ready: {count:,} regions loaded in {seconds:.1f} s.")
