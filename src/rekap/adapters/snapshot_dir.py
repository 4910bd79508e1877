"""Snapshots in a directory: staged in a hidden folder, made visible by one rename, and
pointed at by a ``latest`` file replaced atomically.

    OUT/latest                 the id of the newest complete snapshot
    OUT/<snapshot id>/…        a complete snapshot, never changed afterwards
    OUT/.staging-<id>-<pid>/   a snapshot being written (nobody reads it)
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import hashlib
import multiprocessing
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from rekap.publish import paths
from rekap.publish.ports import FileEntry
from rekap.publish.records import PreviousSnapshot

T = TypeVar("T")
LATEST = "latest"
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL


class SnapshotExists(FileExistsError):
    """Snapshots are immutable: the id is taken."""


class UnsafePath(ValueError):
    """A document path that would leave the snapshot folder."""


def unsafe(path: str) -> bool:
    """Whether a document path could leave the snapshot folder (absolute, ``..``, ``\\``)."""
    return not path or path[0] == "/" or "\\" in path or (".." in path and ".." in path.split("/"))


class DirectoryWriter:
    """Writes each file with three system calls (open, write, close) and hashes the bytes it
    already holds. A file is opened by its name relative to its folder's descriptor (the few
    folders written last stay open: a desa's TPS files come one after the other), so the
    kernel does not resolve the whole path each time. Folders are made once, parents first;
    there is no fsync per file: the store syncs the whole staging folder once, before the
    switch."""

    KEPT_OPEN = 16

    def __init__(self, root: Path) -> None:
        self.root = root
        self._prefix = str(root) + os.sep
        self._folders: set[str] = {""}
        self._open: dict[str, int] = {}

    def _folder(self, folder: str) -> None:
        parent = folder.rpartition("/")[0]
        if parent not in self._folders:
            self._folder(parent)
        with contextlib.suppress(FileExistsError):
            os.mkdir(self._prefix + folder)
        self._folders.add(folder)

    def _descriptor(self, folder: str) -> int:
        """The folder's descriptor, made and opened on first use; the oldest of the open
        ones is closed when too many are."""
        if folder not in self._folders:
            self._folder(folder)
        descriptor = os.open(self._prefix + folder, os.O_RDONLY | os.O_DIRECTORY)
        self._open[folder] = descriptor
        if len(self._open) > self.KEPT_OPEN:
            os.close(self._open.pop(next(iter(self._open))))
        return descriptor

    def write(self, path: str, data: bytes) -> FileEntry:
        if unsafe(path):
            raise UnsafePath(path)
        folder, _, name = path.rpartition("/")
        at = self._open.get(folder)
        if at is None:
            at = self._descriptor(folder)
        descriptor = os.open(name, _FLAGS, 0o644, dir_fd=at)
        try:
            written = os.write(descriptor, data)
            if written < len(data):
                _write_rest(descriptor, data, written)
        finally:
            os.close(descriptor)
        return FileEntry(path, hashlib.sha256(data).hexdigest(), len(data))

    def close(self) -> None:
        """Close the folders kept open (the writer can still write: they open again)."""
        while self._open:
            os.close(self._open.popitem()[1])


def _write_rest(descriptor: int, data: bytes, done: int) -> None:
    view = memoryview(data)
    while done < len(data):
        done += os.write(descriptor, view[done:])


class DirectorySnapshotStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._writers: dict[str, DirectoryWriter] = {}

    def _staging(self, snapshot_id: str) -> Path:
        return self.root / f".staging-{snapshot_id}-{os.getpid()}"

    def begin(self, snapshot_id: str) -> DirectoryWriter:
        """A writer into a new staging folder."""
        if (self.root / snapshot_id).exists():
            raise SnapshotExists(f"snapshot {snapshot_id} exists already in {self.root}")
        staging = self._staging(snapshot_id)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        writer = self._writers[snapshot_id] = DirectoryWriter(staging)
        return writer

    def _finish(self, snapshot_id: str) -> None:
        writer = self._writers.pop(snapshot_id, None)
        if writer is not None:
            writer.close()

    def commit(self, snapshot_id: str) -> str:
        """Flush every staged file to disk in one pass, then rename and repoint ``latest``:
        after a crash, ``latest`` names a complete snapshot (the old one or the new one)."""
        final = self.root / snapshot_id
        staging = self._staging(snapshot_id)
        self._finish(snapshot_id)
        sync_filesystem(staging)
        os.rename(staging, final)
        pointer = self.root / f".{LATEST}.{os.getpid()}.tmp"
        descriptor = os.open(pointer, _FLAGS | os.O_TRUNC, 0o644)
        try:
            os.write(descriptor, (snapshot_id + "\n").encode("ascii"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(pointer, self.root / LATEST)
        sync_folder(self.root)
        return str(final)

    def abort(self, snapshot_id: str) -> None:
        self._finish(snapshot_id)
        shutil.rmtree(self._staging(snapshot_id), ignore_errors=True)

    def latest(self) -> Path | None:
        pointer = self.root / LATEST
        if not pointer.is_file():
            return None
        folder = self.root / pointer.read_text(encoding="ascii").strip()
        return folder if folder.is_dir() else None

    def previous(self, contest: str) -> PreviousSnapshot | None:
        """The latest snapshot's id, manifest hash and bulk TPS columns, for the diff."""
        folder = self.latest()
        if folder is None:
            return None
        manifest = (folder / paths.MANIFEST_FILE).read_bytes()
        bulk = folder / paths.bulk_tps(contest, "parquet")
        table = (
            pq.read_table(bulk)
            if bulk.is_file()
            else pa.table({"kode_tps": pa.array([], pa.string())})
        )
        digest = hashlib.sha256(manifest).hexdigest()
        return PreviousSnapshot(folder.name, digest, table)


def sync_filesystem(folder: Path) -> None:
    """Write every dirty page of the file system holding ``folder`` to disk (``syncfs``: one
    call for a million files, instead of an ``fsync`` each); ``sync`` where it is missing."""
    syncfs = getattr(_libc(), "syncfs", None)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if syncfs is None or syncfs(descriptor) != 0:
            os.sync()
    finally:
        os.close(descriptor)


def sync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name else None


_JOB: Callable[[int], object] | None = None


def _run(number: int) -> object:
    assert _JOB is not None
    return _JOB(number)


class ForkedRunner:
    """Runs jobs in forked worker processes, which inherit the snapshot's data for free."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def map(self, job: Callable[[int], T], count: int) -> Sequence[T]:
        global _JOB
        if self.workers <= 1 or count <= 1:
            return [job(i) for i in range(count)]
        _JOB = job
        collecting = gc.isenabled()
        gc.freeze()  # keep the collector off the parent's objects: fewer copied pages
        gc.disable()  # and off the million file entries the workers send back
        try:
            context = multiprocessing.get_context("fork")
            # the workers build millions of acyclic documents: reference counting frees
            # them, and the cycle collector would only rescan what they keep (~10% of CPU)
            with context.Pool(min(self.workers, count), initializer=gc.disable) as pool:
                return list(pool.imap(_run, range(count), chunksize=1))  # type: ignore[arg-type]
        finally:
            if collecting:
                gc.enable()
            gc.unfreeze()
            _JOB = None
