"""Reading Sirekap files from disk: CSV or CSV.gz, a JSON file, a zip of JSON files, a folder.

Each record comes out as a ``SourceRecord``; a file that cannot be decoded, a malformed CSV
row or a truncated archive becomes a record with an error, so the report counts it.

Hostile input is bounded: only regular files are opened (a FIFO or device is reported, not
read); symbolic links inside a folder are reported, not followed; a zip is never extracted,
its member names are only labels; a CSV line, a JSON file and a zip member have size limits;
a compressed file may inflate to at most ``INFLATE_RATIO`` times its size (plus
``INFLATE_SLACK``). Anything refused or skipped becomes a record with the reason.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from rekap.sources.sirekap import PASLON_COLUMN, SourceRecord

MAX_LINE = 1 << 20  # characters in one CSV line; a real row is under 1,000
MAX_JSON_BYTES = 1 << 22  # bytes in one JSON file; a real TPS file is about 1 KB
INFLATE_RATIO = 100  # real Sirekap data inflates about 6×
INFLATE_SLACK = 1 << 26
DATA_SUFFIXES = (".csv", ".csv.gz", ".json", ".zip")
SYMLINK_MODE = 0o120000

csv.field_size_limit(MAX_LINE)


class InputTooLarge(ValueError):
    """A line, a member or an inflated stream over its limit."""


def read_records(path: Path) -> Iterator[SourceRecord]:
    """Every record under ``path``, in a stable order."""
    if path.is_dir():
        yield from _folder_records(path)
        return
    try:
        mode = path.stat().st_mode
    except OSError as error:
        yield SourceRecord(str(path), None, None, f"cannot open: {error}")
        return
    if not stat.S_ISREG(mode):
        yield SourceRecord(str(path), None, None, "not a regular file (a FIFO, device or socket)")
        return
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        yield from _csv_records(path)
    elif name.endswith(".zip"):
        yield from _zip_records(path)
    elif name.endswith(".json"):
        yield _json_file_record(path)
    else:
        yield SourceRecord(str(path), None, None, "not a Sirekap file (.csv, .csv.gz, .json, .zip)")


def _folder_records(folder: Path) -> Iterator[SourceRecord]:
    found = False
    for child in sorted(folder.rglob("*")):
        if child.is_symlink():
            if _is_data_file(child) or child.is_dir():
                found = True
                yield SourceRecord(str(child), None, None, "symbolic link: not followed")
        elif _is_data_file(child) and not child.is_dir():
            found = True
            yield from read_records(child)
    if not found:
        reason = "no .csv, .csv.gz, .json or .zip file in this folder"
        yield SourceRecord(str(folder), None, None, reason)


def _is_data_file(path: Path) -> bool:
    return path.name.lower().endswith(DATA_SUFFIXES)


def _bounded_lines(handle: IO[str], budget: int | None) -> Iterator[str]:
    """The lines of ``handle``, refusing one over ``MAX_LINE`` or a total over ``budget``."""
    readline = handle.readline
    total = 0
    while line := readline(MAX_LINE + 1):
        if len(line) > MAX_LINE:
            raise InputTooLarge(f"a line longer than {MAX_LINE:,} characters")
        if budget is not None:
            total += len(line)
            if total > budget:
                raise InputTooLarge(f"inflates past {budget:,} bytes (a decompression bomb?)")
        yield line


def _header_problem(header: list[str]) -> str | None:
    if "kode_tps" in header and any(PASLON_COLUMN.match(c) for c in header):
        if len(set(header)) == len(header):
            return None
        return "CSV header repeats a column name"
    shown = ",".join(header)[:200]
    return f"not Sirekap's per-TPS CSV: the header needs kode_tps and paslon_NN ({shown})"


def _csv_records(path: Path) -> Iterator[SourceRecord]:
    compressed = path.name.lower().endswith(".gz")
    opener = gzip.open if compressed else open
    budget = INFLATE_RATIO * path.stat().st_size + INFLATE_SLACK if compressed else None
    line = 1
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(_bounded_lines(handle, budget))
            header = next(reader, None)
            if header is None:
                yield SourceRecord(f"{path.name}:1", None, None, "empty file")
                return
            problem = _header_problem(header)
            if problem is not None:
                yield SourceRecord(f"{path.name}:1", None, None, problem)
                return
            for row in reader:
                line = reader.line_num
                origin = f"{path.name}:{line}"
                if len(row) != len(header):
                    error = f"malformed CSV row: {len(row)} columns, expected {len(header)}"
                    yield SourceRecord(origin, row[0][:20] if row else None, None, error)
                    continue
                yield SourceRecord(origin, row[0], dict(zip(header, row, strict=True)))
    except (EOFError, OSError, zlib.error, UnicodeDecodeError, csv.Error, InputTooLarge) as error:
        reason = f"file unreadable after line {line}: {type(error).__name__}: {error}"
        yield SourceRecord(f"{path.name}:{line + 1}", None, None, reason)


def _zip_records(path: Path) -> Iterator[SourceRecord]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        yield SourceRecord(path.name, None, None, f"not a readable zip: {error}")
        return
    with archive:
        members = sorted((i for i in archive.infolist() if not i.is_dir()), key=_member_name)
        if not any(_member_name(i).lower().endswith(".json") for i in members):
            yield SourceRecord(path.name, None, None, "the zip holds no .json file")
            return
        inflated = sum(i.file_size for i in members)
        budget = INFLATE_RATIO * path.stat().st_size + INFLATE_SLACK
        if inflated > budget:
            reason = f"not read: members would inflate to {inflated:,} bytes (a zip bomb?)"
            yield SourceRecord(path.name, None, None, reason)
            return
        for info in members:
            yield _zip_member_record(archive, info, f"{path.name}!{info.filename}")


def _member_name(info: zipfile.ZipInfo) -> str:
    return info.filename


def _zip_member_record(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, origin: str
) -> SourceRecord:
    name = info.filename.lower()
    if not name.endswith(".json"):
        if name.endswith((".zip", ".gz", ".csv")):
            return SourceRecord(origin, None, None, "not read: unpack an archive inside a zip")
        return SourceRecord(origin, None, None, "not read: only .json files in a zip are read")
    stem = Path(info.filename).stem
    if (info.external_attr >> 16) & 0o170000 == SYMLINK_MODE:
        return SourceRecord(origin, None, None, "symbolic link in the zip: not followed")
    if info.file_size > MAX_JSON_BYTES:
        reason = f"member inflates to {info.file_size:,} bytes; a TPS file is a few KB"
        return SourceRecord(origin, None, None, reason)
    try:
        with archive.open(info) as member:
            data = member.read(MAX_JSON_BYTES + 1)
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        zlib.error,
        NotImplementedError,
        RuntimeError,
    ) as error:
        return SourceRecord(origin, None, None, f"unreadable zip member: {error}")
    if len(data) > MAX_JSON_BYTES:
        return SourceRecord(origin, None, None, f"member larger than {MAX_JSON_BYTES:,} bytes")
    return _json_record(origin, stem, data)


def _json_file_record(path: Path) -> SourceRecord:
    if path.stat().st_size > MAX_JSON_BYTES:
        reason = f"file larger than {MAX_JSON_BYTES:,} bytes; a TPS file is a few KB"
        return SourceRecord(path.name, None, None, reason)
    try:
        data = path.read_bytes()
    except OSError as error:
        return SourceRecord(path.name, None, None, f"cannot read: {error}")
    return _json_record(path.name, path.stem, data)


def _json_record(origin: str, stem: str, data: bytes) -> SourceRecord:
    kode = stem if stem.isascii() and stem.isdigit() else None
    try:
        record = json.load(io.BytesIO(data))
    except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError, …
        return SourceRecord(origin, kode, None, f"invalid JSON: {error}")
    if not isinstance(record, dict):
        return SourceRecord(origin, kode, None, "JSON is not an object")
    return SourceRecord(origin, kode, record)
