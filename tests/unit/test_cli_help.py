"""The commands' help reads as sentences: the terminal wraps it, not the docstring's width."""

from __future__ import annotations

from collections.abc import Iterator

from typer._click import Command, Context
from typer.core import TyperGroup as Group
from typer.main import get_command
from typer.testing import CliRunner

from rekap.cli.lazy import reflow
from rekap.cli.main import app


def _commands(command: Command, path: str) -> Iterator[tuple[str, Command]]:
    yield path, command
    if isinstance(command, Group):
        for name in command.list_commands(Context(command)):
            child = command.get_command(Context(command), name)
            assert child is not None
            yield from _commands(child, f"{path} {name}")


def test_reflow_joins_a_paragraph_and_keeps_lists() -> None:
    text = (
        "One sentence\ncut in two.\n\nAnother\nparagraph.\n\n- a list\n- kept\n\n  indented\n  too"
    )
    assert reflow(text) == (
        "One sentence cut in two.\n\nAnother paragraph.\n\n- a list\n- kept\n\n  indented\n  too"
    )


def test_every_command_s_help_is_reflowed() -> None:
    for path, command in _commands(get_command(app), "rekap"):
        for paragraph in (command.help or "").split("\n\n"):
            lines = paragraph.split("\n")
            listed = any(line[:1] in {" ", "-", "*"} or line[:1].isdigit() for line in lines)
            assert listed or len(lines) == 1, f"{path}: {paragraph!r}"


def test_the_commands_list_breaks_no_sentence() -> None:
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert "the stored results (PPWP), over the previous one in --out." in shown.output
