"""The change log in the store: imports are logged, re-imports log each changed number (and
where the new numbers came from), and tampering with a stored event makes `rekap log verify`
fail and name the record."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from rekap.adapters.keys import load_or_create
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.cli.main import app
from rekap.events.model import ValueChanged

runner = CliRunner()


def write_sample(path: Path, paslon_1: int) -> Path:
    record = {
        "chart": {"100025": paslon_1, "100026": 107, "100027": 38},
        "administrasi": {"suara_sah": 228, "suara_tidak_sah": 5, "suara_total": 233},
        "ts": "2024-02-16 16:25:10",
    }
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x/3101011001001.json", json.dumps(record))
        archive.writestr("x/3101011001002.json", json.dumps({**record, "ts": "2024-02-16"}))
    return path


def test_imports_are_logged_and_tampering_is_named(database_url: str, tmp_path: Path) -> None:
    first = write_sample(tmp_path / "a.zip", 83)
    assert (
        runner.invoke(app, ["import", "sirekap", str(first), "--db", database_url]).exit_code == 0
    )
    again = runner.invoke(app, ["import", "sirekap", str(first), "--db", database_url])
    assert again.exit_code == 0
    log = EventLog(open_engine(database_url))
    assert [r.kind for r in log.records()] == ["result.imported", "result.imported"]

    changed = write_sample(tmp_path / "b.zip", 84)
    assert (
        runner.invoke(app, ["import", "sirekap", str(changed), "--db", database_url]).exit_code == 0
    )
    history = log.history("3101011001001")
    kinds = ["result.imported", "result.value_changed", "result.source_changed"]
    assert [r.kind for r in history] == kinds
    change = history[1].payload
    assert (change["field"], change["before"], change["after"]) == ("paslon_1", 83, 84)
    assert history[1].actor == "import:sirekap"
    moved = history[2].payload  # the new numbers came from b.zip's record
    assert (moved["before"], moved["after"]) == (
        "a.zip!x/3101011001001.json",
        "b.zip!x/3101011001001.json",
    )

    shown = runner.invoke(app, ["log", "show", "3101011001001", "--db", database_url, "--json"])
    assert shown.exit_code == 0
    assert len(shown.stdout.strip().splitlines()) == 3

    verified = runner.invoke(app, ["log", "verify", "--db", database_url])
    assert verified.exit_code == 0, verified.output
    assert "Intact" in verified.output

    key_file = tmp_path / "server.pem"
    key = load_or_create(key_file)
    assert log.sign_head(key, datetime.now(UTC)) is not None
    assert log.sign_head(key, datetime.now(UTC)) is None  # the same head is signed once
    # two servers of one database signing the same head at once: the second write is no error
    (head,) = log.heads()
    assert log.save_head(head) is False
    assert len(log.heads()) == 1
    with_key = ["log", "verify", "--db", database_url, "--key", str(key_file)]
    signed = runner.invoke(app, with_key)
    assert signed.exit_code == 0, signed.output
    assert "1 signed" in " ".join(signed.output.split())
    other_key = ["log", "verify", "--db", database_url, "--key", str(tmp_path / "other.pem")]
    load_or_create(tmp_path / "other.pem")
    assert runner.invoke(app, other_key).exit_code == 1  # signed by a key we do not trust

    with open_engine(database_url).begin() as connection:
        connection.execute(
            text("UPDATE tps_result SET fields = :f WHERE kode_tps = '3101011001002'"),
            {"f": json.dumps({"paslon_1": 1, "paslon_2": 107, "paslon_3": 38})},
        )
    quiet_edit = runner.invoke(app, with_key)
    assert quiet_edit.exit_code == 1
    assert "Unlogged change" in quiet_edit.output
    assert "3101011001002" in quiet_edit.output

    with open_engine(database_url).begin() as connection:
        connection.execute(text("UPDATE event SET actor = 'someone' WHERE sequence = 2"))
    broken = runner.invoke(app, with_key)
    assert broken.exit_code == 1
    assert "Broken at event 2" in broken.output


def test_a_chained_event_that_cannot_be_replayed_is_named(
    database_url: str, tmp_path: Path
) -> None:
    """A log whose links all hold but whose number is written as text (as a forger rewriting
    the chain, or a writer's bug, could leave it) is broken, named by its event; not a crash."""
    sample = write_sample(tmp_path / "a.zip", 83)
    assert (
        runner.invoke(app, ["import", "sirekap", str(sample), "--db", database_url]).exit_code == 0
    )
    log = EventLog(open_engine(database_url))
    odd = ValueChanged("3101011001001", "ppwp", "paslon_1", 83, "84")  # type: ignore[arg-type]
    with open_engine(database_url).begin() as connection:
        (appended,) = log.append(connection, [odd], datetime.now(UTC), "someone", "test")
    verified = runner.invoke(app, ["log", "verify", "--db", database_url])
    assert verified.exit_code == 1, verified.output
    said = " ".join(verified.output.split())
    assert f"Broken: event {appended.sequence} cannot be replayed" in said
    assert "'84' is not a JSON integer" in said
