"""Reading a photo or crop file named on the command line: a plain file of a sane size, or
why not (a pipe would block, a device never end); ``-`` reads one file from standard input."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import typer

MAX_FILE_BYTES = 200 * 1024 * 1024
"""Larger than any phone photo; a file over it is refused unread."""


def read_photo_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes | str:
    """The file's bytes, or why they cannot be read."""
    try:
        kind = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as error:
        return f"cannot read the file: {error.strerror or error}"
    if stat.S_ISDIR(kind):
        return "is a directory, not an image"
    if not stat.S_ISREG(kind):
        return "not a plain file (a pipe or a device)"
    try:
        with path.open("rb") as file:
            return _bounded(file, limit, "the file")
    except OSError as error:
        return f"cannot read the file: {error.strerror or error}"


def _bounded(source: BinaryIO, limit: int, what: str) -> bytes | str:
    """At most ``limit`` bytes of ``source``, or why not (more than that, or a failed read)."""
    try:
        data = source.read(limit + 1)
    except OSError as error:
        return f"cannot read {what}: {error.strerror or error}"
    if len(data) > limit:
        return f"file too large (over {limit // (1024 * 1024)} MB)"
    return data


STDIN = "-"
"""A file name that stands for standard input: one file piped or redirected in."""


def read_named_input(
    name: str, stdin: Callable[[], BinaryIO | None], limit: int = MAX_FILE_BYTES
) -> bytes | str:
    """The bytes of the file ``name`` names (``-``: of what ``stdin()`` gives, looked at only
    then: a process started with standard input closed reads its files all the same), or why
    they cannot be read. A file literally named ``-`` is given as ``./-``."""
    if name != STDIN:
        return read_photo_file(Path(name), limit)
    source = stdin()
    if source is None:
        return "standard input is closed: pipe or redirect one file into it (- < photo.jpg)"
    if source.isatty():
        return "standard input is a terminal: pipe or redirect one file into it (- < photo.jpg)"
    return _bounded(source, limit, "standard input")


def stdin_named_once(names: list[str], hint: str) -> None:
    """Refuse ``-`` given more than once (standard input holds one file): a usage error on
    the argument ``hint`` names."""
    if names.count(STDIN) > 1:
        raise typer.BadParameter(
            f"'-' (standard input) is given {names.count(STDIN)} times: it holds one file; "
            "name a file called '-' as ./-",
            param_hint=hint,
        )


def standard_input() -> BinaryIO | None:
    """This process's standard input as bytes, or None when it was started without one."""
    return getattr(sys.stdin, "buffer", None)
