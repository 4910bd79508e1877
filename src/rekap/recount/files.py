"""One pass over every file the index lists: its hash, and for a tree document, its numbers
against the recount. The pass is split over worker processes (forked, so they share the
recomputed aggregates without copying)."""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing
import os
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rekap.recount import compare
from rekap.recount.aggregate import Aggregates
from rekap.recount.layout import INDEX, MANIFEST, SIGNATURE, kode_of
from rekap.recount.problems import Kind, Problem

Entry = tuple[str, str]  # (path, sha256)


@dataclass(frozen=True)
class PassContext:
    folder: Path
    contest: str
    entries: list[Entry]
    aggregates: Aggregates
    ids: Mapping[str, str]
    skip: frozenset[str]
    deep: bool


def parse_index(data: bytes) -> tuple[list[Entry], list[Problem]]:
    entries: list[Entry] = []
    problems: list[Problem] = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        digest, _, path = line.partition("  ")
        if len(digest) != 64 or not path or path.startswith("/") or ".." in path.split("/"):
            problems.append(
                Problem(Kind.MANIFEST, INDEX, f"line {number} is not '<sha256>  <path>'")
            )
            continue
        entries.append((path, digest))
    return entries, problems


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


def _check_document(context: PassContext, path: str, data: bytes) -> list[str]:
    found = kode_of(path)
    if found is None:
        return []
    family, kode = found
    is_tps = len(kode) == 13
    if is_tps and not context.deep:
        return []
    doc: Any = json.loads(data)
    aggregates = context.aggregates
    if family == "wilayah":
        return compare.wilayah_list(doc, kode, aggregates)
    if family == "rekap":
        if is_tps:
            return compare.rekap_tps(doc, kode, aggregates)
        return compare.rekap_region(doc, kode, aggregates)
    if is_tps:
        return compare.hhcw_tps(doc, kode, aggregates, context.ids)
    return compare.hhcw_region(doc, kode, aggregates, context.ids)


def check_slice(context: PassContext, start: int, stop: int) -> tuple[list[Problem], Counter[str]]:
    problems: list[Problem] = []
    counts: Counter[str] = Counter()
    for path, digest in context.entries[start:stop]:
        try:
            with open(context.folder / path, "rb") as handle:
                data = handle.read()
        except OSError:
            problems.append(Problem(Kind.MISSING, path, "listed in SHA256SUMS but absent"))
            continue
        if path not in context.skip:
            if hashlib.sha256(data).hexdigest() != digest:
                kind = Kind.TRUNCATED if _truncated(path, data) else Kind.CORRUPTED
                problems.append(Problem(kind, path, "SHA-256 differs from SHA256SUMS"))
                continue
            counts["files hashed"] += 1
        try:
            differences = _check_document(context, path, data)
        except (ValueError, AttributeError, TypeError, KeyError) as error:
            differences = [f"unreadable document: {error}"]
        found = kode_of(path)
        if found is not None and (len(found[1]) < 13 or context.deep):
            counts["documents compared"] += 1
        problems.extend(Problem(Kind.MISMATCH, path, d) for d in differences)
    return problems, counts


_TASK: Callable[[int], tuple[list[Problem], Counter[str]]] | None = None


def _run(number: int) -> tuple[list[Problem], Counter[str]]:
    assert _TASK is not None
    return _TASK(number)


def check_all(context: PassContext, workers: int) -> tuple[list[Problem], Counter[str]]:
    """Every index entry, in ``workers`` processes (slices of about 20,000 files)."""
    global _TASK
    size = max(1, min(20_000, len(context.entries) // max(1, workers * 4) + 1))
    slices = [
        (s, min(s + size, len(context.entries))) for s in range(0, len(context.entries), size)
    ]

    def task(number: int) -> tuple[list[Problem], Counter[str]]:
        return check_slice(context, *slices[number])

    if workers <= 1 or len(slices) <= 1:
        results = [task(i) for i in range(len(slices))]
    else:
        _TASK = task
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = list(pool.imap(_run, range(len(slices))))
        finally:
            _TASK = None
    problems: list[Problem] = []
    counts: Counter[str] = Counter()
    for found, counted in results:
        problems.extend(found)
        counts.update(counted)
    return problems, counts


def unlisted(folder: Path, entries: list[Entry]) -> list[Problem]:
    """Files in the snapshot that the index does not list (nothing may be slipped in)."""
    listed = {path for path, _ in entries} | {INDEX, MANIFEST, SIGNATURE}
    found = []
    for root, _, files in os.walk(folder):
        relative = os.path.relpath(root, folder)
        for name in files:
            path = name if relative == "." else f"{relative}/{name}".replace(os.sep, "/")
            if path not in listed:
                found.append(Problem(Kind.UNLISTED, path, "present but not in SHA256SUMS"))
    return sorted(found, key=lambda p: p.path)
