"""One server key per database: a server started without the key file that signed the
database's receipts and log heads refuses to make a new one (a worker, which signs nothing,
needs none), and `rekap log verify` given another key names the keys instead of reporting
signatures that do not verify."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rekap.adapters.keys import load_or_create
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.cli.main import app
from rekap.cli.serve import build_context

runner = CliRunner()
WIDE = {"COLUMNS": "200"}
REKAP = str(Path(sys.executable).parent / "rekap")


def signed_database(database_url: str, server_key: Path) -> str:
    """A database with an account and a log head signed by ``server_key``; its key id."""
    made = runner.invoke(app, ["admin", "create", "Admin", "--db", database_url])
    assert made.exit_code == 0, made.output
    key = load_or_create(server_key)
    engine = open_engine(database_url)
    EventLog(engine).sign_head(key, datetime.now(UTC))
    engine.dispose()
    return key.key_id


def test_log_verify_with_another_key_names_both_keys(database_url: str, tmp_path: Path) -> None:
    key_id = signed_database(database_url, tmp_path / "server.pem")
    assert (
        runner.invoke(
            app, ["log", "verify", "--db", database_url, "--key", str(tmp_path / "server.pem")]
        ).exit_code
        == 0
    )
    other = load_or_create(tmp_path / "other.pem").key_id
    done = runner.invoke(
        app, ["log", "verify", "--db", database_url, "--key", str(tmp_path / "other.pem")], env=WIDE
    )
    assert done.exit_code == 1, done.output
    said = " ".join(done.output.split())
    assert f"Signed heads by key {key_id}, not by the key at" in said and f"({other})" in said
    assert "does not verify" not in said


def test_a_server_without_the_key_file_makes_none(database_url: str, tmp_path: Path) -> None:
    key_id = signed_database(database_url, tmp_path / "server.pem")
    missing = tmp_path / "elsewhere" / "server.pem"
    arguments = ["--db", database_url, "--photos", str(tmp_path / "photos")]
    done = runner.invoke(app, ["serve", *arguments, "--key", str(missing)], env=WIDE)
    assert done.exit_code == 2, done.output
    said = "".join(done.output.split())  # wrapped wherever the console's width falls
    assert f"Noserverkeyat{missing},butthisdatabaseissignedbykey{key_id}" in said
    assert not missing.exists()
    context = build_context(database_url, str(tmp_path / "photos"), missing, new_key=True)
    assert missing.exists() and context.key.key_id != key_id  # the way out, said and asked for
    context.engine.dispose()


def test_a_worker_needs_no_key_file_and_makes_none(database_url: str, tmp_path: Path) -> None:
    """A worker signs nothing (no receipt, no log head): it must not need the server's private
    key copied to its machine, nor leave a key of its own there for a later server to take."""
    signed_database(database_url, tmp_path / "server.pem")
    missing = tmp_path / "elsewhere" / "server.pem"
    arguments = ["--db", database_url, "--photos", str(tmp_path / "photos")]
    # in a process of its own, as an operator starts it: on PostgreSQL the worker runs the
    # queue's event loop, which cannot start where another is running (a browser test's)
    done = subprocess.run(
        [REKAP, "worker", "--once", *arguments, "--key", str(missing)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not missing.exists()


def test_a_fresh_database_gets_a_new_key(database_url: str, tmp_path: Path) -> None:
    made = tmp_path / "server.pem"
    context = build_context(database_url, str(tmp_path / "photos"), made)
    assert made.exists() and context.key.key_id == load_or_create(made).key_id
    context.engine.dispose()


def test_log_verify_after_a_key_was_replaced_takes_the_lost_keys_public_half(
    database_url: str, tmp_path: Path
) -> None:
    """Heads signed by a key that was lost (its public half kept, as it was published) and by
    the key `rekap serve --new-key` made: each key given with --key, the log verifies; the new
    key alone names the old one; a public key of another key does not pass."""
    old_id = signed_database(database_url, tmp_path / "old.pem")
    old_public = tmp_path / "old-public.pem"
    old_public.write_bytes(load_or_create(tmp_path / "old.pem").public_pem)
    (tmp_path / "old.pem").unlink()  # lost
    new = load_or_create(tmp_path / "new.pem")
    more = runner.invoke(app, ["admin", "create", "Admin 2", "--db", database_url])
    assert more.exit_code == 0, more.output  # the log moves on, its new head signed anew
    engine = open_engine(database_url)
    EventLog(engine).sign_head(new, datetime.now(UTC))
    engine.dispose()
    verify = ["log", "verify", "--db", database_url]
    both = runner.invoke(
        app, [*verify, "--key", str(tmp_path / "new.pem"), "--key", str(old_public)], env=WIDE
    )
    assert both.exit_code == 0, both.output
    assert "2 signed heads" in " ".join(both.output.split())
    alone = runner.invoke(app, [*verify, "--key", str(tmp_path / "new.pem")], env=WIDE)
    assert alone.exit_code == 1, alone.output
    assert f"Signed heads by key {old_id}" in " ".join(alone.output.split())
    stranger = tmp_path / "stranger-public.pem"
    stranger.write_bytes(load_or_create(tmp_path / "stranger.pem").public_pem)
    wrong = runner.invoke(
        app, [*verify, "--key", str(tmp_path / "new.pem"), "--key", str(stranger)], env=WIDE
    )
    assert wrong.exit_code == 1, wrong.output
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("not a key")
    odd = runner.invoke(app, [*verify, "--key", str(not_a_key)], env=WIDE)
    assert odd.exit_code == 1 and "holds neither an Ed25519 private key" in " ".join(
        odd.output.split()
    ), odd.output


def test_a_server_without_its_key_names_the_newest_heads_key_reading_no_other(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up read every signed head (one a minute, the whole election long) to name the
    last one's key: it now reads that head alone."""
    signed_database(database_url, tmp_path / "old.pem")
    more = runner.invoke(app, ["admin", "create", "Admin 2", "--db", database_url])
    assert more.exit_code == 0, more.output
    engine = open_engine(database_url)
    newest = load_or_create(tmp_path / "new.pem")
    EventLog(engine).sign_head(newest, datetime.now(UTC))
    engine.dispose()

    def every_head(_log: EventLog) -> None:
        raise AssertionError("start-up read every signed head")

    monkeypatch.setattr(EventLog, "heads", every_head)
    missing = tmp_path / "elsewhere" / "server.pem"
    arguments = ["--db", database_url, "--photos", str(tmp_path / "photos")]
    done = runner.invoke(app, ["serve", *arguments, "--key", str(missing)], env=WIDE)
    assert done.exit_code == 2, done.output
    said = "".join(done.output.split())
    assert f"thisdatabaseissignedbykey{newest.key_id}" in said


def test_a_key_file_that_holds_no_key_is_named_not_a_traceback(
    database_url: str, tmp_path: Path
) -> None:
    """`rekap serve --key` naming a file that holds no key, or a folder, ended in a long
    traceback; it now says which option and why, and exits 2."""
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    arguments = ["--db", database_url, "--photos", str(tmp_path / "photos")]
    for key in (junk, tmp_path):
        done = runner.invoke(app, ["serve", *arguments, "--key", str(key)], env=WIDE)
        assert done.exit_code == 2, done.output
        said = "".join(done.output.split())  # the console wraps long paths anywhere
        assert "".join(f"--key {key}: the server key cannot be used".split()) in said
        assert isinstance(done.exception, SystemExit)  # not the key's error, uncaught


def test_a_new_server_key_is_said_with_its_id(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A first start made the server key silently: the operator learns of it, to keep a copy
    (receipts and log heads are signed with it)."""
    made = tmp_path / "server.pem"
    context = build_context(database_url, str(tmp_path / "photos"), made)
    said = "".join(capsys.readouterr().err.split())  # the console wraps long paths anywhere
    expected = f"No server key at {made}: a new one was made (key id {context.key.key_id})"
    assert "".join(expected.split()) in said
    context.engine.dispose()
    context = build_context(database_url, str(tmp_path / "photos"), made)
    assert "new one was made" not in capsys.readouterr().err  # the second start: said no more
    context.engine.dispose()
