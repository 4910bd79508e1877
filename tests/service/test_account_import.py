"""Enrolling a kabupaten's officers from one file (`rekap admin import`), on SQLite and
PostgreSQL: the file is checked whole first, the tokens are written once to a private file,
every account is an event in the log, and importing the same file again changes nothing."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

from typer.testing import CliRunner, Result

from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.event_store import EventLog
from rekap.capture.access import Role
from rekap.cli.db import open_store
from rekap.cli.main import app
from tests.integration.conftest import database_url  # noqa: F401  (the fixture)

GOOD = (
    "name,role,scope,note\n"
    "Ketua KPPS 001,officer,7471011005001,first\n"
    "Ketua KPPS 042,officer,7471011005042,\n"
    "Verifikator Kendari,verifier,7471,\n"
)


def _accounts(db: str) -> AccountStore:
    store = open_store(db)
    return AccountStore(store.engine, EventLog(store.engine))


def _import(listed: Path, tokens: Path, db: str) -> Result:
    return CliRunner().invoke(
        app, ["admin", "import", str(listed), "--tokens", str(tokens), "--db", db]
    )


def _enrolled_events(db: str) -> int:
    return sum(r.kind == "account.enrolled" for r in _accounts(db).log.records())


def test_a_file_of_officers_is_enrolled_once_with_private_tokens(
    database_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    db = database_url
    listed = tmp_path / "kpps.csv"
    listed.write_text(GOOD, encoding="utf-8")
    tokens = tmp_path / "tokens.csv"
    done = _import(listed, tokens, db)
    assert done.exit_code == 0, done.output
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    rows = list(csv.DictReader(tokens.open(encoding="utf-8")))
    assert [(r["name"], r["role"], r["scope"]) for r in rows] == [
        ("Ketua KPPS 001", "officer", "7471011005001"),
        ("Ketua KPPS 042", "officer", "7471011005042"),
        ("Verifikator Kendari", "verifier", "7471"),
    ]
    accounts = _accounts(db)
    for row in rows:
        principal = accounts.authenticate(row["token"])
        assert principal is not None and principal.account_id == row["account_id"]
        assert (principal.role, principal.scope) == (Role(row["role"]), row["scope"])
    assert _enrolled_events(db) == 3
    # the same file again (after an interruption, say): nothing new, no token file
    again = tmp_path / "again.csv"
    redone = _import(listed, again, db)
    assert redone.exit_code == 0, redone.output
    assert "0 account(s) enrolled" in redone.output and "3 already" in redone.output
    assert not again.exists() and _enrolled_events(db) == 3
    # tokens are never overwritten
    refused = CliRunner().invoke(app, ["admin", "import", str(listed), "--tokens", str(tokens)])
    assert refused.exit_code == 2 and "never overwritten" in refused.output


def test_a_file_with_any_problem_enrols_nobody(
    database_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    db = database_url
    listed = tmp_path / "kpps.csv"
    listed.write_text(
        GOOD
        + "Ketua KPPS 043,officer,7471011005043,\n"  # desa 7471011005 has TPS 1-42
        + "Ketua KPPS 001,officer,7471011005001,\n"
        + "Saksi,witness,7471,\n"
        + "Ketua\x1b[31m,officer,7471011005002,\n"
        + "Ketua KPPS 003,officer,74710110050,\n",
        encoding="utf-8",
    )
    tokens = tmp_path / "tokens.csv"
    result = _import(listed, tokens, db)
    assert result.exit_code == 2, result.output
    said = "".join(result.output.split())
    for expected in (
        "line5:noregion7471011005043",
        "line6:thesameaccountasline2",
        "line7:role'witness'isnotoneof",
        "line8:anameisonelineofplaintext",
        "line9:anofficercannotbescopedto'74710110050'",
        "Nothingwasenrolled",
    ):
        assert expected in said, result.output
    assert not tokens.exists() and _enrolled_events(db) == 0
