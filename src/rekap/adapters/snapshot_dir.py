"""Snapshots in a directory: staged in a hidden folder, made visible by one rename, and
pointed at by a ``latest`` file replaced atomically.

    OUT/latest                 the id of the newest complete snapshot
    OUT/<snapshot id>/…        a complete snapshot, never changed afterwards
    OUT/.staging-<id>-<pid>/   a snapshot being written (nobody reads it)

One publication at a time writes into a folder: ``begin`` takes an exclusive ``flock`` on the
folder itself (a second one is refused, ``PublicationBusy``; forked workers hold it too, so
the workers of a publication killed outright keep it until they stop), and, holding it, removes
what a killed publication left (``.staging-*`` folders, ``.latest.*.tmp`` files; their names
are kept in ``removed``). ``commit`` switches ``latest`` only while it still names the snapshot
the new manifest calls ``previous`` (``LatestMoved`` otherwise).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import functools
import gc
import hashlib
import multiprocessing
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from rekap.publish import paths
from rekap.publish.ports import FileEntry
from rekap.publish.previous import checked_previous, named_previous
from rekap.publish.records import PreviousSnapshot

T = TypeVar("T")
LATEST = "latest"
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL


class SnapshotExists(FileExistsError):
    """Snapshots are immutable: the id is taken."""


class UnsafePath(ValueError):
    """A document path that would leave the snapshot folder."""


class PublicationBusy(RuntimeError):
    """Another publication is writing into the same folder."""


class BadPointer(ValueError):
    """``latest`` does not name a snapshot of its folder (tampered with, or the snapshot is
    gone): the next snapshot's diff would have nothing, or something else, to compare with."""


class LatestMoved(RuntimeError):
    """``latest`` no longer names the snapshot the new one was compared with (another
    publication finished meanwhile): the new one is not made latest."""


def plain_id(snapshot_id: str) -> bool:
    """Whether ``snapshot_id`` can name a snapshot folder (one plain, visible name)."""
    return (
        bool(snapshot_id)
        and not snapshot_id.startswith(".")
        and snapshot_id != LATEST
        and ("/" not in snapshot_id and "\\" not in snapshot_id and "\0" not in snapshot_id)
    )


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
        self._locks: dict[str, int] = {}
        self.removed: list[str] = []
        """What ``begin`` removed: leftovers of publications killed outright."""

    def _staging(self, snapshot_id: str) -> Path:
        return self.root / f".staging-{snapshot_id}-{os.getpid()}"

    def _lock(self, snapshot_id: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise PublicationBusy(
                f"another publication is writing into {self.root} (or the workers of one "
                "that was killed are still finishing)"
            ) from None
        except OSError:  # a file system without flock: the commit's check still holds
            pass
        self._locks[snapshot_id] = descriptor

    def _unlock(self, snapshot_id: str) -> None:
        descriptor = self._locks.pop(snapshot_id, None)
        if descriptor is not None:
            os.close(descriptor)

    def _remove_leftovers(self) -> None:
        """Holding the lock, every staging folder and temporary pointer is a dead one's."""
        for entry in os.scandir(self.root):
            if entry.name.startswith(".staging-") and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            elif entry.name.startswith(f".{LATEST}.") and entry.name.endswith(".tmp"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
            else:
                continue
            self.removed.append(entry.name)

    def begin(self, snapshot_id: str) -> DirectoryWriter:
        """A writer into a new staging folder, once this is the folder's only publication."""
        if not plain_id(snapshot_id):
            raise ValueError(f"not a snapshot id: {snapshot_id!r}")
        self._lock(snapshot_id)
        try:
            if (self.root / snapshot_id).exists():
                raise SnapshotExists(f"snapshot {snapshot_id} exists already in {self.root}")
            self._remove_leftovers()
            staging = self._staging(snapshot_id)
            staging.mkdir()
        except BaseException:
            self._unlock(snapshot_id)
            raise
        writer = self._writers[snapshot_id] = DirectoryWriter(staging)
        return writer

    def _finish(self, snapshot_id: str) -> None:
        writer = self._writers.pop(snapshot_id, None)
        if writer is not None:
            writer.close()

    def _check_previous(self, staging: Path) -> None:
        """The staged manifest was compared with the snapshot ``latest`` names still."""
        try:
            manifest = (staging / paths.MANIFEST_FILE).read_bytes()
        except FileNotFoundError:
            return
        names, previous = named_previous(manifest)
        if names and previous != self._pointer():
            raise LatestMoved(
                f"{self.root / LATEST} names {self._pointer()} now, not {previous}, the "
                "snapshot this one was compared with: another publication finished meanwhile"
            )

    def commit(self, snapshot_id: str) -> str:
        """Flush every staged file to disk in one pass, then rename and repoint ``latest``:
        after a crash, ``latest`` names a complete snapshot (the old one or the new one). A
        pointer that cannot be written moves the snapshot back to be thrown away (``abort``)."""
        final = self.root / snapshot_id
        staging = self._staging(snapshot_id)
        self._finish(snapshot_id)
        self._check_previous(staging)
        sync_filesystem(staging)
        try:
            os.rename(staging, final)
        except OSError as error:
            if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
                taken = f"snapshot {snapshot_id} exists already in {self.root}"
                raise SnapshotExists(taken) from None
            raise
        pointer = self.root / f".{LATEST}.{os.getpid()}.tmp"
        try:
            descriptor = os.open(pointer, _FLAGS | os.O_TRUNC, 0o644)
            try:
                os.write(descriptor, (snapshot_id + "\n").encode("ascii"))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            os.replace(pointer, self.root / LATEST)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(pointer)
            os.rename(final, staging)
            raise
        sync_folder(self.root)
        self._unlock(snapshot_id)
        return str(final)

    def abort(self, snapshot_id: str) -> None:
        self._finish(snapshot_id)
        shutil.rmtree(self._staging(snapshot_id), ignore_errors=True)
        self._unlock(snapshot_id)

    def _pointer(self) -> str | None:
        """The id ``latest`` names (None: there is no ``latest``); ``BadPointer`` when it
        cannot name a snapshot of this folder."""
        try:
            text = (self.root / LATEST).read_bytes().decode("ascii").strip()
        except FileNotFoundError:
            return None
        except (UnicodeDecodeError, IsADirectoryError):
            text = ""
        if not plain_id(text):
            raise BadPointer(f"{self.root / LATEST} does not name a snapshot folder")
        return text

    def latest(self) -> Path | None:
        """The folder ``latest`` names; None before the first snapshot. ``BadPointer`` when
        it names no snapshot here: restore that snapshot, or point ``latest`` at the newest
        complete one (remove it only to start a new chain of snapshots)."""
        snapshot_id = self._pointer()
        if snapshot_id is None:
            return None
        folder = self.root / snapshot_id
        if not (folder / paths.MANIFEST_FILE).is_file():
            raise BadPointer(
                f"{self.root / LATEST} names {snapshot_id}, which is not a snapshot in {self.root}"
            )
        return folder

    def previous(self, contest: str) -> PreviousSnapshot | None:
        """The latest snapshot's id, manifest hash and bulk TPS columns, for the diff, once
        its bulk file is the one its manifest lists (``PreviousAltered`` otherwise)."""
        folder = self.latest()
        if folder is None:
            return None
        manifest = (folder / paths.MANIFEST_FILE).read_bytes()
        bulk = folder / paths.bulk_tps(contest, "parquet")
        data = bulk.read_bytes() if bulk.is_file() else None
        signed = folder / paths.SIGNATURE_FILE
        signature = signed.read_bytes() if signed.is_file() else None
        return checked_previous(folder.name, manifest, data, contest, signature)


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
