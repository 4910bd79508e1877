"""The simulation folder: byte-identical for a seed, readable truth, one photo per page slot."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq

from rekap.data import election_2024, region_tree
from rekap.domain.wilayah import KodeWilayah
from rekap.simulation.output import write_simulation
from rekap.simulation.photo_set import PhotoOptions
from rekap.simulation.scenario import SimulationOptions

TREE = region_tree()
ELECTION = election_2024()
DESA = KodeWilayah("3310172006")  # 3 TPS
OPTIONS = SimulationOptions(error_rate=0.5)
PHOTOS = PhotoOptions(pages=(2, 3), megapixels=(3.0, 3.0))


def test_the_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    first = write_simulation(tmp_path / "a", TREE, ELECTION, DESA, 4, OPTIONS, PHOTOS)
    write_simulation(tmp_path / "b", TREE, ELECTION, DESA, 4, OPTIONS, PHOTOS)
    write_simulation(tmp_path / "c", TREE, ELECTION, DESA, 5, OPTIONS, PHOTOS)
    names = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    assert len(names) == 4 + 3 * 2
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a/tps.jsonl").read_bytes() != (tmp_path / "c/tps.jsonl").read_bytes()
    assert first.tps == 3 and first.photos == 6


def test_truth_manifest_and_table_agree(tmp_path: Path) -> None:
    summary = write_simulation(tmp_path, TREE, ELECTION, DESA, 4, OPTIONS, PHOTOS)
    truth = [json.loads(line) for line in (tmp_path / "tps.jsonl").read_text().splitlines()]
    assert [t["kode"] for t in truth] == ["3310172006001", "3310172006002", "3310172006003"]
    table = pq.read_table(tmp_path / "tps.parquet").to_pylist()
    assert [row["kode"] for row in table] == [t["kode"] for t in truth]
    for row, line in zip(table, truth, strict=True):
        assert all(row[k] == v for k, v in line["values"].items())
    manifest = [json.loads(line) for line in (tmp_path / "photos.jsonl").read_text().splitlines()]
    assert [(m["kode"], m["page"]) for m in manifest] == [
        (t["kode"], p) for t in truth for p in (2, 3)
    ]
    by_kode = {t["kode"]: t for t in truth}
    for record in manifest:
        values = by_kode[record["kode"]]["values"]
        assert all(values[k] == v for k, v in record["fields"].items())
        image = cv2.imread(str(tmp_path / record["image"]))
        assert image.shape[:2] == (record["height"], record["width"])
        assert np.asarray(record["page_to_photo"]).shape == (3, 3)
    described = json.loads((tmp_path / "simulation.json").read_text())
    assert described["tps"] == summary.tps == 3
    assert described["seed"] == 4 and described["root"] == DESA.value


def test_without_photos_only_truth_is_written(tmp_path: Path) -> None:
    seen: list[str] = []
    write_simulation(
        tmp_path, TREE, ELECTION, DESA, 4, progress=lambda t: seen.append(t.kode.value)
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "simulation.json",
        "tps.jsonl",
        "tps.parquet",
    ]
    assert len(seen) == 3
