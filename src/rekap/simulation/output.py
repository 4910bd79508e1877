"""Writing a simulated election to a folder: truth as JSON Lines and Parquet, photos, manifest.

    <out>/simulation.json     what was simulated (seed, root, options), counts
    <out>/tps.jsonl           one `SimulatedTps` per line, in code order (rekap.simulated-tps/1)
    <out>/tps.parquet         the same TPS as a flat table: one int column per form field
    <out>/photos.jsonl        one line per photo (schema rekap.simulated-photo/1)
    <out>/photos/<desa>/<tps>-p<page>.jpg

Files are written in code order with no timestamps, so a seed gives byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from rekap.domain.election import Election
from rekap.domain.region_tree import RegionTree
from rekap.domain.wilayah import KodeWilayah
from rekap.simulation.photo_set import PhotoOptions, photograph_tps
from rekap.simulation.scenario import SimulationOptions, ppwp_form, simulate_election
from rekap.simulation.truth import SimulatedTps

__all__ = ["SIMULATION_SCHEMA", "SimulationSummary", "write_simulation"]

SIMULATION_SCHEMA = "rekap.simulation/1"
Progress = Callable[[SimulatedTps], None]


@dataclass(frozen=True)
class SimulationSummary:
    root: str
    seed: int
    tps: int
    tps_with_errors: int
    photos: int
    out_dir: Path

    def as_json(self) -> dict[str, object]:
        return {
            "root": self.root,
            "seed": self.seed,
            "tps": self.tps,
            "tps_with_errors": self.tps_with_errors,
            "photos": self.photos,
        }


def write_simulation(
    out_dir: Path,
    tree: RegionTree,
    election: Election,
    root: KodeWilayah,
    seed: int,
    options: SimulationOptions | None = None,
    photos: PhotoOptions | None = None,
    progress: Progress | None = None,
) -> SimulationSummary:
    """Simulate every TPS under ``root`` and write truth (and photos when asked) to ``out_dir``."""
    opts = options or SimulationOptions()
    out_dir.mkdir(parents=True, exist_ok=True)
    table = _TruthTable([f.id for f in ppwp_form(election, root).fields], out_dir / "tps.parquet")
    count = errors = photo_count = 0
    with ExitStack() as stack:
        truth = stack.enter_context((out_dir / "tps.jsonl").open("w", encoding="utf-8"))
        manifest = (
            stack.enter_context((out_dir / "photos.jsonl").open("w", encoding="utf-8"))
            if photos
            else None
        )
        stack.callback(table.close)
        for tps in simulate_election(tree, election, root, seed, opts):
            truth.write(tps.to_json_line() + "\n")
            table.add(tps)
            count += 1
            errors += bool(tps.errors)
            if photos is not None and manifest is not None:
                photo_count += _write_photos(out_dir, tps, seed, photos, manifest)
            if progress is not None:
                progress(tps)
    summary = SimulationSummary(root.value, seed, count, errors, photo_count, out_dir)
    description = {
        "schema": SIMULATION_SCHEMA,
        **summary.as_json(),
        "options": _options_json(opts),
        "photo_options": None if photos is None else _photo_options_json(photos),
    }
    text = json.dumps(description, ensure_ascii=False, indent=1, sort_keys=True)
    (out_dir / "simulation.json").write_text(text + "\n", encoding="utf-8")
    return summary


class _TruthTable:
    """The flat Parquet table, written in batches (a whole country does not fit in lists)."""

    BATCH = 20_000

    def __init__(self, field_ids: list[str], path: Path) -> None:
        self._ids = field_ids
        text = ("kode", "jenis", "errors")
        self._schema = pa.schema(
            [(name, pa.string()) for name in text] + [(f, pa.int16()) for f in field_ids]
        )
        self._writer = pq.ParquetWriter(path, self._schema)
        self._rows: list[SimulatedTps] = []

    def add(self, tps: SimulatedTps) -> None:
        self._rows.append(tps)
        if len(self._rows) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        rows = self._rows
        data: dict[str, list[object]] = {
            "kode": [t.kode.value for t in rows],
            "jenis": [t.jenis.value for t in rows],
            "errors": [",".join(e.kind.value for e in t.errors) for t in rows],
        }
        for field_id in self._ids:
            data[field_id] = [t.values[field_id] for t in rows]
        self._writer.write_table(pa.table(data, schema=self._schema))
        self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def _write_photos(
    out_dir: Path, tps: SimulatedTps, seed: int, photos: PhotoOptions, manifest: TextIO
) -> int:
    folder = out_dir / "photos" / tps.kode.value[:10]
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for shot in photograph_tps(tps, seed, photos):
        (folder / shot.name).write_bytes(shot.photo.jpeg)
        relative = f"photos/{tps.kode.value[:10]}/{shot.name}"
        line = json.dumps(shot.record(relative), ensure_ascii=False, separators=(",", ":"))
        manifest.write(line + "\n")
        written += 1
    return written


def _options_json(opts: SimulationOptions) -> dict[str, object]:
    return {
        "params": asdict(opts.params),
        "error_rate": opts.error_rate,
        "error_kinds": [k.value for k in opts.error_kinds],
        "correction_rate": opts.correction_rate,
        "writer_pool": opts.writer_pool,
    }


def _photo_options_json(photos: PhotoOptions) -> dict[str, object]:
    return {
        "pages": list(photos.pages),
        "megapixels": list(photos.megapixels),
        "corner_rate": photos.corner_rate,
        "corner_cases": [c.value for c in photos.corner_cases],
        "glyph_variants": photos.glyph_variants,
    }
