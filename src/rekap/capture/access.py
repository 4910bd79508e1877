"""Who may do what: roles, and the region each account is scoped to."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

MAX_REASON = 500


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    VERIFIER = "verifier"
    ADJUDICATOR = "adjudicator"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated account. ``scope`` is a region code prefix ('' for the whole nation);
    an officer's scope is exactly one 13-digit TPS code."""

    account_id: str
    name: str
    role: Role
    scope: str

    def covers(self, kode: str) -> bool:
        return kode.startswith(self.scope)


def scope_fits(role: Role, scope: str) -> bool:
    """An officer is scoped to one TPS; verifiers and adjudicators to a region; admins to all."""
    if not scope.isdigit() and scope != "":
        return False
    if role is Role.OFFICER:
        return len(scope) == 13
    if role is Role.ADMIN:
        return scope == ""
    return len(scope) in (0, 2, 4, 6, 10)


def reason_problem(text: str) -> str | None:
    """Why ``text`` cannot be a reason written into the public log (None: it can): blank,
    longer than ``MAX_REASON``, or holding a control or format character (a terminal escape,
    a line break, a bidirectional override) that would change how the log reads."""
    return log_text_problem(text, "a reason", MAX_REASON)


def log_text_problem(text: str, what: str, limit: int) -> str | None:
    """Why ``text`` cannot be written into the public log as ``what`` (a reason, a name):
    blank, longer than ``limit``, or holding a control or format character."""
    if not text.strip():
        return f"{what} is needed"
    if len(text) > limit:
        return f"{what} is at most {limit} characters"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        return f"{what} is one line of plain text (no control characters)"
    return None
