"""Sub-commands imported only when they run (or when the help lists them).

Each command module imports its own adapters (SQLAlchemy, FastAPI, OpenCV, ONNX Runtime…);
``rekap recount`` needs none of them, and importing them all cost seconds per call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, MutableMapping
from importlib import import_module
from inspect import cleandoc
from typing import Any, ClassVar, NamedTuple

import typer
from typer._click import Command
from typer.core import TyperGroup


class Lazy(NamedTuple):
    """Where a sub-command lives: ``module.attribute``, a command function or a Typer app."""

    module: str
    attribute: str


def build(name: str, where: Lazy) -> Command:
    """The click command Typer would have made had ``where`` been registered as ``name``
    (``app.command(name)`` for a function, ``app.add_typer(…, name=name)`` for an app)."""
    found: Any = getattr(import_module(where.module), where.attribute)
    holder = typer.Typer()
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
    else:
        holder.command(name)(found)
        holder.callback()(_nothing)  # a group, even with one command: its command is taken
    group = typer.main.get_group(holder)
    assert isinstance(group, TyperGroup)
    command = group.commands[name]
    _reflow_all(command)
    return command


def reflow(text: str) -> str:
    """A help text whose paragraphs are each one line, so the terminal wraps them.

    Docstrings are wrapped at the source's width; the help's renderer keeps those line ends
    (in the commands' list and after the first paragraph), breaking lines mid-sentence. A
    paragraph that is a list or indented (a line starting with a space, ``-``, ``*`` or
    ``1.``) or that asks to be kept (``\\b``) keeps its lines.
    """
    paragraphs = cleandoc(text).split("\n\n")
    return "\n\n".join(p if _kept(p) else " ".join(p.split("\n")) for p in paragraphs)


def _kept(paragraph: str) -> bool:
    return any(_LIST_LINE.match(line) for line in paragraph.split("\n"))


_LIST_LINE = re.compile(r"^(\s|[-*•]\s|\d+[.)]\s|\x08)")


def _reflow_all(command: Command) -> None:
    """Reflow the help of ``command`` and of every command under it."""
    if command.help:
        command.help = reflow(command.help)
    if command.short_help:
        command.short_help = reflow(command.short_help)
    for child in getattr(command, "commands", {}).values():
        _reflow_all(child)


def _nothing() -> None:
    """A placeholder callback."""


class LazyCommands(MutableMapping[str, Command]):
    """The commands of a group by name, each built on first use."""

    def __init__(self, where: Mapping[str, Lazy]) -> None:
        self._where = dict(where)
        self._built: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        found = self._built.get(name)
        if found is None:
            found = self._built[name] = build(name, self._where[name])
        return found

    def __setitem__(self, name: str, command: Command) -> None:
        self._where.setdefault(name, Lazy("", ""))
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._where[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands are named in ``where`` and imported on demand."""

    where: ClassVar[Mapping[str, Lazy]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        commands = LazyCommands(self.where)
        commands.update(self.commands)
        self.commands = commands
