"""Two passes over the snapshot's files: every file the index lists is read once and hashed
and, for a tree document, compared with the recount; every file present but not listed is
named (inside the tasks' directories by the files pass, from the listing of each folder it
opens; outside them counted, and named by ``find_unlisted`` only where the count is off).

The pass is cut into tasks by directory (one per JSON tree and provinsi, and the rest),
run in forked worker processes that share the recomputed aggregates without copying.
"""

from __future__ import annotations

import bisect
import errno
import gc
import multiprocessing
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from hashlib import sha256
from pathlib import Path
from typing import Any

import orjson

from rekap.recount import compare
from rekap.recount.aggregate import Aggregates
from rekap.recount.folder_chain import ABSENT, LINK_ERRORS, LINKED_FILE, SAID, FolderChain
from rekap.recount.layout import DESA_TPS, INDEX, kode_of, plain_path, sirekap_paslon_doc
from rekap.recount.presence import UNINDEXED, Found, count_files, walk
from rekap.recount.problems import Kind, Problem
from rekap.recount.render import Renderer
from rekap.recount.truncation import looks_truncated

Entry = tuple[str, str]  # (path, sha256)
Result = tuple[list[Problem], Counter[str]]
DESA_TPS_NAME = DESA_TPS[1:] + ".json"
_CHUNK = 1 << 16
MAX_LISTED_FILE = 1 << 30
"""A file SHA256SUMS lists is read no further than this (an endless device, a file grown
beyond reason): larger is a problem named, not memory exhausted."""
# reading a file does not update its access time: on a journalled disk, a million fresh
# files would otherwise each have their inode written again; a pipe put where a file is
# listed is opened without waiting for a writer (and reads as empty); a link put where a file
# or a folder is listed is not followed (it could lead anywhere, outside the snapshot too):
# the open fails, in the same call, at no cost to the million files that are not links
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_PLAIN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NOFOLLOW
_READ_FLAGS = _PLAIN_FLAGS | getattr(os, "O_NOATIME", 0)


class TooLarge(OSError):
    """A listed file larger than MAX_LISTED_FILE."""


class NotAFile(OSError):
    """A listed path that is neither a file nor a folder (where the read fails anyway)."""


@dataclass(frozen=True)
class PassContext:
    folder: Path
    contest: str
    entries: list[Entry]
    aggregates: Aggregates | None
    ids: Mapping[str, str]
    skip: frozenset[str]
    deep: bool
    paslon: Mapping[str, int]
    """Sirekap id -> nomor_urut (``election.json``), for ``pemilu/<contest>.json``."""
    renderer: Renderer | None = None
    """The region documents as the recount would write them: one equal to its rendering
    agrees without being parsed (``rekap.recount.render``)."""


@dataclass(frozen=True)
class Task:
    """Listed entries ``start:stop``; ``directory`` is walked for unlisted files (the rest
    task, with no directory, walks everything outside the other tasks' directories)."""

    directory: str | None
    start: int
    stop: int
    extra: tuple[int, ...] = ()


def parse_index(data: bytes) -> tuple[list[Entry], list[Problem]]:
    entries: list[Entry] = []
    problems: list[Problem] = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        digest, _, path = line.partition("  ")
        if len(digest) != 64 or not path or _odd(path):
            problems.append(Problem(Kind.MANIFEST, INDEX, f"line {number} is not '<sha> <path>'"))
            continue
        entries.append((path, digest))
    # the index and what signs it cannot be in it (their hashes would be circular); a line
    # for one would also let the count of the files present hide an unlisted one at the top
    said = [path for path, _ in entries if path in UNINDEXED]
    if said:
        problems += [Problem(Kind.MANIFEST, INDEX, f"lists {p}, which it cannot") for p in said]
        entries = [entry for entry in entries if entry[0] not in UNINDEXED]
    entries.sort()
    return entries, problems


def _odd(path: str) -> bool:
    """Not a plain path inside the snapshot (``layout.plain_path``), tested the cheap way
    first: a million lines are parsed. An alias such as ``a//b`` or ``./a`` is odd too: it
    would let one file be counted twice and hide an unlisted one."""
    if path[0] in "/." or "/." in path or "//" in path or path[-1] == "/":
        return not plain_path(path) or path[0] == "/"
    return "\\" in path or "\x00" in path


def plan(entries: list[Entry], contest: str) -> list[Task]:
    """Tasks by provinsi directory (entries are sorted, so each is one range, found by
    bisection), biggest first, and one task for the rest."""
    rest: list[int] = []
    tasks: list[Task] = []
    roots = sorted((f"wilayah/pemilu/{contest}/", f"pemilu/hhcw/{contest}/", f"rekap/{contest}/"))
    i = 0
    for root in roots:
        start = bisect.bisect_left(entries, root, key=_path)
        rest.extend(range(i, start))
        i = start
        while i < len(entries) and entries[i][0].startswith(root):
            head, slash, _ = entries[i][0][len(root) :].partition("/")
            if not slash:
                rest.append(i)
                i += 1
                continue
            directory = root + head
            # every path under ``directory/`` sorts before ``directory0`` ("0" follows "/")
            stop = bisect.bisect_left(entries, directory + "0", lo=i, key=_path)
            tasks.append(Task(directory, i, stop))
            i = stop
    rest.extend(range(i, len(entries)))
    tasks.sort(key=lambda t: t.start - t.stop)
    return [*tasks, Task(None, 0, 0, tuple(rest))]


def _path(entry: Entry) -> str:
    return entry[0]


def _check_document(context: PassContext, family: str, kode: str, data: bytes) -> list[str]:
    doc: Any = orjson.loads(data)
    aggregates = context.aggregates
    assert aggregates is not None
    if family == "wilayah":
        return compare.wilayah_list(doc, kode, aggregates)
    if family == "rekap-tps":
        return compare.rekap_desa_tps(doc, kode, aggregates)
    if family == "rekap":
        if len(kode) == 13:
            return compare.rekap_tps(doc, kode, aggregates)
        return compare.rekap_region(doc, kode, aggregates)
    if len(kode) == 13:
        return compare.hhcw_tps(doc, kode, aggregates, context.ids)
    return compare.hhcw_region(doc, kode, aggregates, context.ids)


def _read(descriptor: int) -> bytes:
    """A whole file: one ``read`` for a small file (the pass reads a million of them)."""
    data = os.read(descriptor, _CHUNK)
    if 0 < len(data) < _CHUNK:
        return data
    # empty, or more to come: a pipe or a device put where a file is listed reads so too
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        raise NotAFile(0, "not a plain file (a pipe or a device)")
    if not data:
        return data
    parts, size = [data], len(data)
    while chunk := os.read(descriptor, 1 << 20):
        parts.append(chunk)
        size += len(chunk)
        if size > MAX_LISTED_FILE:
            raise TooLarge(0, f"larger than {MAX_LISTED_FILE:,} bytes")
    return b"".join(parts)


def _tps_level(path: str) -> bool:
    """A TPS's own document, or a desa's file of TPS records: compared only when deep."""
    name = path.rpartition("/")[2]
    return len(name) == 18 or name == DESA_TPS_NAME


def _compare(context: PassContext, path: str, data: bytes, result: Result) -> None:
    found = kode_of(path)
    paslon_doc = path == sirekap_paslon_doc(context.contest)
    if found is None and not paslon_doc:
        return
    renderer = context.renderer
    if found is not None and renderer is not None and renderer.document(*found) == data:
        result[1]["documents compared"] += 1
        return
    try:
        if found is None:
            differences = compare.sirekap_paslon(orjson.loads(data), context.paslon)
        else:
            differences = _check_document(context, *found, data)
    except (ValueError, AttributeError, TypeError, KeyError) as error:
        differences = [f"unreadable document: {error}"]
    result[1]["documents compared"] += 1
    result[0].extend(Problem(Kind.MISMATCH, path, d) for d in differences)


def _check_files(
    context: PassContext,
    walked: Iterable[int],
    chosen: list[int],
    result: Result,
    chain: FolderChain,
    listing: bool,
    inside_task: bool,
) -> int:
    """Read, hash and (for a region document) compare each chosen listed file; returns how
    many different listed paths were opened. ``walked`` are the entries whose folders are
    entered (a superset of ``chosen``, in the same sorted order), each name told to the chain
    when ``listing``. Files are opened relative to their folder's descriptor, which the chain
    opened without following a link anywhere on the path (a file or folder that is a link is
    named, not followed)."""
    problems = result[0]
    entries, skip = context.entries, context.skip
    compare_documents = context.aggregates is not None
    deep = context.deep
    folder, folder_fd = None, -1
    hashed = opened = 0
    flags = _READ_FLAGS
    previous = ""
    wanted = iter(chosen)
    next_wanted = next(wanted, -1)
    names: set[str] = set()
    for i in walked:
        path, digest = entries[i]
        head, _, name = path.rpartition("/")
        if head != folder:
            folder, folder_fd = head, chain.descriptor(head)
            names = chain.listed
        if listing:
            names.add(name)
            if i != next_wanted:
                continue
            next_wanted = next(wanted, -1)
        if folder_fd < 0:
            problems.append(_outside_folder(path, chain.failure))
            continue
        try:
            try:
                descriptor = os.open(name, flags, dir_fd=folder_fd)
            except PermissionError:  # O_NOATIME is for the files' owner only
                flags = _PLAIN_FLAGS
                descriptor = os.open(name, flags, dir_fd=folder_fd)
        except OSError as error:
            problems.append(_unopened(path, error))
            continue
        try:
            data = _read(descriptor)
        except OSError as error:  # e.g. a folder where a file is listed
            problems.append(Problem(Kind.CORRUPTED, path, f"unreadable: {error.strerror}"))
            if error.errno == errno.EISDIR and inside_task:
                chain.name_inside(path)  # what is in it is listed nowhere (the rest: counted)
            continue
        finally:
            os.close(descriptor)
        if path != previous:
            opened += 1
            previous = path
        if path not in skip:
            if sha256(data).hexdigest() != digest:
                kind = Kind.TRUNCATED if looks_truncated(path, data) else Kind.CORRUPTED
                problems.append(Problem(kind, path, "SHA-256 differs from SHA256SUMS"))
                continue
            hashed += 1
        if compare_documents and (deep or not _tps_level(path)):
            _compare(context, path, data, result)
    result[1]["files hashed"] += hashed
    return opened


def _unopened(path: str, error: OSError) -> Problem:
    """A listed file that could not be opened: a link (not followed), or absent."""
    if error.errno in LINK_ERRORS:
        return Problem(Kind.CORRUPTED, path, LINKED_FILE)
    return Problem(Kind.MISSING, path, ABSENT)


def _outside_folder(path: str, failure: str) -> Problem:
    """A listed file whose folder could not be opened: it, or a folder above it, is absent,
    a link (not followed), or cannot be opened."""
    return Problem(Kind.MISSING if failure == ABSENT else Kind.CORRUPTED, path, failure)


def compared(path: str, deep: bool) -> bool:
    """Whether a listed file is a document the recount compares (a region document; with
    ``deep``, also every TPS document and desa file of TPS records)."""
    return path.startswith(_TREES) and (deep or not _tps_level(path))


_TREES = ("rekap/", "pemilu/", "wilayah/")
_DESA_TPS_END = "/" + DESA_TPS_NAME


class Part(Enum):
    """What a pass reads: the documents it compares, or every other file."""

    DOCUMENTS = "documents"
    FILES = "files"

    def select(self, entries: list[Entry], indices: Iterable[int], deep: bool) -> list[int]:
        """The indices of the entries this part reads (``compared``, inlined: the test runs
        for every one of a million entries, in both passes)."""
        documents, trees, desa = self is Part.DOCUMENTS, _TREES, _DESA_TPS_END
        if deep:
            return [i for i in indices if entries[i][0].startswith(trees) is documents]
        return [
            i
            for i in indices
            if (
                (path := entries[i][0]).startswith(trees)
                and not (path.endswith(desa) or len(path) - path.rfind("/") == 19)
            )
            is documents
        ]


# a task's problems and counts, the listed paths it opened, and (the files pass only) the
# files found in its folders
TaskResult = tuple[list[Problem], Counter[str], int, int]


def run_task(context: PassContext, task: Task, walked: frozenset[str], part: Part) -> TaskResult:
    """The listed files of ``task`` that ``part`` reads. The files pass also checks the
    listing of every folder in the task's directory (naming what is present but not listed)
    or, for the rest, counts the files present (``find_unlisted`` names them when the counts
    differ)."""
    result: Result = ([], Counter())
    indices = range(task.start, task.stop) if task.directory else task.extra
    chosen = part.select(context.entries, indices, context.deep)
    listing = task.directory if part is Part.FILES else None
    chain = FolderChain(str(context.folder), listing, result[0])
    try:
        inside = task.directory is not None
        if listing is None:
            opened = _check_files(context, chosen, chosen, result, chain, False, inside)
        else:
            opened = _check_files(context, indices, chosen, result, chain, True, inside)
    finally:
        chain.close()
    present = 0
    if part is Part.FILES and task.directory is None:
        present = count_files(str(context.folder), "", walked)
    return result[0], result[1], opened, present


_FOLDERS_FOUND = frozenset({Found.EMPTY_FOLDER, Found.UNREADABLE_FOLDER})


def unlisted(context: PassContext, task: Task, walked: frozenset[str]) -> list[Problem]:
    """The files (and links) present outside the tasks' directories that SHA256SUMS does not
    list, and the empty folders there that no path it lists is in."""
    entries, root = context.entries, str(context.folder)
    listed = {entries[i][0] for i in task.extra} | UNINDEXED
    problems: list[Problem] = []
    implied: set[str] | None = None  # the folders of the listed paths, made once needed
    for path, found in walk(root, "", walked):
        if found in _FOLDERS_FOUND:
            implied = _folders(listed) if implied is None else implied
            if path not in implied:  # not the folder of listed files (named with them)
                problems.append(Problem(Kind.UNLISTED, path, SAID[found]))
        elif path not in listed:
            problems.append(Problem(Kind.UNLISTED, path, SAID[found]))
    return problems


def _folders(paths: Iterable[str]) -> set[str]:
    """Every folder that ``paths`` are in (``a/b/c`` is in ``a/b`` and ``a``)."""
    found: set[str] = set()
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder and folder not in found:
            found.add(folder)
            folder = folder.rpartition("/")[0]
    return found


_TASK: Callable[[int], TaskResult] | None = None


def _run(number: int) -> TaskResult:
    assert _TASK is not None
    return _TASK(number)


class Pass:
    """One pass over a snapshot's files, started in ``workers`` forked processes; the caller
    goes on (e.g. recomputing the aggregates) and collects the outcome with ``result``.
    With one worker, the pass runs in this process when ``result`` is called."""

    def __init__(self, context: PassContext, workers: int, part: Part) -> None:
        global _TASK
        self.context = context
        self.tasks = plan(context.entries, context.contest)
        self.walked = frozenset(t.directory for t in self.tasks if t.directory)
        self.opened: list[int] = []
        self.present: list[int] = []

        def task(number: int) -> TaskResult:
            return run_task(context, self.tasks[number], self.walked, part)

        self._task = task
        self._pool: Any = None
        self._pending: Any = None
        if workers > 1:
            _TASK = task
            gc.freeze()  # keep the collector off the shared aggregates: fewer copied pages
            try:
                self._pool = multiprocessing.get_context("fork").Pool(workers)
                self._pending = self._pool.map_async(_run, range(len(self.tasks)), chunksize=1)
            finally:
                gc.unfreeze()
                _TASK = None

    def cancel(self) -> None:
        """Stop the workers (the caller failed and will not collect the result)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def result(self) -> Result:
        if self._pool is None:
            results = [self._task(i) for i in range(len(self.tasks))]
        else:
            try:
                results = self._pending.get()
                self._pool.close()
            finally:
                self._pool.terminate()
                self._pool.join()
        problems: list[Problem] = []
        counts: Counter[str] = Counter()
        for found, counted, opened, present in results:
            problems.extend(found)
            counts.update(counted)
            self.opened.append(opened)
            self.present.append(present)
        return problems, counts


def find_unlisted(files: Pass, documents: Pass) -> list[Problem]:
    """The unlisted files outside the tasks' directories, once both passes are done (those
    inside were named by the files pass): walked again only when the folders there hold more
    files (or empty folders) than the two passes opened, or a link."""
    problems: list[Problem] = []
    for number, task in enumerate(files.tasks):
        if task.directory is None and (
            files.present[number] != files.opened[number] + documents.opened[number]
        ):
            problems += unlisted(files.context, task, files.walked)
    return problems
