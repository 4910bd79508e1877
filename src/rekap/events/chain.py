"""Hash-chaining events: each record commits to its predecessor, so no change goes unseen.

``hash = SHA-256(canonical JSON of [sequence, kind, at, actor, reason, payload, previous])``.
The first record's predecessor is 64 zeros. Verification walks the chain and names the first
record whose stored hash or link does not match.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rekap.events.model import EVENT_TYPES, Event

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event in the log: its envelope (who, when, why), payload and chain links."""

    sequence: int
    kind: str
    at: datetime
    actor: str
    reason: str
    payload: Mapping[str, Any]
    previous_hash: str
    hash: str

    def event(self) -> Event:
        return EVENT_TYPES[self.kind].from_payload(self.payload)


def canonical(
    sequence: int,
    kind: str,
    at: datetime,
    actor: str,
    reason: str,
    payload: Mapping[str, Any],
    previous_hash: str,
) -> bytes:
    body = [sequence, kind, at.isoformat(), actor, reason, payload, previous_hash]
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(
    sequence: int,
    kind: str,
    at: datetime,
    actor: str,
    reason: str,
    payload: Mapping[str, Any],
    previous_hash: str,
) -> str:
    body = canonical(sequence, kind, at, actor, reason, payload, previous_hash)
    return hashlib.sha256(body).hexdigest()


def append(
    previous: Recorded | None, event: Event, at: datetime, actor: str, reason: str
) -> Recorded:
    """The record that follows ``previous`` (or starts the log)."""
    if at.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    sequence = 1 if previous is None else previous.sequence + 1
    previous_hash = GENESIS if previous is None else previous.hash
    payload = event.payload()
    link = digest(sequence, event.kind, at, actor, reason, payload, previous_hash)
    return Recorded(sequence, event.kind, at, actor, reason, payload, previous_hash, link)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    checked: int
    head: Recorded | None
    broken_at: int | None = None
    problem: str | None = None
    unknown_kinds: tuple[str, ...] = ()
    """Kinds of event this version does not know (a newer rekap wrote them): their links and
    hashes were checked like any other's, their meaning was not."""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(records: Iterable[Recorded]) -> ChainCheck:
    """Walk the log in order; stop at the first record that does not hold."""
    previous: Recorded | None = None
    checked = 0
    unknown: set[str] = set()
    for record in records:
        expected_sequence = 1 if previous is None else previous.sequence + 1
        expected_previous = GENESIS if previous is None else previous.hash
        problem = None
        if record.sequence != expected_sequence:
            problem = f"sequence {record.sequence} follows {expected_sequence - 1}"
        elif record.previous_hash != expected_previous:
            problem = "its link does not match the previous record's hash"
        else:
            if record.kind not in EVENT_TYPES:
                unknown.add(record.kind)
            recomputed = digest(
                record.sequence,
                record.kind,
                record.at,
                record.actor,
                record.reason,
                record.payload,
                record.previous_hash,
            )
            if recomputed != record.hash:
                problem = "its content does not match its hash (changed after it was written)"
        if problem is not None:
            return ChainCheck(checked, previous, record.sequence, problem, tuple(sorted(unknown)))
        previous = record
        checked += 1
    return ChainCheck(checked, previous, unknown_kinds=tuple(sorted(unknown)))


def unknown_kinds_note(kinds: tuple[str, ...]) -> str:
    return (
        f"The log holds events of kinds this version of rekap does not know ({', '.join(kinds)}): "
        "their links and hashes hold, their meaning was not checked; a newer rekap knows them."
    )
