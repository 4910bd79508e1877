"""The commands end to end on SQLite and PostgreSQL: import Sirekap's sample, keep the live
tally, publish a snapshot, recount it; a tampered snapshot fails the recount."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.cli.main import app

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sirekap-raw-sample"
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("publishing_in_2100")


def test_import_publish_recount(database_url: str, tmp_path: Path) -> None:
    db = ["--db", database_url]
    imported = runner.invoke(
        app, ["import", "sirekap", str(SAMPLE / "sample_tingkat6_tps.zip"), *db]
    )
    assert imported.exit_code == 0, imported.output
    tally = runner.invoke(app, ["tally", "--rebuild", "--scope", "3101", "--region", "3101", *db])
    assert tally.exit_code == 0, tally.output
    assert runner.invoke(app, ["tally", "--check", "--scope", "3101", *db]).exit_code == 0
    out = tmp_path / "snapshots"
    key = tmp_path / "key.pem"
    args = ["--out", str(out), "--scope", "3101", "--key", str(key), "--workers", "1"]
    published = runner.invoke(app, ["publish", *args, "--at", "2099-02-20T06:00:00+00:00", *db])
    assert published.exit_code == 0, published.output
    folder = out / (out / "latest").read_text().strip()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts"]["tps_with_result"] > 0
    root = json.loads((folder / "rekap" / "ppwp.json").read_text())
    assert root["scope"] == ["3101"]  # the nation of a scoped snapshot is its scope's sum
    assert manifest["log_head"] is None or manifest["log_head"]["sequence"] >= 1
    checked = runner.invoke(app, ["recount", str(out), "--workers", "1"])
    assert checked.exit_code == 0, checked.output
    assert "agrees" in checked.output
    assert "Hashing the " in checked.output  # what it is doing, said as it starts
    again = runner.invoke(app, ["publish", *args, "--at", "2099-02-20T07:00:00+00:00", *db])
    assert again.exit_code == 0, again.output
    latest = out / (out / "latest").read_text().strip()
    summary = json.loads((latest / "diff" / "summary.json").read_text())
    assert summary["previous"]["snapshot_id"] == folder.name
    assert summary["tps"]["changed"] == 0
    first_sha = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    logged = [
        r.payload
        for r in EventLog(open_engine(database_url)).records()
        if r.kind == "snapshot.published"
    ]
    assert logged[0] == {"snapshot": folder.name, "manifest_sha256": first_sha}
    head = json.loads((latest / "manifest.json").read_text())["log_head"]
    assert head is not None and head["sequence"] >= 1  # the log holds the first publication
    chart = latest / "pemilu" / "hhcw" / "ppwp" / "31" / "3101.json"
    chart.write_text(chart.read_text().replace('"progres":{', '"progres":{"x":1,', 1))
    failed = runner.invoke(app, ["recount", str(latest), "--workers", "1"])
    assert failed.exit_code == 1
    assert "corrupted file" in failed.output


def test_publish_refuses_bad_options(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'r.db'}", "--out", str(tmp_path / "out")]
    no_zone = runner.invoke(app, ["publish", *db, "--at", "2099-02-20T06:00:00"])
    assert no_zone.exit_code == 2
    unknown = runner.invoke(app, ["publish", *db, "--scope", "0000"])
    assert unknown.exit_code == 2
    assert "Not in the region tree" in unknown.output
