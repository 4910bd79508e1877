"""`rekap db`: create or upgrade the database and load the region tree; opening the database
for the other commands."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from rekap.adapters.storage.engine import DEFAULT_SQLITE_PATH, open_engine, sqlite_path
from rekap.adapters.storage.migrate import current_revision, upgrade
from rekap.adapters.storage.repository import SqlStore
from rekap.cli.settings import DATABASE_ENV, BadDatabaseUrl, Settings
from rekap.data import region_tree

app = typer.Typer(help="Create or upgrade the database.", no_args_is_help=True)
console = Console(stderr=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database: a URL (sqlite:///PATH, postgresql://USER@HOST/DB) or a SQLite file's "
        f"path (default: ${DATABASE_ENV}, else {DEFAULT_SQLITE_PATH}).",
    ),
]


def _url(database_url: str | None) -> str:
    try:
        return Settings.from_environment(database_url).database_url
    except BadDatabaseUrl as error:
        console.print(f"[red]{escape(str(error))}.[/]")
        raise typer.Exit(2) from None


def open_store(database_url: str | None) -> SqlStore:
    """Open the database, migrated to the newest schema (created if there is none); one that
    cannot be reached (PostgreSQL down, a database not there, a password refused) exits 2
    naming it and the server's answer."""
    url = _url(database_url)
    engine = open_engine(url)
    try:
        upgrade(engine)
    except OperationalError as error:
        engine.dispose()
        raise _cannot_open(url, error) from None
    return SqlStore(engine)


def _cannot_open(url: str, error: SQLAlchemyError) -> typer.Exit:
    detail = str(getattr(error, "orig", None) or error).splitlines()[0]
    return _refuse(f"Cannot open the database {_shown(url)}: {escape(detail)}")


def _shown(url: str) -> str:
    return escape(make_url(url).render_as_string(hide_password=True))


def _refuse(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/]")
    return typer.Exit(2)


def open_existing_store(database_url: str | None) -> SqlStore:
    """Open a database rekap made (``rekap db init``, an import, the service), migrated to
    the newest schema; never create one. A SQLite file that is not there, a database without
    rekap's schema (an empty PostgreSQL database, another file) or one that cannot be opened
    exits 2 naming it: a mistyped ``--db`` must not be read as an election with no results."""
    url = _url(database_url)
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise _refuse(
            f"No database at {escape(str(path.absolute()))}: check --db or ${DATABASE_ENV} "
            "(`rekap db init` creates one)."
        )
    engine = open_engine(url)
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as error:
        engine.dispose()
        raise _cannot_open(url, error) from None
    if revision is None:
        engine.dispose()
        raise _refuse(
            f"The database {_shown(url)} holds no rekap schema (no tables of rekap's): "
            f"check --db or ${DATABASE_ENV} (`rekap db init` creates one)."
        )
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


@app.command("copy")
def copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The database to copy into: a URL or a SQLite file's path. It must hold no "
            "rekap rows (PostgreSQL: a new database, `createdb`).",
        ),
    ],
    db: DatabaseOption = None,
) -> None:
    """Copy an election's database into another one: a pilot on SQLite moving to PostgreSQL
    for a national deployment, or a PostgreSQL election taken home in one SQLite file. Every
    table, the change log with its signed heads, accounts and devices, photos' records (the
    photos themselves stay in their store), findings, verification and the tally, read in
    one snapshot of the source; each table's rows counted on both sides and the log's head
    compared. Stop the service and workers first: what they write during the copy is not
    in it (said, exit 1)."""
    from rich.table import Table

    from rekap.adapters.storage.copy import CopyRefused, copy_database

    source = open_existing_store(db)
    url = _url(to)
    if url == source.engine.url.render_as_string(hide_password=False):
        raise _refuse("--to names the database copied from.")
    target = open_engine(url)
    started = time.perf_counter()
    done = 0
    with console.status("Copying") as status:

        def copied(table: str, rows: int) -> None:
            nonlocal done
            done += rows
            status.update(f"Copying {table}: {done:,} rows so far")

        try:
            result = copy_database(source.engine, target, copied)
        except CopyRefused as error:
            raise _refuse(f"Not copied: {escape(str(error))}.") from None
        except OperationalError as error:
            raise _cannot_open(url, error) from None
    summary = Table("table", "rows")
    for table in result.tables:
        summary.add_row(table.name, f"{table.rows:,}")
    console.print(summary)
    head = "empty" if result.head is None else f"event {result.head[0]:,} ({result.head[1][:16]}…)"
    seconds = time.perf_counter() - started
    console.print(f"Copied to {_shown(url)} in {seconds:.1f} s; the log's head: {head}.")
    console.print(
        f"Next: `rekap log verify --db {_shown(url)}`, then run the service and workers with "
        "this --db and the same photo store."
    )
    if result.source_moved:
        console.print(
            "[red]The source's log grew during the copy: what came after is not in the copy. "
            "Stop the service, empty the target (a new database) and copy again.[/]"
        )
        raise typer.Exit(1)
