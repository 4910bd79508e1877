"""`rekap publish` never publishes what the previous snapshot's database would not: it creates
no database, refuses a change log that does not continue the previous snapshot's (unless
--new-log says so), and a snapshot time before the previous snapshot's or the newest event's.
Each refusal leaves `latest` as it was."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import inspect
from typer.testing import CliRunner

from rekap.adapters.keys import load_or_create
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.cli.main import app

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sirekap-raw-sample"
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("publishing_in_2100")
EARLY, LATE = "2099-02-20T06:00:00Z", "2099-02-20T07:00:00Z"


def _said(result: Result, text: str) -> bool:
    return "".join(text.split()) in "".join(result.output.split())


def _import(database: str) -> None:
    done = runner.invoke(
        app, ["import", "sirekap", str(SAMPLE / "sample_tingkat6_tps.zip"), "--db", database]
    )
    assert done.exit_code == 0, done.output


def _publish(database: str, out: Path, at: str | None = None, *more: str) -> Result:
    args = ["publish", "--db", database, "--out", str(out), "--scope", "3101", "--workers", "1"]
    args += ["--key", str(out.parent / "key.pem"), *(["--at", at] if at else []), *more]
    return runner.invoke(app, [*args])


def _latest(out: Path) -> str:
    return (out / "latest").read_text().strip()


def _no_key_made(out: Path, result: Result) -> None:
    """A refused publication makes no signing key (a key is made by the first publication
    that goes ahead) and says nothing of one."""
    assert not (out.parent / "key.pem").exists(), result.output
    assert not _said(result, "a new one was made"), result.output


def test_a_sqlite_file_that_is_not_there_is_named_and_not_made(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for given in (f"sqlite:///{tmp_path / 'typo.db'}", str(tmp_path / "typo.db")):
        refused = _publish(given, out)
        assert refused.exit_code == 2, refused.output
        assert _said(refused, f"No database at {tmp_path / 'typo.db'}"), refused.output
        assert not (tmp_path / "typo.db").exists()
        assert not out.exists()
        _no_key_made(out, refused)


def test_a_database_without_rekaps_schema_is_refused(database_url: str, tmp_path: Path) -> None:
    """A fresh PostgreSQL database, or an empty SQLite file: no tables are made in it."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).touch()
    refused = _publish(database_url, tmp_path / "out")
    assert refused.exit_code == 2, refused.output
    assert _said(refused, "holds no rekap schema"), refused.output
    assert inspect(open_engine(database_url)).get_table_names() == []
    assert not (tmp_path / "out").exists()
    _no_key_made(tmp_path / "out", refused)


def test_another_databases_log_is_refused_over_a_snapshot(
    database_url: str, tmp_path: Path
) -> None:
    _import(database_url)
    out = tmp_path / "out"
    first = _publish(database_url, out, EARLY)
    assert first.exit_code == 0, first.output
    other = f"sqlite:///{tmp_path / 'other.db'}"
    _import(other)  # the same results, another log: its events have other times and hashes
    refused = _publish(other, out, LATE)
    assert refused.exit_code == 2, refused.output
    assert _said(refused, "it is not the database that snapshot was published from")
    assert _said(refused, "--new-log")
    assert _latest(out) == "20990220T060000Z"
    assert not (out / "20990220T070000Z").exists()
    forced = _publish(other, out, LATE, "--new-log")
    assert forced.exit_code == 0, forced.output
    assert _latest(out) == "20990220T070000Z"
    published = [r for r in EventLog(open_engine(other)).records() if r.kind.startswith("snap")]
    assert "--new-log" in published[-1].reason


def test_the_same_databases_next_snapshot_is_published(database_url: str, tmp_path: Path) -> None:
    _import(database_url)
    out = tmp_path / "out"
    assert _publish(database_url, out, EARLY).exit_code == 0
    _import(database_url)  # more events after the head the snapshot names
    again = _publish(database_url, out, LATE)
    assert again.exit_code == 0, again.output
    assert _latest(out) == "20990220T070000Z"


def test_a_snapshot_time_before_the_previous_snapshots_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    _import(database_url)
    out = tmp_path / "out"
    assert _publish(database_url, out, LATE).exit_code == 0
    refused = _publish(database_url, out, EARLY)
    assert refused.exit_code == 2, refused.output
    assert _said(refused, "is before that of the previous snapshot 20990220T070000Z")
    assert _latest(out) == "20990220T070000Z"
    assert not (out / "20990220T060000Z").exists()


def test_a_snapshot_time_before_the_newest_event_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    _import(database_url)  # its events are recorded now
    out = tmp_path / "out"
    refused = _publish(database_url, out, "2024-02-20T00:00:00+07:00")
    assert refused.exit_code == 2, refused.output
    assert _said(refused, "is before the newest event it reflects"), refused.output
    assert not out.exists()
    _no_key_made(out, refused)
    now = _publish(database_url, out)  # the default time follows the log
    assert now.exit_code == 0, now.output
    manifest = json.loads((out / _latest(out) / "manifest.json").read_text())
    head = list(EventLog(open_engine(database_url)).records())[manifest["log_head"]["sequence"] - 1]
    assert datetime.fromisoformat(manifest["created_at"]) >= head.at.replace(microsecond=0)


def test_a_snapshot_time_still_to_come_is_refused_and_blocks_nothing(
    database_url: str, tmp_path: Path, publishing_in_2100: datetime
) -> None:
    """A mistyped year (`--at 2204-…`) would otherwise publish a snapshot that claims numbers
    not yet known and refuse every later publication as "before the previous snapshot" until
    that time comes."""
    _import(database_url)
    out = tmp_path / "out"
    events = len(list(EventLog(open_engine(database_url)).records()))
    refused = _publish(database_url, out, "2100-01-01T00:00:01Z")
    assert refused.exit_code == 2, refused.output
    assert _said(refused, "is after this machine's time (2100-01-01T00:00:00+00:00)")
    assert _said(refused, "give --at an earlier time, or leave it out (now)")
    assert not out.exists()
    _no_key_made(out, refused)
    assert len(list(EventLog(open_engine(database_url)).records())) == events
    at_the_clock = _publish(database_url, out, publishing_in_2100.isoformat())
    assert at_the_clock.exit_code == 0, at_the_clock.output
    assert _latest(out) == "21000101T000000Z"


def test_another_key_than_the_previous_snapshots_is_refused_unless_said(
    database_url: str, tmp_path: Path
) -> None:
    """A mistyped --key (another key file, or none there, so a new one) would sign the next
    snapshot with a key no reader pinned: refused, naming both; --new-key changes it."""
    _import(database_url)
    out = tmp_path / "out"
    assert _publish(database_url, out, EARLY).exit_code == 0
    first = _latest(out)
    (tmp_path / "key.pem").rename(tmp_path / "old.pem")
    refused = _publish(database_url, out, LATE)
    assert refused.exit_code == 2, refused.output
    assert _said(refused, f"The previous snapshot {first} is not signed by a new key")
    _no_key_made(out, refused)
    assert _latest(out) == first
    # another existing key: refused too, naming it
    other = load_or_create(tmp_path / "key.pem")
    refused = _publish(database_url, out, LATE)
    assert refused.exit_code == 2, refused.output
    assert _said(refused, f"(key id {other.key_id})"), refused.output
    assert _latest(out) == first
    changed = _publish(database_url, out, LATE, "--new-key")
    assert changed.exit_code == 0, changed.output
    assert _said(changed, "Publishing with another key (--new-key)"), changed.output
    assert _latest(out) == "20990220T070000Z"
    # the key that signed the previous snapshot goes on without a word
    (tmp_path / "key.pem").rename(tmp_path / "other.pem")
    (tmp_path / "old.pem").rename(tmp_path / "key.pem")
    back = _publish(database_url, out, "2099-02-20T08:00:00Z")
    assert back.exit_code == 2  # the previous one is now the --new-key one's
    (tmp_path / "key.pem").rename(tmp_path / "old.pem")
    (tmp_path / "other.pem").rename(tmp_path / "key.pem")
    same = _publish(database_url, out, "2099-02-20T08:00:00Z")
    assert same.exit_code == 0, same.output
    assert not _said(same, "not signed by"), same.output
