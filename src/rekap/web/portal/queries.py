"""The portal's reads of the store: plain rows out, nothing written.

Everything here is a read the storage modules do not offer yet; the pages build their view
models from these rows (and from the pure tally and rules code).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, RowMapping, func, select

from rekap.adapters.storage.json_text import as_text, loads, numbers
from rekap.adapters.storage.photo_times import PhotoTimes, photo_times
from rekap.adapters.storage.schema import (
    account,
    event,
    finding,
    finding_batch,
    form,
    photo,
    tps_result,
    verification_entry,
    verification_task,
)
from rekap.adapters.storage.tally_inputs import chunks, stored_finding
from rekap.capture.states import PhotoState
from rekap.domain.result import SourceKind
from rekap.rules.finding import Finding


@dataclass(frozen=True, slots=True)
class DataVersion:
    head: int
    """The newest change-log sequence."""
    finding_batch: int
    """The newest replacement of many TPS's findings at once (an import's), which no event
    about each TPS records."""


@dataclass(frozen=True, slots=True)
class ResultRow:
    kode_tps: str
    jenis: str
    values: Mapping[str, int]
    source_kind: str
    source_ref: str
    external_photos: tuple[str | None, ...]
    """An imported result's photo addresses, each page's at its position (rekap's own
    photos are the ``photo`` rows)."""
    published_at: str | None


@dataclass(frozen=True, slots=True)
class FormRow:
    kode_tps: str
    state: str
    values: Mapping[str, int]
    abstained: tuple[str, ...]
    reasons: tuple[str, ...]
    updated_at: str


@dataclass(frozen=True, slots=True)
class PhotoRow:
    id: int
    sha256: str
    page: int
    format: str
    width: int
    height: int
    captured_at: str
    received_at: str
    account_id: str
    state: str
    reason: str
    reading: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class EntryRow:
    account_id: str
    role: str
    values: Mapping[str, int]
    seconds: float
    entered_at: str


class PortalQueries:
    def __init__(self, engine: Engine, contest: str) -> None:
        self.engine = engine
        self.contest = contest

    def version(self) -> DataVersion:
        """Where the data stands: the change-log head, and the last bulk replacement of
        findings (an import's replaces them without an event about each TPS; the capture
        workflow's change with one)."""
        with self.engine.connect() as connection:
            head = connection.execute(select(func.max(event.c.sequence))).scalar_one()
            batch = connection.execute(select(func.max(finding_batch.c.id))).scalar_one()
        return DataVersion(int(head or 0), int(batch or 0))

    def changed_since(self, sequence: int) -> set[str]:
        """The TPS that events after ``sequence`` are about."""
        query = (
            select(event.c.subject)
            .distinct()
            .where(event.c.sequence > sequence, event.c.subject.is_not(None))
        )
        with self.engine.connect() as connection:
            return {str(s) for (s,) in connection.execute(query) if len(str(s)) == 13}

    def results(self, codes: Sequence[str] | None = None) -> list[ResultRow]:
        out: list[ResultRow] = []
        with self.engine.connect() as connection:
            for chunk in chunks(codes):
                query = select(
                    tps_result.c.kode_tps,
                    tps_result.c.jenis,
                    as_text(tps_result.c.fields),
                    tps_result.c.source_kind,
                    tps_result.c.source_ref,
                    as_text(tps_result.c.photos),
                    tps_result.c.published_at,
                ).where(tps_result.c.contest == self.contest)
                if chunk is not None:
                    query = query.where(tps_result.c.kode_tps.in_(chunk))
                out.extend(
                    ResultRow(k, j, numbers(loads(f)), s, r, _external(s, loads(p)), at)
                    for k, j, f, s, r, p, at in connection.execute(query)
                )
        return out

    def forms(self, codes: Sequence[str] | None = None) -> list[FormRow]:
        """The forms of every TPS (or of ``codes``), without the machine's decisions: those
        are some 5 kB of JSON a form (20 kB once read), 16 GB for a national election's
        forms in the memory of every portal process, and only a TPS's own page shows them
        (``machine_decisions``)."""
        out: list[FormRow] = []
        columns = (
            form.c.kode_tps,
            form.c.state,
            as_text(form.c["values"]),
            as_text(form.c.abstained),
            as_text(form.c.reasons),
            form.c.updated_at,
        )
        with self.engine.connect() as connection:
            for chunk in chunks(codes):
                query = select(*columns).where(form.c.contest == self.contest)
                if chunk is not None:
                    query = query.where(form.c.kode_tps.in_(chunk))
                out.extend(
                    FormRow(k, state, numbers(loads(v)), _texts(a), _texts(r), at)
                    for k, state, v, a, r, at in connection.execute(query)
                )
        return out

    def form(self, kode_tps: str) -> FormRow | None:
        found = self.forms([kode_tps])
        return found[0] if found else None

    def machine_decisions(self, kode_tps: str) -> Mapping[str, Mapping[str, Any]]:
        """The machine's decision of each field of a TPS's form, its pages decided together
        (none before the form is read, or where a store older than migration 0005 kept none)."""
        query = select(form.c.machine).where(
            form.c.contest == self.contest, form.c.kode_tps == kode_tps
        )
        with self.engine.connect() as connection:
            found = connection.execute(query).scalar()
        return found or {}

    def photo_counts(self, codes: Sequence[str] | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.engine.connect() as connection:
            for chunk in chunks(codes):
                query = select(photo.c.kode_tps, func.count()).where(
                    photo.c.contest == self.contest
                )
                if chunk is not None:
                    query = query.where(photo.c.kode_tps.in_(chunk))
                for kode, count in connection.execute(query.group_by(photo.c.kode_tps)):
                    counts[str(kode)] = int(count)
        return counts

    def photo_times(self, codes: Sequence[str] | None = None) -> dict[str, PhotoTimes]:
        """(taken, received) of each photo of a TPS that did not fail, in time order."""
        rows: dict[str, list[tuple[str, str]]] = {}
        with self.engine.connect() as connection:
            for chunk in chunks(codes):
                query = select(photo.c.kode_tps, photo.c.captured_at, photo.c.received_at).where(
                    photo.c.contest == self.contest, photo.c.state != PhotoState.FAILED.value
                )
                if chunk is not None:
                    query = query.where(photo.c.kode_tps.in_(chunk))
                for kode, taken, received in connection.execute(query):
                    rows.setdefault(str(kode), []).append((str(taken), str(received)))
        return {kode: photo_times(found) for kode, found in rows.items()}

    def findings(self, codes: Sequence[str] | None = None) -> dict[str, list[Finding]]:
        """The stored findings of each TPS, in the order they were stored, their messages
        worded again in both languages (``stored_finding``). A national import stores
        160,182 findings of 47,331 different kinds (the same rule, evidence and message):
        each kind is decoded and worded once, and its findings share one (immutable) value."""
        found: dict[str, list[Finding]] = {}
        kinds: dict[tuple[str, ...], Finding] = {}
        columns = (
            finding.c.kode_tps,
            finding.c.rule,
            finding.c.severity,
            as_text(finding.c.fields),
            finding.c.message,
            as_text(finding.c.evidence),
        )
        with self.engine.connect() as connection:
            for chunk in chunks(codes):
                query = select(*columns).where(finding.c.contest == self.contest)
                if chunk is not None:
                    query = query.where(finding.c.kode_tps.in_(chunk))
                for kode, *row in connection.execute(query.order_by(finding.c.id)):
                    kind = tuple(row)
                    made = kinds.get(kind)
                    if made is None:
                        made = kinds[kind] = _stored(*row)
                    found.setdefault(kode, []).append(made)
        return found

    def photos(self, kode_tps: str) -> list[PhotoRow]:
        query = select(photo).where(photo.c.kode_tps == kode_tps).order_by(photo.c.id)
        with self.engine.connect() as connection:
            return [_photo_row(row) for row in connection.execute(query).mappings()]

    def photo(self, photo_id: int) -> PhotoRow | None:
        query = select(photo).where(photo.c.id == photo_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _photo_row(row)

    def entries(self, task_id: int) -> list[EntryRow]:
        """The entries of a task in the order they were made (for adjudication only)."""
        query = (
            select(verification_entry)
            .where(verification_entry.c.task_id == task_id)
            .order_by(verification_entry.c.id)
        )
        with self.engine.connect() as connection:
            return [
                EntryRow(
                    r["account_id"], r["role"], numbers(r["values"]), r["seconds"], r["entered_at"]
                )
                for r in connection.execute(query).mappings()
            ]

    def waiting_tasks(self, scope: str, state: str) -> int:
        """How many tasks in ``state`` wait in the region ``scope`` (the person's queue)."""
        query = (
            select(func.count())
            .select_from(verification_task)
            .where(
                verification_task.c.state == state,
                verification_task.c.kode_tps.startswith(scope),
            )
        )
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def open_task_of(self, kode_tps: str) -> int | None:
        query = select(verification_task.c.id).where(
            verification_task.c.kode_tps == kode_tps,
            verification_task.c.contest == self.contest,
            verification_task.c.state.in_(("open", "adjudication")),
        )
        with self.engine.connect() as connection:
            found = connection.execute(query).first()
        return None if found is None else int(found[0])

    def account_names(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(name, role) of each account id that exists."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        query = select(account.c.id, account.c.name, account.c.role).where(account.c.id.in_(wanted))
        with self.engine.connect() as connection:
            return {i: (n, r) for i, n, r in connection.execute(query)}


def _stored(
    rule: str, severity: str, fields: str | None, message: str, evidence: str | None
) -> Finding:
    return stored_finding(
        {
            "rule": rule,
            "severity": severity,
            "fields": loads(fields),
            "message": message,
            "evidence": loads(evidence),
        }
    )


def _texts(raw: str | None) -> tuple[str, ...]:
    return tuple(loads(raw) or ())


def _photo_row(row: RowMapping) -> PhotoRow:
    return PhotoRow(
        int(row["id"]),
        row["sha256"],
        int(row["page"]),
        row["format"],
        int(row["width"]),
        int(row["height"]),
        row["captured_at"],
        row["received_at"],
        row["account_id"],
        row["state"],
        row["reason"] or "",
        row["reading"],
    )


def _external(source_kind: str, photos: Sequence[str | None] | None) -> tuple[str | None, ...]:
    """The stored photos of an imported result; none for rekap's own (their hashes name the
    photo rows, which the page shows)."""
    return tuple(photos or ()) if source_kind == SourceKind.IMPORT.value else ()
