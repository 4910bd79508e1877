"""`rekap import sirekap` and `rekap validate sirekap`: Sirekap's published 2024 data, checked."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rekap.adapters.sirekap_files import read_records
from rekap.adapters.storage.event_store import EventLog
from rekap.cli.db import DatabaseOption, open_store
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.rules.registry import rule_by_id
from rekap.services.validation import Reject, Sink, ValidationReport, validate_records
from rekap.sources.sirekap import Conflict, ConflictWatchingParser, ImportedTps, RejectedRow

import_app = typer.Typer(help="Import data into the database.", no_args_is_help=True)
validate_app = typer.Typer(help="Run the validation rules over data.", no_args_is_help=True)
console = Console(stderr=True)
WRITE_BATCH = 5000
IMPORT_ACTOR = "import:sirekap"

PathArgument = Annotated[
    Path,
    typer.Argument(
        exists=True, help="A .csv, .csv.gz, .json, a .zip of JSON files, or a folder of them."
    ),
]


def _run(
    path: Path, sink: Sink | None = None, reject: Reject | None = None
) -> tuple[ValidationReport, list[Conflict]]:
    election = election_2024()
    contest = election.contest("ppwp")
    parser = ConflictWatchingParser(contest, region_tree())
    form = c_hasil_ppwp(contest.dapil[0])
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"Checking {escape(path.name)}", total=None)

        def advance(rows: int) -> None:
            progress.update(task, completed=rows)

        records = read_records(path)
        report = validate_records(records, parser, form, election, advance, sink, reject)
        return report, parser.conflicts


def print_summary(
    report: ValidationReport, seconds: float, out: Console, conflicts: Sequence[Conflict] = ()
) -> None:
    out.print(
        f"[bold]{report.rows_read:,}[/] rows read: {report.accepted_count:,} TPS accepted "
        f"({len(report.unnumbered):,} of them with no number yet: "
        f"{len(report.unnumbered) - len(report.bare):,} with photos or an empty chart, "
        f"{len(report.bare):,} listed with neither), "
        f"{len(report.empty):,} left out (a JSON record's null chart and no photo), "
        f"{report.rejected_count:,} rejected, "
        f"{report.superseded:,} superseded by a newer or later-read version "
        f"({seconds:.1f} s)."
    )
    if conflicts:
        out.print(
            f"[bold yellow]{len(conflicts):,}[/] repeated TPS records differ from the one "
            "before; the version with the newest ts is kept, else the one read last."
        )
        for conflict in conflicts[:10]:
            out.print(
                f"[yellow]differs[/] {conflict.kode}: {escape(conflict.earlier)} "
                f"→ {escape(conflict.later)}"
            )
    if report.synthetic_kode:
        out.print(f"{report.synthetic_kode:,} overseas TPS carry a code synthesised by the source.")
    blocking = report.blocking_tps()
    numbered = report.accepted_count - len(report.unnumbered)
    share = 100 * blocking / numbered if numbered else 0.0
    out.print(
        f"[bold red]{blocking:,}[/] TPS ({share:.2f}% of the {numbered:,} with numbers) break "
        "at least one blocking rule."
    )
    rules = Table(title="Findings per rule", show_lines=False)
    for column in ("rule", "severity", "TPS", "findings", "what it checks"):
        rules.add_column(column, justify="right" if column in ("TPS", "findings") else "left")
    per_tps, per_finding = report.tps_per_rule(), report.findings_per_rule()
    for rule_id in sorted(per_tps, key=lambda r: (r[0] != "F", r)):
        rule = rule_by_id(rule_id)
        rules.add_row(
            rule_id,
            rule.severity.value,
            f"{per_tps[rule_id]:,}",
            f"{per_finding[rule_id]:,}",
            rule.title,
        )
    out.print(rules)
    provinces = Table(title="Per provinsi")
    for column in ("provinsi", "name", "TPS", "blocking", "warning"):
        provinces.add_column(column, justify="left" if column in ("provinsi", "name") else "right")
    tree = region_tree()
    for kode, row in sorted(report.per_provinsi().items()):
        name = tree.regions[kode].nama if kode in tree.regions else "?"
        provinces.add_row(
            kode, name, f"{row['accepted']:,}", f"{row['blocking']:,}", f"{row['warning']:,}"
        )
    out.print(provinces)
    for rejected in report.rejected[:10]:
        # File names and values are the input's: print them as text, never as markup.
        out.print(f"[red]rejected[/] {escape(rejected.origin)}: {escape(rejected.reason)}")
    if report.rejected_count > 10:
        out.print(f"… and {report.rejected_count - 10:,} more rejected rows (see --json).")


def write_rejected_line(row: RejectedRow) -> None:
    """A rejected row on standard output, as it comes (a JSON object with its ``error``)."""
    line = {"kode_tps": row.kode, "origin": row.origin, "error": row.reason}
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


def write_json_lines(report: ValidationReport) -> None:
    """The accepted TPS and those without numbers, once every row is read (a rejected row
    was written as it came)."""
    out = sys.stdout
    for kode, origin in report.accepted.items():
        found = report.findings.get(kode, ())
        line: dict[str, object] = {
            "kode_tps": kode,
            "origin": origin,
            "findings": [f.as_json() for f in found],
        }
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    for empty in report.empty:
        out.write(
            json.dumps({"kode_tps": empty.kode, "origin": empty.origin, "empty": True}) + "\n"
        )


@validate_app.command("sirekap")
def validate_sirekap(
    path: PathArgument,
    json_lines: Annotated[
        bool, typer.Option("--json", help="One JSON object per TPS on standard output.")
    ] = False,
) -> None:
    """Check every TPS of Sirekap's published data against the rules (no database needed)."""
    started = time.perf_counter()
    report, conflicts = _run(path, reject=write_rejected_line if json_lines else None)
    if json_lines:
        write_json_lines(report)
    print_summary(report, time.perf_counter() - started, console, conflicts)


@import_app.command("sirekap")
def import_sirekap(path: PathArgument, db: DatabaseOption = None) -> None:
    """Store Sirekap's per-TPS data with the findings of every rule."""
    started = time.perf_counter()
    store = open_store(db)
    if store.region_count() == 0:
        store.load_regions(region_tree())
    run_id = store.start_import(str(path), "ppwp", datetime.now(UTC))
    log = EventLog(store.engine)
    pending: list[ImportedTps] = []
    kept: set[str] = set()  # their findings stay those of the newer version stored
    undated = [0]
    own: set[str] = set()  # TPS whose numbers rekap read from photos or verifiers entered
    newer: set[str] = set()  # TPS whose stored version is newer (by its ts)

    def flush() -> None:
        saved = store.save_results(run_id, pending, log, datetime.now(UTC), IMPORT_ACTOR)
        # a TPS repeated in the file may be kept in one batch and stored from a later one
        codes = [item.result.kode_tps.value for item in pending]
        kept.difference_update(codes)
        newer.difference_update(codes)
        kept.update(saved.kept_newer)
        newer.update(saved.kept_newer)
        kept.update(saved.kept_own)
        own.update(saved.kept_own)
        undated[0] += saved.undated
        pending.clear()

    def save(item: ImportedTps) -> None:
        pending.append(item)
        if len(pending) >= WRITE_BATCH:
            flush()

    refused: list[RejectedRow] = []  # stored as they come, a batch at a time

    def reject(row: RejectedRow) -> None:
        refused.append(row)
        if len(refused) >= WRITE_BATCH:
            store.save_import_errors(run_id, refused)
            refused.clear()

    report, conflicts = _run(path, save, reject)
    flush()
    store.save_import_errors(run_id, refused)
    # rekap's own numbers (``own``, in ``kept``) keep the findings stored with them
    store.replace_findings("ppwp", [k for k in report.accepted if k not in kept], report.findings)
    counts = {
        "rows_read": report.rows_read,
        "accepted": report.accepted_count,
        "empty": len(report.empty),
        "rejected": report.rejected_count,
        "superseded": report.superseded,
    }
    store.finish_import(run_id, counts, datetime.now(UTC))
    print_summary(report, time.perf_counter() - started, console, conflicts)
    if newer:
        console.print(
            f"[yellow]{len(newer):,} TPS of this file are older (by their ts) than the version "
            "already stored: the stored, newer version is kept.[/]"
        )
    if own:
        console.print(
            f"[yellow]{len(own):,} TPS of this file already have numbers rekap read from photos "
            "or its verifiers entered: those are kept, not replaced by the file's.[/]"
        )
    if undated[0]:
        console.print(
            f"[yellow]{undated[0]:,} TPS of this file carry no ts and replaced a stored version "
            "that had one: which is newer cannot be told (import the newest file last).[/]"
        )
    console.print(
        f"Stored as import run {run_id} in {escape(store.engine.url.render_as_string())}."
    )
