"""`rekap simulate`: writes the truth (and photos) of a region, refuses bad input clearly."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rekap.cli.main import app

runner = CliRunner()


def test_simulate_writes_truth_and_photos(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    args = ["simulate", "--region", "3310172006", "--seed", "2", "--out", str(out), "--photos"]
    result = runner.invoke(app, [*args, "--pages", "3", "--errors", "1", "--megapixels", "3"])
    assert result.exit_code == 0, result.output
    lines = (out / "tps.jsonl").read_text().splitlines()
    assert len(lines) == 3 and all("errors" in json.loads(line) for line in lines)
    assert len((out / "photos.jsonl").read_text().splitlines()) == 3
    assert len(list((out / "photos").rglob("*.jpg"))) == 3


def test_simulate_refuses_an_unknown_region_and_bad_pages(tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["simulate", "--region", "3310179999", "--out", str(tmp_path)])
    assert unknown.exit_code != 0
    pages = ["simulate", "--region", "3310172006", "--photos", "--pages", "4"]
    bad = runner.invoke(app, [*pages, "--out", str(tmp_path)])
    assert bad.exit_code != 0
