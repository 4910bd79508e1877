"""Byte encodings shared by every document: compact UTF-8 JSON, reproducible gzip, times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache

import orjson
from isal import igzip

from rekap.domain.timezones import WIB


def dump(document: object) -> bytes:
    """Compact UTF-8 JSON (what ``json.dumps`` with ``separators=(",", ":")`` and
    ``ensure_ascii=False`` writes, about 15 times faster); key order is the builder's, so the
    same input gives the same bytes. Keys must be strings."""
    return orjson.dumps(document)


def dump_line(document: object) -> bytes:
    """``dump`` followed by a newline: one line of a JSONL file."""
    return orjson.dumps(document, option=orjson.OPT_APPEND_NEWLINE)


def dump_pretty(document: object) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def gzip_bytes(data: bytes) -> bytes:
    """gzip with no file name and a zero timestamp, so equal input gives equal bytes. Made
    with ISA-L (``isal``, its fastest level): a standard gzip stream, about five times faster
    to make than zlib's level 3 and no larger on the bulk data (docs/decisions/0005)."""
    return igzip.compress(data, compresslevel=1, mtime=0)


def iso_utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sirekap_ts(at: datetime) -> str:
    """Sirekap's ``ts``: local time in WIB, ``YYYY-MM-DD HH:MM:SS``, no zone."""
    return at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")


def snapshot_id(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@lru_cache(maxsize=4096)
def cached_sirekap_ts(at: datetime) -> str:
    """``sirekap_ts``, remembered: many results share a time."""
    return sirekap_ts(at)


@lru_cache(maxsize=4096)
def cached_iso_utc(at: datetime) -> str:
    return iso_utc(at)
