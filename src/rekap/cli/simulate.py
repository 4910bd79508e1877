"""`rekap simulate`: a simulated election night with ground truth, optionally photographed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rekap.data import election_2024, region_tree
from rekap.domain.region_tree import UnknownRegion
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah, Level
from rekap.simulation.output import write_simulation
from rekap.simulation.photo import CornerCase
from rekap.simulation.photo_set import PhotoOptions
from rekap.simulation.scenario import SimulationOptions
from rekap.simulation.truth import SimulatedTps

console = Console(stderr=True)


def _pages(text: str) -> tuple[int, ...]:
    try:
        pages = tuple(sorted({int(p) for p in text.split(",") if p.strip()}))
    except ValueError:
        raise typer.BadParameter(f"pages must be a list like 1,2,3, not {text!r}") from None
    if not pages or any(p not in (1, 2, 3) for p in pages):
        raise typer.BadParameter(f"pages must be among 1,2,3, not {text!r}")
    return pages


def _range(text: str) -> tuple[float, float]:
    try:
        low, _, high = text.partition("-")
        return float(low), float(high or low)
    except ValueError:
        raise typer.BadParameter(f"megapixels must be like 3-12 or 8, not {text!r}") from None


def simulate(
    region: Annotated[
        str, typer.Option("--region", help="Kode wilayah of the subtree: provinsi … TPS, or ''.")
    ] = "3310052013",
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same files.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder to write the simulation to.")] = Path(
        "var/simulation"
    ),
    photos: Annotated[
        bool, typer.Option("--photos/--no-photos", help="Photograph the pages.")
    ] = False,
    pages: Annotated[str, typer.Option(help="Pages to photograph, e.g. 1,2,3.")] = "1,2,3",
    errors: Annotated[float, typer.Option(help="Share of TPS whose KPPS makes a mistake.")] = 0.0,
    corrections: Annotated[
        float, typer.Option(help="Share of TPS with a crossed-out value.")
    ] = 0.02,
    corner_cases: Annotated[
        float, typer.Option(help="Share of photos with a corner case (cut, wrong page, …).")
    ] = 0.0,
    megapixels: Annotated[str, typer.Option(help="Photo size range, e.g. 3-12.")] = "3-12",
    writer_pool: Annotated[
        int, typer.Option(help="Distinct handwritings (0: one per TPS; N: faster photos).")
    ] = 0,
) -> None:
    """Simulate an election for a region, with the truth of every number (and photos)."""
    try:
        root = KodeWilayah.parse(region)
        tree = region_tree()
        total = 1 if root.level is Level.TPS else tree.tps_count(root)
        tree.get(root if root.level is not Level.TPS else KodeWilayah(root.value[:10]))
        options = SimulationOptions(
            error_rate=errors, correction_rate=corrections, writer_pool=writer_pool
        )
        photo_options = (
            PhotoOptions(
                pages=_pages(pages),
                megapixels=_range(megapixels),
                corner_rate=corner_cases,
                corner_cases=tuple(CornerCase),
            )
            if photos
            else None
        )
    except (InvalidKodeWilayah, UnknownRegion, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("TPS"),
        TimeElapsedColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"Simulating {root.value or 'Indonesia'}", total=total)

        def advance(_: SimulatedTps) -> None:
            progress.advance(task)

        try:
            summary = write_simulation(
                out, tree, election_2024(), root, seed, options, photo_options, advance
            )
        except KeyError as error:
            raise typer.BadParameter(str(error)) from None
    seconds = time.perf_counter() - started
    console.print(
        f"[bold]{summary.tps:,}[/] TPS simulated ({summary.tps_with_errors:,} with a mistake), "
        f"{summary.photos:,} photos, in {seconds:.1f} s → {out}"
    )
