"""Sirekap's photos end to end, on SQLite and PostgreSQL: each image keeps its page through the
import, the store and every published form of it (bulk data, desa records, Sirekap TPS files);
a TPS with photos and no number yet is received; a deep recount names a photo moved."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from rekap.adapters.keys import load_or_create
from rekap.cli.main import app
from rekap.recount.problems import Kind
from rekap.recount.run import recount
from tests.publish.test_recount import _reseal

DESA = "3101011001"
A, B, C = (f"https://sirekap-obj-formc.kpu.go.id/x/{n}.jpg" for n in "abc")
NUMBERS = {
    "chart": {"100025": 83, "100026": 107, "100027": 38},
    "administrasi": {"suara_sah": 228, "suara_tidak_sah": 5, "suara_total": 233},
    "ts": "2024-02-16 16:25:10",
}
TPS = {  # the images as Sirekap gives them, and the bulk data's photos
    "001": ({**NUMBERS, "images": [A, None, B]}, f"{A} - {B}"),
    "002": ({"chart": None, "administrasi": None, "images": [None, C, None]}, f"- {C}"),
    "003": ({"chart": None, "administrasi": None, "images": [None, None, None]}, ""),
}
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("publishing_in_2100")


def _sample(tmp_path: Path) -> Path:
    archive = tmp_path / "sample.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for nomor, (record, _) in TPS.items():
            z.writestr(f"d/{DESA}{nomor}.json", json.dumps(record))
    return archive


def test_each_photo_keeps_its_page_from_import_to_recount(
    database_url: str, tmp_path: Path
) -> None:
    db = ["--db", database_url]
    imported = runner.invoke(app, ["import", "sirekap", str(_sample(tmp_path)), *db])
    assert imported.exit_code == 0, imported.output
    out, key = tmp_path / "snapshots", tmp_path / "key.pem"
    args = ["--out", str(out), "--scope", "3101", "--key", str(key), "--workers", "1"]
    published = runner.invoke(app, ["publish", *args, "--at", "2099-02-20T06:00:00+00:00", *db])
    assert published.exit_code == 0, published.output
    folder = out / (out / "latest").read_text().strip()

    rows = pq.read_table(folder / "data" / "tps-ppwp.parquet").to_pylist()
    bulk = {r["kode_tps"]: r for r in rows if r["kode_tps"].startswith(DESA)}
    for nomor, (_, photos) in TPS.items():
        assert bulk[DESA + nomor]["photos"] == photos, nomor
    assert bulk[DESA + "002"]["stage"] == "received"  # photos, no number yet
    assert not bulk[DESA + "002"]["has_result"]
    assert bulk[DESA + "003"]["stage"] == "none"
    with gzip.open(folder / "data" / "tps-ppwp.jsonl.gz", "rt") as lines:
        assert [json.loads(n)["photos"] for n in lines if f'"{DESA}001"' in n] == [f"{A} - {B}"]

    hhcw = folder / "pemilu" / "hhcw" / "ppwp" / "31" / "3101" / "310101" / DESA
    for nomor, (record, _) in TPS.items():
        assert json.loads((hhcw / f"{DESA}{nomor}.json").read_text())["images"] == record["images"]
    desa_file = f"rekap/ppwp/31/3101/310101/{DESA}/tps.json"
    records = {r["kode"]: r for r in json.loads((folder / desa_file).read_text())["tps"]}
    assert records[DESA + "001"]["photos"] == [A, None, B]
    assert records[DESA + "002"]["photos"] == [None, C]
    desa = json.loads((folder / f"rekap/ppwp/31/3101/310101/{DESA}.json").read_text())
    assert desa["coverage"]["received"] >= 2

    assert recount(folder, workers=1, deep=True).ok
    # a publisher that put page 3's photo in page 2's place, then re-signed: named
    signer = load_or_create(key)
    sirekap_file = f"pemilu/hhcw/ppwp/31/3101/310101/{DESA}/{DESA}001.json"
    document = json.loads((folder / sirekap_file).read_text())
    document["images"] = [A, B, None]
    (folder / sirekap_file).write_text(json.dumps(document))
    _reseal(folder, signer, sirekap_file)
    tampered = json.loads((folder / desa_file).read_text())
    tampered["tps"][0]["photos"] = [A, B]
    (folder / desa_file).write_text(json.dumps(tampered))
    _reseal(folder, signer, desa_file)
    assert recount(folder, workers=1).ok  # TPS documents are hashed only, without --deep
    problems = recount(folder, workers=1, deep=True).problems
    named = {(p.kind, p.path) for p in problems}
    assert named == {(Kind.MISMATCH, sirekap_file), (Kind.MISMATCH, desa_file)}, problems
    details = " ".join(p.detail for p in problems)
    assert "images" in details and "photos" in details and "differ from the bulk" in details
