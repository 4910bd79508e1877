"""What a recount finds: problems as data, each naming its kind and the file."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    MISSING = "missing file"
    TRUNCATED = "truncated file"
    CORRUPTED = "corrupted file"
    UNLISTED = "unlisted file"
    SIGNATURE = "bad signature"
    KEY = "unexpected key"
    MANIFEST = "bad manifest"
    BULK = "bulk data inconsistent"
    IDENTITY = "counted TPS breaks an identity"
    MISMATCH = "aggregate mismatch"
    LOG = "change log broken"
    UNLOGGED = "value differs from the log"


@dataclass(frozen=True, slots=True)
class Problem:
    kind: Kind
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.path}: {self.detail}"


@dataclass
class RecountReport:
    snapshot: str
    problems: list[Problem] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)
    nasional: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What was not checked, and why (not failures)."""
    signer: bytes | None = None
    """The raw Ed25519 public key the manifest names (whether or not its signature holds)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: Kind, path: str, detail: str) -> None:
        self.problems.append(Problem(kind, path, detail))

    def by_kind(self) -> Counter[str]:
        return Counter(p.kind.value for p in self.problems)
