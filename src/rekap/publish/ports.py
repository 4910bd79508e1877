"""The ports publication writes through: where files go, and who signs the manifest.

A filesystem adapter (rekap.adapters.snapshot_dir) implements them today; an S3-compatible
bucket adapter can implement the same three methods later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol, TypeVar

T = TypeVar("T")


class FileEntry(NamedTuple):
    """A file of a snapshot: its path (``/``-separated, relative), SHA-256 and size.

    A named tuple: a snapshot lists a million of them, and they travel between processes."""

    path: str
    sha256: str
    size: int


class SnapshotWriter(Protocol):
    """Writes the files of one snapshot into a staging area nobody reads yet."""

    def write(self, path: str, data: bytes) -> FileEntry: ...


class SnapshotStore(Protocol):
    """Opens a staging area, and makes a finished snapshot visible in one atomic step."""

    def begin(self, snapshot_id: str) -> SnapshotWriter: ...

    def commit(self, snapshot_id: str) -> str:
        """Make the staged snapshot visible and point ``latest`` at it; returns where."""
        ...

    def abort(self, snapshot_id: str) -> None: ...


class Signer(Protocol):
    """An Ed25519 key: signs the manifest; its public half is published with the snapshot."""

    @property
    def key_id(self) -> str: ...

    @property
    def public_raw(self) -> bytes: ...

    @property
    def public_pem(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


class ShardRunner(Protocol):
    """Runs ``job(0) … job(count - 1)``, in this process or in several, results in order."""

    def map(self, job: Callable[[int], T], count: int) -> Sequence[T]: ...


class InProcess:
    """The simplest runner: one job after the other, here."""

    def map(self, job: Callable[[int], T], count: int) -> Sequence[T]:
        return [job(i) for i in range(count)]
