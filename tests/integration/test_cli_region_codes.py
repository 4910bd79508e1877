"""A code that is not in the region tree is named as such by the commands that take one
(exit 2), never answered as if the region or TPS were there with nothing stored yet."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rekap.cli.main import app
from tests.integration.test_change_log import write_sample

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    """A database with two imported TPS of desa 3101011001 and its stored tally."""
    url = ["--db", f"sqlite:///{tmp_path / 'rekap.db'}"]
    sample = write_sample(tmp_path / "a.zip", 83)
    imported = runner.invoke(app, ["import", "sirekap", str(sample), *url])
    assert imported.exit_code == 0, imported.output
    rebuilt = runner.invoke(app, ["tally", "--rebuild", *url])
    assert rebuilt.exit_code == 0, rebuilt.output
    return url


def test_tally_names_a_region_not_in_the_tree(db: list[str]) -> None:
    shown = runner.invoke(app, ["tally", "--region", "3101011001", *db], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    for code in ("74710110", "3101011001001", "9999"):
        unknown = runner.invoke(app, ["tally", "--region", code, *db])
        assert unknown.exit_code == 2, unknown.output
        assert f"Not in the region tree: {code}" in unknown.output
        assert "No stored tally" not in unknown.output


def test_tally_refuses_an_unknown_scope_before_rebuilding(db: list[str]) -> None:
    """A rebuild over a scope of no region would have stored an empty tally over the real one."""
    refused = runner.invoke(app, ["tally", "--rebuild", "--scope", "0000", *db])
    assert refused.exit_code == 2, refused.output
    assert "Not in the region tree: 0000" in refused.output
    kept = runner.invoke(app, ["tally", "--check", *db])
    assert kept.exit_code == 0, kept.output
    assert "Stored tally = rebuild" in kept.output


def test_log_show_names_a_code_that_is_no_tps(db: list[str]) -> None:
    logged = runner.invoke(app, ["log", "show", "3101011001001", "--json", *db])
    assert logged.exit_code == 0 and logged.stdout.strip()
    quiet = runner.invoke(app, ["log", "show", "3101011001003", *db])
    assert quiet.exit_code == 0, quiet.output
    assert "No change logged for TPS 3101011001003 yet" in quiet.output
    for code in ("74710110", "7471011001999", "[bold]x"):
        unknown = runner.invoke(app, ["log", "show", code, *db])
        assert unknown.exit_code == 2, unknown.output
        assert "Not a TPS of the region tree" in unknown.output and code in unknown.output
