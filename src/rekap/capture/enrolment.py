"""A file of accounts to enrol at once (``rekap admin import``): one row per account, read
and checked whole before any account is made, every problem named with its line."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from rekap.capture.access import Role, log_text_problem, scope_fits

COLUMNS = ("name", "role", "scope")
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What a file asks for: ``(name, role, scope)`` per row, and what is wrong with it."""

    wanted: tuple[tuple[str, Role, str], ...]
    problems: tuple[str, ...]


def read_enrolment(text: str, known: Callable[[str], bool]) -> Enrolment:
    """The rows of a CSV file with a header naming ``name``, ``role`` and ``scope`` (other
    columns are ignored). ``known`` says whether a scope names a region of the tree."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or ()]
    reader.fieldnames = header
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        named = ", ".join(missing)
        needed = "it needs name, role and scope, in any order"
        return Enrolment((), (f"line 1: the header lacks the column(s) {named} ({needed})",))
    wanted: list[tuple[str, Role, str]] = []
    problems: list[str] = []
    first_line: dict[tuple[str, Role, str], int] = {}
    for row in reader:
        line = reader.line_num
        problem, account = _account(row, known)
        if account is None:
            problems.append(f"line {line}: {problem}")
        elif account in first_line:
            problems.append(f"line {line}: the same account as line {first_line[account]}")
        else:
            first_line[account] = line
            wanted.append(account)
    if not wanted and not problems:
        problems.append("the file names no account")
    return Enrolment(tuple(wanted), tuple(problems))


def _account(
    row: dict[str | None, str | list[str] | None], known: Callable[[str], bool]
) -> tuple[str, tuple[str, Role, str] | None]:
    if None in row:
        return "more cells than the header names", None
    name, role_text, scope = (str(row[c] or "").strip() for c in COLUMNS)
    name_problem = log_text_problem(name, "a name", MAX_NAME)
    if name_problem is not None:
        return name_problem, None
    try:
        role = Role(role_text.lower())
    except ValueError:
        return f"role {role_text!r} is not one of {', '.join(r.value for r in Role)}", None
    if not scope_fits(role, scope):
        article = "an" if role.value[0] in "aeiou" else "a"
        return f"{article} {role.value} cannot be scoped to {scope!r}", None
    if scope and not known(scope):
        return f"no region {scope} in the 2024 region tree", None
    return "", (name, role, scope)
