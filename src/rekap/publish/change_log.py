"""The change log in a snapshot: every event from the first up to the manifest's ``log_head``,
as gzip JSON Lines in files of ``EVENTS_PER_FILE`` events each, by sequence.

``log/events-000000000001.jsonl.gz`` holds events 1 … 10,000, ``log/events-000000010001.jsonl.gz``
events 10,001 … 20,000, and so on: a file's events are fixed by its name, so a full file's bytes
are the same in every snapshot; only the last file grows. Each line is one event in the shape of
the API's ``/api/v1/log`` (``sequence``, ``kind``, ``at``, ``actor``, ``reason``, ``payload``,
``previous_hash``, ``hash``), payload keys sorted at every level, so the same log gives the same
bytes whichever store it was read from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from rekap.events.chain import Recorded
from rekap.publish.encode import gzip_bytes
from rekap.publish.paths import log_file
from rekap.publish.records import LogHead

EVENTS_PER_FILE = 10_000


class LogMismatch(ValueError):
    """The log handed to publication does not lead, event by event, to the head it names."""


def event_line(record: Recorded) -> bytes:
    """One event as one line of compact JSON: the object the API serves
    (``rekap.web.routes_public.record_json``), its keys in that order and the payload's sorted
    at every level (three encodings spliced: no walk of the payload in Python)."""
    envelope = orjson.dumps(
        {
            "sequence": record.sequence,
            "kind": record.kind,
            "at": record.at.isoformat(),
            "actor": record.actor,
            "reason": record.reason,
        }
    )
    payload = orjson.dumps(dict(record.payload), option=orjson.OPT_SORT_KEYS)
    links = orjson.dumps({"previous_hash": record.previous_hash, "hash": record.hash})
    return b"".join((envelope[:-1], b',"payload":', payload, b",", links[1:], b"\n"))


def log_files(records: Iterable[Recorded], head: LogHead) -> Iterator[tuple[str, bytes]]:
    """``(path, bytes)`` of each file of the log from event 1 up to ``head``, one file at a time
    (constant memory for a national log). Raises ``LogMismatch`` when an event is missing or
    out of order, or the log stops before the head or holds another hash at its position:
    a snapshot must never name a head its log does not reach."""
    per_file = EVENTS_PER_FILE  # read when called: tests make files small
    lines: list[bytes] = []
    expected = 1
    last: Recorded | None = None
    for record in records:
        if record.sequence > head.sequence:
            break
        if record.sequence != expected:
            raise LogMismatch(f"event {record.sequence} where event {expected} was expected")
        lines.append(event_line(record))
        last = record
        expected += 1
        if len(lines) == per_file:
            yield log_file(record.sequence - per_file + 1), gzip_bytes(b"".join(lines))
            lines = []
    if last is None or last.sequence != head.sequence:
        reached = 0 if last is None else last.sequence
        raise LogMismatch(f"the log ends at event {reached}, the head is {head.sequence}")
    if last.hash != head.hash:
        raise LogMismatch(f"event {head.sequence} has hash {last.hash}, the head {head.hash}")
    if lines:
        first = head.sequence - len(lines) + 1
        yield log_file(first), gzip_bytes(b"".join(lines))
