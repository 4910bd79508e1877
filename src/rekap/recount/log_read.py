"""The snapshot's change log read back into records, file after file, one line at a time.

Each line of ``log/events-<first>.jsonl.gz`` is one event as the API serves it; the record it
gives is checked by ``rekap.events.chain.verify_chain`` exactly as the server's own log is.
A file is decompressed as it is read, one line at a time, and no line longer than
``MAX_LINE`` is read whole: a small gzip file can hold a gigabyte of one line.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import orjson

from rekap.events.chain import Recorded
from rekap.recount.layout import log_first

MAX_LINE = 1 << 20
"""The longest line (one event, its newline left out) read from a log file, in bytes: 1 MiB.
An event is a few hundred bytes, a result imported with every number of a form a few thousand;
a longer line is reported as unreadable, not read on."""


class LogUnreadable(ValueError):
    """A line of a log file that is not an event, or a file that cannot be decompressed."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path} line {line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


def _whole(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not an integer")
    return value


def record_of(line: bytes) -> Recorded:
    """One line as a record; raises ValueError, TypeError or KeyError when it is not one."""
    item = orjson.loads(line)
    payload = item["payload"]
    if not isinstance(payload, dict):
        raise TypeError("the payload is not an object")
    return Recorded(
        sequence=_whole(item["sequence"]),
        kind=_text(item["kind"]),
        at=datetime.fromisoformat(_text(item["at"])),
        actor=_text(item["actor"]),
        reason=_text(item["reason"]),
        payload=payload,
        previous_hash=_text(item["previous_hash"]),
        hash=_text(item["hash"]),
    )


class LogReader:
    """The records of ``paths`` in order (iterate once per pass); ``current`` is the file being
    read, so a broken link can be named with its file; ``misnamed`` lists each file whose first
    event is not the one its name gives."""

    def __init__(self, folder: Path, paths: Sequence[str]) -> None:
        self.folder = folder
        self.paths = tuple(paths)
        self.current = ""
        self.misnamed: list[tuple[str, int]] = []

    def __iter__(self) -> Iterator[Recorded]:
        self.misnamed = []
        for path in self.paths:
            self.current = path
            yield from self._file(path)

    def _file(self, path: str) -> Iterator[Recorded]:
        number = 0
        try:
            with gzip.open(self.folder / path, "rb") as stream:
                while line := stream.readline(MAX_LINE + 1):
                    number += 1
                    if len(line) > MAX_LINE and not line.endswith(b"\n"):
                        raise LogUnreadable(path, number, f"longer than {MAX_LINE:,} bytes")
                    try:
                        record = record_of(line)
                    except (ValueError, TypeError, KeyError) as error:
                        raise LogUnreadable(path, number, f"not an event ({error})") from None
                    if number == 1 and record.sequence != log_first(path):
                        self.misnamed.append((path, record.sequence))
                    yield record
        except (OSError, EOFError, zlib.error) as error:
            raise LogUnreadable(path, number + 1, f"cannot be decompressed ({error})") from None
