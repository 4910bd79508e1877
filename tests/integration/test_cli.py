"""The CLI end to end on real files: validate (no database) and import (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.repository import SqlStore
from rekap.adapters.storage.schema import import_run
from rekap.cli.main import app

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sirekap-raw-sample"
runner = CliRunner()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("import", "validate", "db", "demo", "rules"):
        assert command in result.output


def test_validate_json_lines_cover_every_row() -> None:
    sample = SAMPLE / "sample_tingkat6_tps.zip"
    result = runner.invoke(app, ["validate", "sirekap", str(sample), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 53  # every file of the archive, accepted, empty or rejected
    with_findings = [line for line in lines if line.get("findings")]
    assert with_findings
    finding = with_findings[0]["findings"][0]
    assert set(finding) >= {"rule", "severity", "fields", "message"}
    assert finding["severity"] in ("blocking", "warning")


def test_import_stores_results_and_findings(database_url: str) -> None:
    sample = SAMPLE / "tingkat6_1000data-20240218T122530Z-001.zip"
    result = runner.invoke(app, ["import", "sirekap", str(sample), "--db", database_url])
    assert result.exit_code == 0, result.output
    store = SqlStore(open_engine(database_url))
    # 579 TPS with numbers and 244 whose photos Sirekap published before their numbers
    assert store.result_count("ppwp") == 823
    per_rule = store.findings_per_rule("ppwp")
    assert per_rule["F-SUM-SAH"] == 28
    again = runner.invoke(app, ["import", "sirekap", str(sample), "--db", database_url])
    assert again.exit_code == 0
    assert store.result_count("ppwp") == 823
    assert store.findings_per_rule("ppwp") == per_rule


def test_the_summary_tells_tps_without_a_number_from_those_with(tmp_path: Path) -> None:
    """A CSV row with every number empty (106,859 of Sirekap's national file: 18,397 with
    photos, 88,462 with neither) is accepted as what it is, the summary tells the two apart,
    and the share breaking a rule is of the TPS with numbers."""
    header = (
        "kode_tps,paslon_01,paslon_02,paslon_03,suara_sah,suara_tidak_sah,suara_total,photo_urls"
    )
    rows = [
        "3101011001001,10,20,30,60,1,61,",
        "3101011001002,10,20,30,61,1,62,",  # Σ paslon ≠ suara_sah: blocking
        "3101011001003,,,,,,,",
        "3101011001004,,,,,,,https://example.org/3101011001004-20240214-210000--a.jpg",
    ]
    csv = tmp_path / "tps.csv"
    csv.write_text("\n".join([header, *rows]) + "\n")
    result = runner.invoke(app, ["validate", "sirekap", str(csv)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert (
        "4 TPS accepted (2 of them with no number yet: 1 with photos or an empty chart, "
        "1 listed with neither)" in said
    )
    assert "1 TPS (50.00% of the 2 with numbers) break at least one blocking rule" in said


def test_the_summary_tells_accepted_tps_without_a_number_from_records_left_out() -> None:
    """Sirekap's raw JSON lists TPS with neither numbers nor photos yet (``chart``,
    ``administrasi`` and every image null): left out, and said so in other words than the
    accepted TPS that have photos but no number."""
    result = runner.invoke(app, ["validate", "sirekap", str(SAMPLE)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "823 TPS accepted (245 of them with no number yet: 245 with photos or an empty" in said
    assert "180 left out (a JSON record's null chart and no photo)" in said


def _import_in_turn(database_url: str, *paths: Path) -> str:
    """Import each file in turn; what the last import said, on one line."""
    for path in paths:
        done = runner.invoke(
            app, ["import", "sirekap", str(path), "--db", database_url], env={"COLUMNS": "300"}
        )
        assert done.exit_code == 0, done.output
    return " ".join(done.output.split())


def test_an_older_file_imported_after_a_newer_one_keeps_the_newer(
    database_url: str, tmp_path: Path
) -> None:
    header = (
        "kode_tps,paslon_01,paslon_02,paslon_03,suara_sah,suara_tidak_sah,suara_total,sirekap_ts"
    )
    newer, older = tmp_path / "newer.csv", tmp_path / "older.csv"
    newer.write_text(f"{header}\n3101011001001,11,20,30,61,1,62,2024-02-16 10:00:00\n")
    older.write_text(f"{header}\n3101011001001,10,20,30,60,1,61,2024-02-15 10:00:00\n")
    said = _import_in_turn(database_url, newer, older)
    assert "1 TPS of this file are older (by their ts) than the version already stored" in said
    loaded = SqlStore(open_engine(database_url)).load_result("3101011001001", "ppwp")
    assert loaded is not None and loaded.values["paslon_1"] == 11


def test_a_file_without_ts_after_one_with_is_stored_and_said(
    database_url: str, tmp_path: Path
) -> None:
    dated = "kode_tps,paslon_01,paslon_02,paslon_03,suara_sah,suara_tidak_sah,suara_total,ts"
    undated = "kode_tps,paslon_01,paslon_02,paslon_03,suara_sah,suara_tidak_sah,suara_total"
    first, second = tmp_path / "dated.csv", tmp_path / "undated.csv"
    first.write_text(f"{dated}\n3101011001001,11,20,30,61,1,62,2024-02-16T10:00:00\n")
    second.write_text(f"{undated}\n3101011001001,10,20,30,60,1,61\n")
    said = _import_in_turn(database_url, first, second)
    assert "1 TPS of this file carry no ts and replaced a stored version that had one" in said


def test_a_tps_repeated_across_write_batches_keeps_the_newest_and_its_findings(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored at 10:00; the file gives 09:00 (older: kept) then 11:00 (newer: stored) in
    separate write batches, the 11:00 one in the other ts format; its findings are its own."""
    from rekap.cli import sirekap

    header = "kode_tps,paslon_01,paslon_02,paslon_03,suara_sah,suara_tidak_sah,suara_total,ts"
    stored, repeated = tmp_path / "stored.csv", tmp_path / "repeated.csv"
    stored.write_text(f"{header}\n3101011001001,11,20,30,62,1,63,2024-02-16 10:00:00\n")
    repeated.write_text(
        f"{header}\n3101011001001,10,20,30,61,1,62,2024-02-16 09:00:00\n"
        "3101011001001,12,20,30,62,1,63,2024-02-16T11:00:00\n"
    )
    monkeypatch.setattr(sirekap, "WRITE_BATCH", 1)
    for path in (stored, repeated):
        done = runner.invoke(app, ["import", "sirekap", str(path), "--db", database_url])
        assert done.exit_code == 0, done.output
    assert "older (by their ts)" not in " ".join(done.output.split())
    store = SqlStore(open_engine(database_url))
    loaded = store.load_result("3101011001001", "ppwp")
    assert loaded is not None and loaded.values["paslon_1"] == 12
    assert store.findings_per_rule("ppwp").get("F-SUM-SAH", 0) == 0  # 12 + 20 + 30 = 62


def test_an_import_stores_every_rejected_row_as_it_comes(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rejected rows are stored a batch at a time (a file of garbage does not fill the
    memory); every one is stored and counted, the first few are printed."""
    from rekap.cli import sirekap

    header = "kode_tps,paslon_01,paslon_02,paslon_03,suara_sah,suara_tidak_sah,suara_total"
    bad = [f"31010110010{n:02d},x,1,1,1,0,1" for n in range(1, 26)]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([header, "3101011001001,11,20,30,61,1,62", *bad]) + "\n")
    monkeypatch.setattr(sirekap, "WRITE_BATCH", 4)
    said = _import_in_turn(database_url, path)
    assert "25 rejected" in said and "… and 15 more rejected rows" in said
    store = SqlStore(open_engine(database_url))
    with store.engine.connect() as connection:
        run_id, rejected = connection.execute(
            select(import_run.c.id, import_run.c.rejected).order_by(import_run.c.id.desc())
        ).first()
    assert rejected == 25
    errors = store.import_errors(run_id)
    assert [origin for origin, _, _ in errors] == [f"bad.csv:{n}" for n in range(3, 28)]
    assert "'x' is not a whole number" in errors[0][2]


def test_validate_json_writes_every_rejected_row(tmp_path: Path) -> None:
    header = "kode_tps,paslon_01,paslon_02,paslon_03,suara_sah,suara_tidak_sah,suara_total"
    bad = [f"31010110010{n:02d},x,1,1,1,0,1" for n in range(1, 26)]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([header, "3101011001001,11,20,30,61,1,62", *bad]) + "\n")
    done = runner.invoke(app, ["validate", "sirekap", str(path), "--json"])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert sum("error" in line for line in lines) == 25
    assert [line["kode_tps"] for line in lines if "error" not in line] == ["3101011001001"]
