"""Each version of a TPS's numbers, replayed from its change log, with the events that made it.

A version is what one change left: the log's records of one transaction (the same time, actor
and reason, one after the other in the TPS's history) that set numbers — an import, the
machine's accepted reading, the verifiers' numbers, a correction. Its numbers are the previous
version's with that transaction's changes applied, so the last version is the TPS's current
numbers. Pure: records in, versions out; ``version_views`` says them in a page's words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rekap.events.chain import Recorded
from rekap.web.portal.i18n import when
from rekap.web.portal.region_log import Say, describe

SETS_NUMBERS = ("result.imported", "result.value_changed")


@dataclass(frozen=True, slots=True)
class NumberVersion:
    number: int
    records: tuple[Recorded, ...]
    """Every record of the transaction that made it, in log order."""
    values: Mapping[str, int]
    """The TPS's numbers after it."""
    changes: tuple[tuple[str, int | None, int | None], ...]
    """(field, before, after) of each number it changed, in the form's order of the log."""

    @property
    def first(self) -> int:
        return self.records[0].sequence

    @property
    def last(self) -> int:
        return self.records[-1].sequence


def _transactions(records: Sequence[Recorded]) -> list[list[Recorded]]:
    """The TPS's records cut where the time, actor or reason changes."""
    groups: list[list[Recorded]] = []
    for record in records:
        if groups:
            head = groups[-1][-1]
            if (head.at, head.actor, head.reason) == (record.at, record.actor, record.reason):
                groups[-1].append(record)
                continue
        groups.append([record])
    return groups


def _apply(values: dict[str, int], record: Recorded) -> list[tuple[str, int | None, int | None]]:
    payload: Mapping[str, Any] = record.payload
    if record.kind == "result.imported":
        new = {str(k): int(v) for k, v in (payload.get("values") or {}).items()}
        changed = [(f, values.get(f), new.get(f)) for f in sorted(set(values) | set(new))]
        values.clear()
        values.update(new)
        return [c for c in changed if c[1] != c[2]]
    field, after = str(payload.get("field")), payload.get("after")
    before = values.pop(field, None)
    if isinstance(after, int):
        values[field] = after
    return [(field, before, after if isinstance(after, int) else None)]


def number_versions(records: Sequence[Recorded]) -> tuple[NumberVersion, ...]:
    """Every version of the numbers, oldest first (an import that carried no numbers, a TPS
    listed before its count, makes none)."""
    versions: list[NumberVersion] = []
    values: dict[str, int] = {}
    for group in _transactions(records):
        changes = []
        for record in group:
            if record.kind in SETS_NUMBERS:
                changes += _apply(values, record)
        if changes:
            versions.append(
                NumberVersion(len(versions) + 1, tuple(group), dict(values), tuple(changes))
            )
    return tuple(versions)


@dataclass(frozen=True, slots=True)
class VersionView:
    number: int
    first: int
    last: int
    at: str
    actor_name: str
    reason: str
    made_by: tuple[str, ...]
    """The transaction's other events in words (the form assessed, the task closed, …)."""
    changes: tuple[str, ...]
    """What changed, in words: each number, or how many were first set."""
    values: tuple[tuple[str, str, bool], ...]
    """(label, number, changed here) of every number of the form, in its order."""
    current: bool


def _said_changes(version: NumberVersion, say: Say, first: bool) -> tuple[str, ...]:
    imported = [r for r in version.records if r.kind == "result.imported"]
    if imported:
        return tuple(describe(r, say) for r in imported)
    if first:
        return (say.words("version_set", n=say.num(len(version.values))),)
    return tuple(say.change(field, before, after) for field, before, after in version.changes)


def version_views(
    versions: Sequence[NumberVersion], say: Say, names: Mapping[str, tuple[str, str]]
) -> tuple[VersionView, ...]:
    out = []
    for version in versions:
        head = version.records[0]
        # the first version sets every number: none is marked as changed there
        changed = {f for f, _, _ in version.changes} if version.number > 1 else set()
        out.append(
            VersionView(
                version.number,
                version.first,
                version.last,
                when(head.at),
                names.get(head.actor, (head.actor, ""))[0],
                head.reason,
                tuple(describe(r, say) for r in version.records if r.kind not in SETS_NUMBERS),
                _said_changes(version, say, version.number == 1),
                tuple(
                    (say.field(f.id), say.num(version.values.get(f.id)), f.id in changed)
                    for f in say.form.fields
                ),
                version is versions[-1],
            )
        )
    return tuple(out)
