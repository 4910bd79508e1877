"""Reading Sirekap files from disk: CSV or CSV.gz, a JSON file, a zip of JSON files, a folder.

Each record comes out as a ``SourceRecord``; a file that cannot be decoded, a malformed CSV
row or a truncated archive becomes a record with an error, so the report counts it.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from rekap.sources.sirekap import SourceRecord

csv.field_size_limit(1 << 24)


def read_records(path: Path) -> Iterator[SourceRecord]:
    """Every record under ``path``, in a stable order."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and _is_data_file(child):
                yield from read_records(child)
        return
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        yield from _csv_records(path)
    elif name.endswith(".zip"):
        yield from _zip_records(path)
    elif name.endswith(".json"):
        yield _json_record(path.name, path.stem, path.read_bytes())
    else:
        yield SourceRecord(str(path), None, None, "not a Sirekap file (.csv, .csv.gz, .json, .zip)")


def _is_data_file(path: Path) -> bool:
    return path.name.lower().endswith((".csv", ".csv.gz", ".json", ".zip"))


def _csv_records(path: Path) -> Iterator[SourceRecord]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    line = 1
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                yield SourceRecord(f"{path.name}:1", None, None, "empty file")
                return
            for row in reader:
                line = reader.line_num
                origin = f"{path.name}:{line}"
                if len(row) != len(header):
                    error = f"malformed CSV row: {len(row)} columns, expected {len(header)}"
                    yield SourceRecord(origin, row[0] if row else None, None, error)
                    continue
                yield SourceRecord(origin, row[0], dict(zip(header, row, strict=True)))
    except (EOFError, OSError, zlib.error, UnicodeDecodeError, csv.Error) as error:
        reason = f"file unreadable after line {line}: {type(error).__name__}: {error}"
        yield SourceRecord(f"{path.name}:{line + 1}", None, None, reason)


def _zip_records(path: Path) -> Iterator[SourceRecord]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        yield SourceRecord(path.name, None, None, f"not a readable zip: {error}")
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or not info.filename.lower().endswith(".json"):
                continue
            origin = f"{path.name}!{info.filename}"
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
                yield SourceRecord(origin, None, None, f"unreadable zip member: {error}")
                continue
            yield _json_record(origin, Path(info.filename).stem, data)


def _json_record(origin: str, stem: str, data: bytes) -> SourceRecord:
    kode = stem if stem.isdigit() else None
    try:
        record = json.load(io.BytesIO(data))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return SourceRecord(origin, kode, None, f"invalid JSON: {error}")
    if not isinstance(record, dict):
        return SourceRecord(origin, kode, None, "JSON is not an object")
    return SourceRecord(origin, kode, record)
