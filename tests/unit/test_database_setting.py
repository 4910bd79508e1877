"""The database is named by a URL or by a SQLite file's plain path, from --db or
REKAP_DATABASE_URL; anything else is one line, exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rekap.cli.main import app
from rekap.cli.settings import DATABASE_ENV, BadDatabaseUrl, Settings, as_database_url

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sirekap-raw-sample"
runner = CliRunner()


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("/tmp/x.db", "sqlite:////tmp/x.db"),
        ("var/x.db", "sqlite:///var/x.db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("postgresql://rekap@db.example/pemilu", "postgresql://rekap@db.example/pemilu"),
    ],
)
def test_a_url_or_a_path(given: str, url: str) -> None:
    assert as_database_url(given) == url


@pytest.mark.parametrize("given", ["", "sqlite:/x.db", "no such://x", "postgresql://u@h:port/d"])
def test_neither_a_url_nor_a_path(given: str) -> None:
    with pytest.raises(BadDatabaseUrl):
        as_database_url(given)


def test_the_default_is_the_sqlite_file_in_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_ENV, raising=False)
    assert Settings.from_environment().database_url == "sqlite:///var/rekap.db"
    monkeypatch.setenv(DATABASE_ENV, "/srv/rekap.db")
    assert Settings.from_environment().database_url == "sqlite:////srv/rekap.db"


def test_a_path_works_from_the_option_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zipped = str(SAMPLE / "sample_tingkat6_tps.zip")
    given = runner.invoke(app, ["import", "sirekap", zipped, "--db", str(tmp_path / "a.db")])
    assert given.exit_code == 0, given.output
    assert (tmp_path / "a.db").is_file()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(DATABASE_ENV, "b.db")  # relative to the working directory
    from_env = runner.invoke(app, ["import", "sirekap", zipped])
    assert from_env.exit_code == 0, from_env.output
    assert (tmp_path / "b.db").is_file()
    assert runner.invoke(app, ["log", "verify"]).exit_code == 0


@pytest.mark.parametrize(
    "command", [["log", "verify"], ["log", "show", "3101011001001"], ["tally"]]
)
def test_a_command_that_only_reads_never_makes_a_database(
    tmp_path: Path, command: list[str]
) -> None:
    """A mistyped --db made an empty database, whose log `rekap log verify` found intact."""
    typo = tmp_path / "typo.db"
    done = runner.invoke(app, [*command, "--db", str(typo)], env={"COLUMNS": "200"})
    assert done.exit_code == 2, done.output
    assert "No database at" in done.output and "Intact" not in done.output
    assert not typo.exists()


def test_a_bad_url_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_ENV, "sqlite:/x.db")
    done = runner.invoke(app, ["log", "verify"])
    assert done.exit_code == 2, done.output
    assert isinstance(done.exception, SystemExit)
    assert "is not a database URL" in done.output and "Traceback" not in done.output


def test_the_help_says_what_it_takes() -> None:
    shown = runner.invoke(app, ["publish", "--help"], env={"COLUMNS": "200"})
    text = " ".join(shown.output.split())
    assert "a SQLite file's path" in text and "var/rekap.db" in text


def test_another_kind_of_database_is_one_line() -> None:
    """A MySQL URL reached SQLAlchemy and ended in a traceback about a missing driver."""
    done = runner.invoke(app, ["db", "init", "--db", "mysql://rekap@db.example/pemilu"])
    assert done.exit_code == 2, done.output
    assert isinstance(done.exception, SystemExit)
    said = " ".join(done.output.split())
    assert "'mysql' databases are not supported" in said and "postgresql://" in said


@pytest.mark.parametrize(
    "command",
    [["db", "init"], ["worker", "--once"], ["admin", "create", "Admin"], ["serve"]],
)
@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:1/rekap",  # no server there
        "postgresql://postgres@127.0.0.1:5432/rekap_no_such_database",  # no such database
    ],
)
def test_a_database_that_cannot_be_reached_is_one_line(
    command: list[str], url: str, tmp_path: Path
) -> None:
    """PostgreSQL down or the database not there: the commands that create the schema ended
    in a page of traceback; they say which database and the server's answer, exit 2."""
    key = ["--key", str(tmp_path / "key.pem")] if command[0] in ("worker", "serve") else []
    done = runner.invoke(app, [*command, "--db", url, *key], env={"COLUMNS": "200"})
    assert done.exit_code == 2, done.output
    assert isinstance(done.exception, SystemExit)
    said = " ".join(done.output.split())
    assert f"Cannot open the database {url}: connection" in said and "Traceback" not in said
    assert not (tmp_path / "key.pem").exists()
