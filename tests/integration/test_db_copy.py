"""`rekap db copy`: a pilot's SQLite election moved to PostgreSQL and back, whole: the log
verifies, every table has its rows, accounts still log in, and the copy takes new work (its
row numbers and the log continue)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.schema import metadata
from rekap.cli.main import app
from tests.integration.conftest import _postgres_database

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sirekap-raw-sample"
runner = CliRunner()


def _counts(url: str) -> dict[str, int]:
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: int(connection.execute(select(func.count()).select_from(t)).scalar_one())
                for name, t in metadata.tables.items()
            }
    finally:
        engine.dispose()


def _ok(arguments: list[str]) -> str:
    done = runner.invoke(app, arguments, env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    return done.output


def test_an_election_moves_to_postgresql_and_back(tmp_path: Path) -> None:
    pilot = f"sqlite:///{tmp_path / 'pilot.db'}"
    _ok(["import", "sirekap", str(SAMPLE / "sample_tingkat6_tps.zip"), "--db", pilot])
    token = json.loads(_ok(["admin", "create", "root", "--db", pilot]))["token"]
    before = _counts(pilot)
    assert before["event"] > 0 and before["tps_result"] > 0 and before["import_run"] > 0
    for national in _postgres_database():
        said = _ok(["db", "copy", "--db", pilot, "--to", national])
        assert "the log's head: event" in said
        assert _counts(national) == before
        _ok(["log", "verify", "--db", national])
        engine = open_engine(national)
        principal = AccountStore(engine, EventLog(engine)).authenticate(token)
        engine.dispose()
        assert principal is not None and principal.name == "root"
        # new work continues the copied numbering: an import run, events after the head
        _ok(["import", "sirekap", str(SAMPLE / "sample_tingkat6_tps.zip"), "--db", national])
        _ok(["admin", "create", "second", "--db", national])
        _ok(["log", "verify", "--db", national])
        grown = _counts(national)
        assert grown["import_run"] == before["import_run"] + 1
        assert grown["account"] == before["account"] + 1
        # a target that holds rows is refused, and left as it was
        again = runner.invoke(app, ["db", "copy", "--db", pilot, "--to", national])
        assert again.exit_code == 2 and "alreadyholdsrows" in "".join(again.output.split())
        assert _counts(national) == grown
        # and home again, into one file
        home = f"sqlite:///{tmp_path / 'home.db'}"
        _ok(["db", "copy", "--db", national, "--to", home])
        assert _counts(home) == grown
        _ok(["log", "verify", "--db", home])


def test_a_database_is_not_copied_onto_itself(tmp_path: Path) -> None:
    pilot = f"sqlite:///{tmp_path / 'pilot.db'}"
    _ok(["admin", "create", "root", "--db", pilot])
    refused = runner.invoke(app, ["db", "copy", "--db", pilot, "--to", pilot])
    assert refused.exit_code == 2 and "copied from" in refused.output
