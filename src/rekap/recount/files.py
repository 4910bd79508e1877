"""One pass over the snapshot's files: every file the index lists is read once, hashed, and,
for a tree document, compared with the recount; every file present but not listed is named.

The pass is cut into tasks by directory (one per JSON tree and provinsi, and the rest),
run in forked worker processes that share the recomputed aggregates without copying.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import multiprocessing
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rekap.recount import compare
from rekap.recount.aggregate import Aggregates
from rekap.recount.layout import INDEX, MANIFEST, SIGNATURE, kode_of
from rekap.recount.problems import Kind, Problem

Entry = tuple[str, str]  # (path, sha256)
Result = tuple[list[Problem], Counter[str]]


@dataclass(frozen=True)
class PassContext:
    folder: Path
    contest: str
    entries: list[Entry]
    aggregates: Aggregates | None
    ids: Mapping[str, str]
    skip: frozenset[str]
    deep: bool


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
        if len(digest) != 64 or not path or path.startswith("/") or ".." in path.split("/"):
            problems.append(Problem(Kind.MANIFEST, INDEX, f"line {number} is not '<sha> <path>'"))
            continue
        entries.append((path, digest))
    entries.sort()
    return entries, problems


def _province_dir(path: str, contest: str) -> str | None:
    for root in (f"wilayah/pemilu/{contest}/", f"pemilu/hhcw/{contest}/", f"rekap/{contest}/"):
        if path.startswith(root):
            head, slash, _ = path[len(root) :].partition("/")
            return root + head if slash else None
    return None


def plan(entries: list[Entry], contest: str) -> list[Task]:
    """Tasks by provinsi directory (entries are sorted, so each is one range), biggest first."""
    ranges: dict[str, list[int]] = {}
    rest: list[int] = []
    for i, (path, _) in enumerate(entries):
        directory = _province_dir(path, contest)
        if directory is None:
            rest.append(i)
        else:
            ranges.setdefault(directory, [i, i])[1] = i
    tasks = [Task(d, a, b + 1) for d, (a, b) in ranges.items()]
    tasks.sort(key=lambda t: t.start - t.stop)
    return [*tasks, Task(None, 0, 0, tuple(rest))]


def _truncated(path: str, data: bytes) -> bool:
    """Whether a file that fails its hash looks cut short (rather than altered)."""
    if path.endswith(".json"):
        try:
            json.loads(data)
        except json.JSONDecodeError as error:
            return error.pos >= len(data) - 1 or error.msg.startswith("Unterminated")
        except ValueError:
            return False
    if path.endswith(".gz"):
        try:
            gzip.decompress(data)
        except EOFError:
            return True
        except (OSError, zlib.error):
            return False
    if path.endswith(".parquet"):
        return not data.endswith(b"PAR1")
    return False


def _check_document(context: PassContext, family: str, kode: str, data: bytes) -> list[str]:
    doc: Any = json.loads(data)
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


def _read(path: str) -> bytes:
    """A whole file with plain system calls (the pass reads two million small files)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        parts = []
        while chunk := os.read(descriptor, 1 << 20):
            parts.append(chunk)
    finally:
        os.close(descriptor)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _check_file(context: PassContext, path: str, digest: str, result: Result) -> None:
    problems, counts = result
    try:
        data = _read(f"{context.folder}{os.sep}{path}")
    except OSError:
        problems.append(Problem(Kind.MISSING, path, "listed in SHA256SUMS but absent"))
        return
    if path not in context.skip:
        if hashlib.sha256(data).hexdigest() != digest:
            kind = Kind.TRUNCATED if _truncated(path, data) else Kind.CORRUPTED
            problems.append(Problem(kind, path, "SHA-256 differs from SHA256SUMS"))
            return
        counts["files hashed"] += 1
    found = kode_of(path)
    if context.aggregates is None or found is None:
        return
    if not context.deep and (len(found[1]) == 13 or found[0] == "rekap-tps"):
        return
    try:
        differences = _check_document(context, *found, data)
    except (ValueError, AttributeError, TypeError, KeyError) as error:
        differences = [f"unreadable document: {error}"]
    counts["documents compared"] += 1
    problems.extend(Problem(Kind.MISMATCH, path, d) for d in differences)


def _walk(root: str, relative: str, skip: frozenset[str]) -> Iterator[str]:
    with os.scandir(os.path.join(root, relative) if relative else root) as listing:
        for item in listing:
            path = f"{relative}/{item.name}" if relative else item.name
            if item.is_dir(follow_symlinks=False):
                if path not in skip:
                    yield from _walk(root, path, skip)
            else:
                yield path


def run_task(context: PassContext, task: Task, walked: frozenset[str]) -> Result:
    result: Result = ([], Counter())
    indices = range(task.start, task.stop) if task.directory else task.extra
    listed = set()
    for i in indices:
        path, digest = context.entries[i]
        listed.add(path)
        _check_file(context, path, digest, result)
    root = str(context.folder)
    if task.directory is None:
        present = _walk(root, "", walked)
        listed |= {INDEX, MANIFEST, SIGNATURE}
    else:
        present = (
            _walk(root, task.directory, frozenset())
            if os.path.isdir(os.path.join(root, task.directory))
            else iter(())
        )
    for path in present:
        if path not in listed:
            result[0].append(Problem(Kind.UNLISTED, path, "present but not in SHA256SUMS"))
    return result


_TASK: Callable[[int], Result] | None = None


def _run(number: int) -> Result:
    assert _TASK is not None
    return _TASK(number)


def check_all(context: PassContext, workers: int) -> Result:
    """Every listed file and every present file, in ``workers`` processes."""
    global _TASK
    tasks = plan(context.entries, context.contest)
    walked = frozenset(t.directory for t in tasks if t.directory)

    def task(number: int) -> Result:
        return run_task(context, tasks[number], walked)

    if workers <= 1:
        results = [task(i) for i in range(len(tasks))]
    else:
        _TASK = task
        gc.freeze()  # keep the collector off the shared aggregates: fewer copied pages
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = list(pool.imap_unordered(_run, range(len(tasks))))
        finally:
            gc.unfreeze()
            _TASK = None
    problems: list[Problem] = []
    counts: Counter[str] = Counter()
    for found, counted in results:
        problems.extend(found)
        counts.update(counted)
    problems.sort(key=lambda p: (p.path, p.kind.value, p.detail))
    return problems, counts
