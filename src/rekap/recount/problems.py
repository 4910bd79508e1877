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
    SOURCE = "source differs from the log"

    @property
    def plural(self) -> str:
        """The kind as a report names more than one problem of it: ``2 missing files``."""
        return _PLURALS[self]

    def counted(self, count: int) -> str:
        """``count`` problems of this kind, in words: ``1 missing file``, ``2 missing files``."""
        return f"{count:,} {self.value if count == 1 else self.plural}"


_PLURALS = {
    Kind.MISSING: "missing files",
    Kind.TRUNCATED: "truncated files",
    Kind.CORRUPTED: "corrupted files",
    Kind.UNLISTED: "unlisted files",
    Kind.SIGNATURE: "bad signatures",
    Kind.KEY: "unexpected keys",
    Kind.MANIFEST: "bad manifest entries",
    Kind.BULK: "bulk data inconsistencies",
    Kind.IDENTITY: "counted TPS break an identity",
    Kind.MISMATCH: "aggregate mismatches",
    Kind.LOG: "change log breaks",
    Kind.UNLOGGED: "values differ from the log",
    Kind.SOURCE: "sources differ from the log",
}


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
    """The recounted totals of the snapshot's root: the nation's, or its ``scope``'s."""
    notes: list[str] = field(default_factory=list)
    """What was not checked, and why (not failures)."""
    signer: bytes | None = None
    """The raw Ed25519 public key the manifest names (whether or not its signature holds)."""
    scope: list[str] = field(default_factory=list)
    """The region codes the manifest's ``scope`` names (empty: the whole nation), which
    ``nasional`` sums."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: Kind, path: str, detail: str) -> None:
        self.problems.append(Problem(kind, path, detail))

    def summary(self) -> str:
        """How many problems of each kind, in the order first found: ``1 corrupted file,
        2 missing files``."""
        counts = Counter(p.kind for p in self.problems)
        return ", ".join(kind.counted(count) for kind, count in counts.items())
