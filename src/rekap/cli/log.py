"""`rekap log`: verify the public change log, and show the history of a TPS."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rekap.adapters.keys import (
    DEFAULT_KEY_PATH,
    KeyRing,
    NotAnEd25519Key,
    load_public,
    public_key_id,
)
from rekap.adapters.storage.event_store import EventLog
from rekap.cli.db import DatabaseOption, open_existing_store
from rekap.data import region_tree
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah, Level
from rekap.events.chain import Recorded, unknown_kinds_note, verify_chain
from rekap.events.heads import check_heads
from rekap.events.replay import Unreplayable, compare_with_store
from rekap.events.replay_sources import compare_sources, replay_results

app = typer.Typer(help="The public, hash-chained change log.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("verify")
def verify(
    db: DatabaseOption = None,
    key: Annotated[
        list[Path] | None,
        typer.Option(
            "--key",
            help="The server key file whose public half signs heads (default "
            f"{DEFAULT_KEY_PATH}); or a public key PEM. Give it again for each key that signed "
            "(a key lost and replaced with `rekap serve --new-key`: its public half).",
        ),
    ] = None,
) -> None:
    """Check every link of the chain, every signed head and every stored number against the
    log; name the first problem and exit 1 if there is any. A database that is not there is
    an error (exit 2), never an empty log found intact."""
    keys = key or [DEFAULT_KEY_PATH]
    store = open_existing_store(db)
    log = EventLog(store.engine)
    hashes: dict[int, str] = {}

    def remembered(records: Iterable[Recorded]) -> Iterator[Recorded]:
        for record in records:
            hashes[record.sequence] = record.hash
            yield record

    with console.status("Verifying the change log"):
        check = verify_chain(remembered(log.records()))
    if not check.ok:
        console.print(f"[bold red]Broken at event {check.broken_at}[/]: {check.problem}")
        console.print(f"{check.checked:,} events before it are intact.")
        raise typer.Exit(1)
    if check.unknown_kinds:
        console.print(f"[yellow]{unknown_kinds_note(check.unknown_kinds)}[/]")
    heads = log.heads()
    if heads:
        ring, given = _key_ring(keys, len(heads))
        others = sorted({h.key_id for h in heads} - ring.keys.keys())
        if others:
            console.print(
                Text(
                    f"Signed heads by key {', '.join(others)}, not by the key at {given}: name "
                    "the server's key file with --key (again for each key that signed; a "
                    "public key PEM for a key that was lost)",
                    style="red",
                )
            )
            raise typer.Exit(1)
        problems = check_heads(heads, hashes, ring)
        for problem in problems:
            console.print(f"[bold red]Signed head[/] {problem}")
        if problems:
            raise typer.Exit(1)
    with console.status("Comparing every stored number and imported source with the log"):
        try:
            logged = replay_results(log.records())
        except Unreplayable as error:
            console.print(Text.assemble(("Broken", "bold red"), f": {error}"), soft_wrap=True)
            raise typer.Exit(1) from None
        mismatches = compare_with_store(logged.values, store.all_values())
        moved = list(compare_sources(logged.sources, store.imported_sources()))
    if mismatches or moved:
        for m in mismatches[:20]:
            console.print(
                f"[bold red]Unlogged change[/] TPS {m.kode_tps} {m.contest} {m.field}: "
                f"the log says {m.logged}, the store holds {m.stored}"
            )
        for s in moved[:20]:
            console.print(
                Text.assemble(
                    ("Unlogged change", "bold red"),
                    f" TPS {s.kode_tps} {s.contest} {s.part}: the log says {s.logged}, "
                    f"the store holds {s.stored}",
                ),
                soft_wrap=True,
            )
        if mismatches:
            console.print(f"{len(mismatches):,} stored numbers differ from the log.")
        if moved:
            console.print(
                f"{len(moved):,} stored sources or photos of imported results differ from the log."
            )
        raise typer.Exit(1)
    head = check.head
    where = f"head {head.sequence} = {head.hash}" if head else "the log is empty"
    console.print(
        f"[bold green]Intact[/]: {check.checked:,} events, {where}; {len(heads)} signed heads."
    )


def _key_ring(paths: list[Path], heads: int) -> tuple[KeyRing, str]:
    """The public halves of the key files given (each a private or a public key PEM), and the
    files named with their key ids; exits 1 naming a file that is not there or holds no
    Ed25519 key."""
    keys: dict[str, bytes] = {}
    named: list[str] = []
    for path in paths:
        if not path.exists():
            console.print(
                Text(f"{heads} signed heads, but no key at {path} to check them", style="red")
            )
            raise typer.Exit(1)
        try:
            public = load_public(path)
        except (NotAnEd25519Key, OSError) as error:
            console.print(Text(f"--key {path}: {error}", style="red"))
            raise typer.Exit(1) from None
        key_id = public_key_id(public)
        keys[key_id] = public
        named.append(f"{path} ({key_id})")
    return KeyRing(keys), ", ".join(named)


@app.command("show")
def show(
    kode_tps: Annotated[str, typer.Argument(help="A 13-digit TPS code.")],
    db: DatabaseOption = None,
    json_lines: Annotated[bool, typer.Option("--json", help="One JSON object per event.")] = False,
) -> None:
    """Every change to one TPS: who, when, why, before and after. A code that no event names
    and that is not a TPS of the region tree is refused (exit 2), never shown as a TPS with no
    history."""
    records = EventLog(open_existing_store(db).engine).history(kode_tps)
    if not records:
        _no_history(kode_tps)
    if json_lines:
        for r in records:
            line = {
                "sequence": r.sequence,
                "kind": r.kind,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "reason": r.reason,
                "payload": dict(r.payload),
                "hash": r.hash,
            }
            typer.echo(json.dumps(line, ensure_ascii=False))
        return
    table = Table(title=f"History of TPS {kode_tps}")
    for column in ("#", "when (UTC)", "who", "why", "what"):
        table.add_column(column)
    for r in records:
        what = r.kind
        if r.kind == "result.value_changed":
            what = f"{r.payload['field']}: {r.payload['before']} → {r.payload['after']}"
        table.add_row(str(r.sequence), r.at.isoformat(), r.actor, r.reason, what)
    Console().print(table)


def _no_history(kode_tps: str) -> None:
    """Say why a TPS has no history: none logged yet, or no such TPS (exit 2)."""
    try:
        known = KodeWilayah.parse(kode_tps)
    except InvalidKodeWilayah:
        known = None
    if known is None or known.level is not Level.TPS or known not in region_tree():
        shown = Text(kode_tps)  # typed text, never read as console markup
        console.print(Text("Not a TPS of the region tree, and no event names it: ", "red") + shown)
        raise typer.Exit(2)
    console.print(f"No change logged for TPS {kode_tps} yet.")
