"""`rekap demo`: an election night for one kabupaten/kota on the embedded default.

Simulate every TPS, photograph every page, upload each photo through the HTTP API as the
officer's phone would (signed, receipted), read them in worker processes, check every form,
then say what happened: photos, forms, numbers read or abstained, silent errors against the
ground truth, findings by rule and totals. Then Sirekap's own 2024 sample, checked.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.repository import SqlStore
from rekap.capture.states import PhotoState
from rekap.cli.demo_run import (
    DemoPaths,
    context_for,
    enrol_officers,
    in_process_client,
    photographed,
    start_workers,
    upload,
)
from rekap.cli.demo_summary import summarise
from rekap.cli.publish import publish
from rekap.cli.recount import recount
from rekap.cli.sirekap import import_sirekap
from rekap.data import election_2024, region_tree
from rekap.domain.region_tree import UnknownRegion
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah
from rekap.simulation.scenario import SimulationOptions, simulate_election
from rekap.web.app import create_app

console = Console(stderr=True)
SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sirekap-raw-sample"
PROGRESS = (
    TextColumn("[bold]{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
)


def demo(
    region: Annotated[
        str, typer.Option(help="Kabupaten/kota (or any region) to simulate.")
    ] = "7471",
    seed: Annotated[int, typer.Option(help="Seed of the simulated election.")] = 2024,
    workers: Annotated[int, typer.Option(help="Reader worker processes.")] = 2,
    megapixels: Annotated[float, typer.Option(help="Photo size in megapixels.")] = 3.0,
    errors: Annotated[float, typer.Option(help="Share of TPS whose KPPS makes a mistake.")] = 0.03,
    out: Annotated[Path, typer.Option(help="Folder for the demo's database and photos.")] = Path(
        "var/demo"
    ),
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="End by serving the portal.")
    ] = True,
    port: Annotated[int, typer.Option(help="Port of the portal.")] = 8000,
) -> None:
    """Simulate a kabupaten/kota's election night and push every photo through rekap."""
    started = time.perf_counter()
    tree, election = region_tree(), election_2024()
    try:
        root = KodeWilayah.parse(region)
        name = tree.get(root).nama
    except (InvalidKodeWilayah, UnknownRegion) as error:
        raise typer.BadParameter(str(error), param_hint="--region") from None
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    paths = DemoPaths(out)
    context = context_for(paths)
    upgrade(context.engine)
    SqlStore(context.engine).load_regions(tree)
    console.rule(f"[bold]rekap demo[/]: election night in {name} ({root.value})")
    options = SimulationOptions(error_rate=errors, correction_rate=0.02)
    truth = list(simulate_election(tree, election, root, seed, options))
    paths.truth.write_text("".join(t.to_json_line() + "\n" for t in truth), encoding="utf-8")
    console.print(f"Simulated {len(truth):,} TPS (truth in {paths.truth}).")
    devices = enrol_officers(context, truth)
    console.print(f"Enrolled {len(devices):,} KPPS officers, each with a signing phone key.")

    reader_workers, stop = start_workers(paths, workers)
    client = in_process_client(create_app(context))
    refused = 0
    with Progress(*PROGRESS, console=console) as progress:
        shoot = progress.add_task("Photographing and uploading", total=len(truth) * 3)
        for shots in photographed(truth, seed, (megapixels, megapixels), workers):
            for shot in shots:
                refused += upload(client, devices[shot.kode_tps], shot) not in (200, 201)
                progress.advance(shoot)
        read = progress.add_task("Reading (workers)", total=len(truth) * 3)
        while True:
            waiting = context.photos.count_by_state().get(PhotoState.RECEIVED.value, 0)
            progress.update(read, completed=len(truth) * 3 - waiting)
            if waiting == 0:
                break
            time.sleep(0.5)
    stop.set()
    for worker in reader_workers:
        worker.join(timeout=30)
    if refused:
        console.print(f"[red]{refused} uploads were refused[/]")
    summarise(context, truth, time.perf_counter() - started, console)

    console.rule("[bold]Publication: a signed snapshot, then an independent recount")
    snapshots = out / "snapshots"
    publish(
        out=snapshots,
        db=paths.database_url,
        scope=[root.value] if root.value else None,
        key=out / "snapshot-ed25519.pem",
        workers=workers,
    )
    recount(snapshots, workers=workers)

    console.rule("[bold]Sirekap's own published numbers (1,053 raw API files, DKI Jakarta)")
    import_sirekap(SAMPLE, f"sqlite:///{out / 'sirekap-sample.db'}")
    console.print(
        f"Demo finished in {time.perf_counter() - started:.0f} s. Everything is in {out}/: "
        f"`rekap log verify --db {paths.database_url}` checks the change log."
    )
    if serve:
        from rekap.web.portal.serving import serve_portal
        from rekap.web.portal.settings import PortalSettings

        serve_portal(
            context,
            PortalSettings(snapshots=snapshots),
            port=port,
            announce=console.print,
            landing=f"/wilayah/{root.value}" if root.value else "/",
        )
