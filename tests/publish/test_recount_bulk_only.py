"""`rekap recount --bulk-only`: the signature, the files the manifest names and the totals
recounted from the bulk data, without the JSON trees (over HTTP: test_recount_url.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rekap.cli.main import app
from rekap.recount.problems import Kind
from rekap.recount.run import BULK_ONLY_NOTE, recount
from tests.publish.conftest import Publisher, make_records

runner = CliRunner()
WIDE = {"COLUMNS": "300"}


@pytest.fixture
def snapshot(publish_small: Publisher) -> Path:
    return Path(publish_small(make_records(9)).location)


def _manifest_files(snapshot: Path) -> set[str]:
    return set(json.loads((snapshot / "manifest.json").read_bytes())["files"])


def test_a_fresh_snapshot_agrees_with_the_full_recounts_totals(snapshot: Path) -> None:
    full = recount(snapshot, workers=1)
    bulk = recount(snapshot, workers=1, bulk_only=True)
    assert bulk.ok, [str(p) for p in bulk.problems]
    assert bulk.nasional == full.nasional
    assert bulk.checked["files hashed"] == len(_manifest_files(snapshot))
    assert bulk.checked["regions compared (table)"] == full.checked["regions compared (table)"]
    assert bulk.checked["documents compared"] == 0
    listed = len((snapshot / "SHA256SUMS").read_text().splitlines())
    named = len(_manifest_files(snapshot))
    expected = BULK_ONLY_NOTE.format(
        files=f"{listed:,}", named=f"{named:,}", trees=f"{listed - named:,}"
    )
    assert expected in bulk.notes
    # the full recount hashed every listed file and SHA256SUMS itself
    assert full.checked["files hashed"] == listed + 1


def test_a_changed_bulk_file_fails_it(snapshot: Path) -> None:
    parquet = snapshot / "data/tps-ppwp.parquet"
    parquet.write_bytes(parquet.read_bytes()[:-100])
    report = recount(snapshot, workers=1, bulk_only=True)
    assert (Kind.TRUNCATED, "data/tps-ppwp.parquet") in {(p.kind, p.path) for p in report.problems}
    assert not report.nasional  # nothing recounted from a file that failed its hash


def test_a_bad_signature_fails_it(snapshot: Path) -> None:
    manifest = snapshot / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"contest"', b'"contest" ', 1))
    kinds = {p.kind for p in recount(snapshot, workers=1, bulk_only=True).problems}
    assert Kind.SIGNATURE in kinds


def test_it_leaves_the_trees_out_and_says_so(snapshot: Path) -> None:
    (snapshot / "pemilu/hhcw/ppwp/11.json").write_text("{}")
    (snapshot / "stray.txt").write_text("not listed")
    assert not recount(snapshot, workers=1).ok
    bulk = recount(snapshot, workers=1, bulk_only=True)
    assert bulk.ok  # what --bulk-only does not check, its note says
    assert any(note.startswith("--bulk-only: of the ") for note in bulk.notes)


def test_the_command_prints_the_note_and_refuses_deep_with_it(snapshot: Path) -> None:
    agreed = runner.invoke(app, ["recount", str(snapshot), "--bulk-only"], env=WIDE)
    assert agreed.exit_code == 0, agreed.output
    assert "--bulk-only: of the " in agreed.output
    assert "Recount agrees with the snapshot" in agreed.output
    both = runner.invoke(app, ["recount", str(snapshot), "--bulk-only", "--deep"], env=WIDE)
    assert both.exit_code == 2
    assert "exclude each other" in both.output
