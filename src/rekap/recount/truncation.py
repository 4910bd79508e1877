"""Whether a file that fails its check looks cut short (rather than altered): said in the
report, since a cut-short file is usually a failed copy and an altered one is not."""

from __future__ import annotations

import json
import zlib

from rekap.recount.layout import INDEX

MAX_UNPACKED = 256 << 20
"""A compressed file is unpacked no further than this to tell (a small file that unpacks
to gigabytes is not a cut-short file)."""


def looks_truncated(path: str, data: bytes) -> bool:
    if path.endswith(".json"):
        try:
            json.loads(data)
        except json.JSONDecodeError as error:
            return error.pos >= len(data) - 1 or error.msg.startswith("Unterminated")
        except (ValueError, RecursionError):
            return False
        return False
    if path.endswith(".gz"):
        return _gzip_ends_early(data)
    if path.endswith(".parquet"):
        return not data.endswith(b"PAR1")
    if path == INDEX:
        return _lines_end_early(data)
    return False


def _lines_end_early(data: bytes) -> bool:
    """A checksum list that stops inside a line, every whole line before it well formed
    (``<64 hex>  <path>``): cut short. One that ends at a line's end may as well have lost
    a line in the middle (altered), and is not called cut short."""
    if not data or data.endswith(b"\n"):
        return False
    whole = data.split(b"\n")[:-1]
    return all(
        len(line) > 66 and line[64:66] == b"  " and _HEX.issuperset(line[:64]) for line in whole
    )


_HEX = frozenset(b"0123456789abcdef")


def _gzip_ends_early(data: bytes) -> bool:
    """Every gzip member valid as far as it goes, and the data ending inside one."""
    rest = data
    while rest:
        unpacker = zlib.decompressobj(wbits=31)
        unpacked = 0
        try:
            chunk = unpacker.decompress(rest, MAX_UNPACKED)
            while chunk and not unpacker.eof:
                unpacked += len(chunk)
                if unpacked > MAX_UNPACKED:
                    return False
                chunk = unpacker.decompress(unpacker.unconsumed_tail, MAX_UNPACKED)
        except zlib.error:
            return False
        if not unpacker.eof:
            return True
        rest = unpacker.unused_data
    return False
