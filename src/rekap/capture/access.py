"""Who may do what: roles, and the region each account is scoped to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
