"""`rekap photos`: the photos waiting, the failed ones with why, and putting them back to be
processed.

Every retry is a ``photo.state_changed`` event (failed → received) in the public log, by the
actor ``cli``, with the operator's reason.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rekap.capture.access import reason_problem
from rekap.cli.db import DatabaseOption, open_existing_store
from rekap.services.photo_failures import FailureKind
from rekap.web.context import utc_now

if TYPE_CHECKING:
    from rekap.adapters.storage.photo_retry import PhotoRetry, RetryOutcome

app = typer.Typer(
    help="Photos for an operator: those waiting, those failed with why; process them again.",
    no_args_is_help=True,
)
console = Console(stderr=True)
out = Console(soft_wrap=True)

KIND_HELP = {
    FailureKind.PROCESSING_ERROR: "an error while processing it (retried by --all-failed)",
    FailureKind.LOST_FROM_STORE: "its file missing, damaged or unreadable in the photo "
    "store: put it back, then retry (retried by --all-failed)",
    FailureKind.REFUSED: "refused by the reader for what it is: not a form, the wrong page, "
    "unreadable (retried only by id, with --refused)",
    FailureKind.SENT_BACK: (
        "people could not read it (two reports, or an adjudicator): sent back to its officer "
        "(never retried)"
    ),
}


def _time(stored: str) -> str:
    """A stored UTC time to the second, its date and time apart (a narrow table wraps it
    between them rather than cut it)."""
    return stored[:19].replace("T", " ")


def _reason(value: str) -> str:
    problem = reason_problem(value)
    if problem is not None:
        raise typer.BadParameter(problem)
    return value


def _region(value: str) -> str:
    if value and not (value.isascii() and value.isdigit() and len(value) <= 13):
        raise typer.BadParameter("a region code is up to 13 digits")
    return value


@app.command("failed")
def failed(
    kind: Annotated[
        list[FailureKind] | None,
        typer.Option("--kind", help="Only failures of this kind (again for more)."),
    ] = None,
    region: Annotated[
        str, typer.Option("--region", callback=_region, help="Only TPS whose code begins so.")
    ] = "",
    after: Annotated[int, typer.Option(min=0, help="Only photos with a greater id.")] = 0,
    limit: Annotated[int, typer.Option(min=1, help="At most this many photos.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    db: DatabaseOption = None,
) -> None:
    """List failed photos with why they failed, by kind: processing_error and
    lost_from_store are retried by `rekap photos retry --all-failed`."""
    from rekap.adapters.storage.photo_retry import count_failed, failed_photos

    store = open_existing_store(db)
    kinds = frozenset(kind) if kind else None
    found = list(failed_photos(store.engine, kinds, region, after, limit))
    if as_json:
        for each in found:
            out.print(json.dumps(each.as_json(), ensure_ascii=False), markup=False)
        return
    counts = count_failed(store.engine, region)
    for each_kind, count in counts.items():
        console.print(f"{count:>8,} {each_kind.value}: {KIND_HELP[each_kind]}", markup=False)
    if not found:
        console.print("No failed photos to list.")
        return
    table = _photo_table("received")
    table.add_column("kind", no_wrap=True, min_width=max(len(k.value) for k in FailureKind))
    table.add_column("reason", ratio=1, overflow="fold")
    for each in found:
        table.add_row(
            str(each.id),
            each.kode_tps,
            str(each.page),
            _time(each.received_at),
            each.kind.value,
            escape(each.reason),
        )
    out.print(table)
    if len(found) == limit:
        console.print(f"More may follow: --after {found[-1].id}.")


def _photo_table(when: str) -> Table:
    """A table of photos: which one, its TPS and page, and the time ``when`` names."""
    table = Table()
    table.add_column("photo", no_wrap=True)
    table.add_column("TPS", no_wrap=True, min_width=13)
    table.add_column("page", no_wrap=True)
    table.add_column(when, min_width=10)
    return table


@app.command("waiting")
def waiting(
    claim_timeout: Annotated[
        float, typer.Option(help="Seconds after which a worker's claim has lapsed.")
    ] = 300.0,
    region: Annotated[
        str, typer.Option("--region", callback=_region, help="Only TPS whose code begins so.")
    ] = "",
    db: DatabaseOption = None,
) -> None:
    """How many photos wait to be processed and since when, and those whose worker's claim
    lapsed (a worker killed, stuck, or unable to take the photo from the store)."""
    from datetime import timedelta

    from rekap.adapters.storage.photo_retry import waiting_photos

    store = open_existing_store(db)
    found = waiting_photos(store.engine, utc_now() - timedelta(seconds=claim_timeout), region)
    if not found.count:
        console.print("No photo waits to be processed.")
        return
    console.print(
        f"{found.count:,} photos wait to be processed, the oldest since {found.oldest_received}."
    )
    if not found.stalled:
        return
    table = _photo_table("claimed at")
    for photo_id, kode, page, claimed_at in found.stalled:
        table.add_row(str(photo_id), kode, str(page), _time(claimed_at))
    console.print(
        f"{len(found.stalled):,} of them (at most 100 shown) claimed more than "
        f"{claim_timeout:.0f} s ago: their workers were killed, are stuck or cannot take them "
        "from the photo store (see the workers' stderr); they are taken again."
    )
    out.print(table)


@app.command("retry")
def retry(
    reason: Annotated[
        str, typer.Option(help="Why, in a few words (public, in the log).", callback=_reason)
    ],
    photo_ids: Annotated[
        list[int] | None, typer.Argument(help="The failed photos to process again.")
    ] = None,
    all_failed: Annotated[
        bool,
        typer.Option(
            "--all-failed",
            help="Every photo failed by an error (processing_error, lost_from_store); never "
            "one the reader refused for what it is.",
        ),
    ] = False,
    refused: Annotated[
        bool,
        typer.Option(
            "--refused",
            help="Also read again the photos named that the reader refused for what they are "
            "(not a form, the wrong page, unreadable).",
        ),
    ] = False,
    region: Annotated[
        str, typer.Option("--region", callback=_region, help="With --all-failed: only here.")
    ] = "",
    db: DatabaseOption = None,
) -> None:
    """Put failed photos back to be processed (each a photo.state_changed event, failed to
    received); the workers take them like new photos. Exits 1 when a photo named was not
    retried, saying why."""
    if bool(photo_ids) == all_failed:
        console.print("[red]Name the photos to retry, or give --all-failed (not both).[/]")
        raise typer.Exit(2)
    if refused and all_failed:
        console.print("[red]--refused reads again only photos named by their id.[/]")
        raise typer.Exit(2)
    if region and not all_failed:
        console.print("[red]--region chooses among --all-failed.[/]")
        raise typer.Exit(2)
    retrier = _retrier(db)
    if all_failed:
        outcome = retrier.retry_failed(utc_now(), "cli", reason, region).outcome
    else:
        outcome = retrier.retry(photo_ids or [], utc_now(), "cli", reason, refused)
    _report(outcome)
    if outcome.passed_over:
        raise typer.Exit(1)


def _retrier(db: str | None) -> PhotoRetry:
    from rekap.adapters.storage.event_store import EventLog
    from rekap.adapters.storage.photo_retry import PhotoRetry

    store = open_existing_store(db)
    engine = store.engine
    if engine.dialect.name != "postgresql":  # the workers claim from the table itself
        return PhotoRetry(engine, EventLog(engine))
    from rekap.adapters.queue import defer_all_in_transaction, ensure_queue_schema

    ensure_queue_schema(engine)
    return PhotoRetry(engine, EventLog(engine), defer_all_in_transaction)


def _report(outcome: RetryOutcome) -> None:
    for photo_id, why in outcome.passed_over.items():
        console.print(f"photo {photo_id} not retried: {why}", style="yellow", markup=False)
    retried = outcome.retried
    if retried:
        shown = ", ".join(str(i) for i in retried[:20]) + (" …" if len(retried) > 20 else "")
        photos = "photo" if len(retried) == 1 else "photos"
        console.print(f"{len(retried):,} {photos} put back to be processed: {shown}")
    else:
        console.print("No photo was put back to be processed.")
