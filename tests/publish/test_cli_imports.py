"""`rekap` imports a sub-command's module only when that command runs or its help is
shown: `rekap recount` loads no database, web or reading library."""

from __future__ import annotations

from typer.testing import CliRunner

from rekap.cli.lazy import Lazy, LazyCommands
from rekap.cli.main import RekapCommands, app
from tests.publish.loaded_modules import HEAVY, loaded_after


def test_recount_loads_no_database_web_or_reading_library() -> None:
    for args in (["recount", "--help"], ["recount", "/nonexistent-snapshot"]):
        assert not loaded_after(args) & set(HEAVY), args


def test_help_lists_every_command_in_order() -> None:
    listed = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    at = [listed.output.index(f"│ {name} ") for name in RekapCommands.where]
    assert at == sorted(at)


def test_commands_are_built_once_and_on_demand() -> None:
    commands = LazyCommands({"rules": Lazy("rekap.cli.rules", "rules")})
    assert list(commands) == ["rules"]
    assert commands._built == {}
    first = commands["rules"]
    assert commands["rules"] is first
    assert first.name == "rules"


def test_an_unknown_command_is_refused() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
