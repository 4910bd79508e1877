"""Forms in the store: the latest reading of every page, the assessment, and the published
result, changed together with their events in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, insert, select, update

from rekap.adapters.storage.result_findings import record_findings
from rekap.adapters.storage.schema import form, photo, tps_result, verification_task
from rekap.adapters.storage.tally_store import LiveTally
from rekap.capture.assess import FormAssessment, FormState, PageValues
from rekap.capture.states import PhotoState
from rekap.domain.result import SourceKind, by_position
from rekap.events.model import Event, FormAssessed, PhotoStateChanged, ValueChanged
from rekap.reading.stored import decide_stored_pages, pages_with_marks

logger = logging.getLogger(__name__)

READ_STATES = (
    PhotoState.CHECKED.value,
    PhotoState.ACCEPTED.value,
    PhotoState.NEEDS_VERIFICATION.value,
    PhotoState.VERIFIED.value,
    PhotoState.PUBLISHED.value,
)
PHOTO_STATE_OF_FORM = {
    FormState.ACCEPTED: PhotoState.ACCEPTED,
    FormState.NEEDS_VERIFICATION: PhotoState.NEEDS_VERIFICATION,
    FormState.ADJUDICATION: PhotoState.NEEDS_VERIFICATION,
    FormState.VERIFIED: PhotoState.VERIFIED,
}


def page_values(reading: Mapping[str, Any]) -> PageValues:
    """The values and abstentions of one stored page reading (the `rekap read` JSON shape)."""
    values: dict[str, int] = {}
    abstained: list[str] = []
    for field_id, field in reading.get("fields", {}).items():
        if field.get("status") == "read" and field.get("value") is not None:
            values[field_id] = int(field["value"])
        else:
            abstained.append(field_id)
    return PageValues(int(reading["page"]), values, tuple(abstained))


@dataclass(frozen=True)
class DecidedForm:
    """The newest read photo of each page, its fields decided with the form's other pages:
    the values to assess, and the machine's decision of each field as the portal shows it."""

    pages: dict[int, PageValues]
    machine: dict[str, dict[str, Any]]
    photos: tuple[str | None, ...] = ()
    """The SHA-256 of each page's photo at its position (``TpsResult.photos``)."""


def latest_pages(connection: Connection, kode_tps: str, contest: str) -> DecidedForm:
    """The newest successfully read photo of each page of a form, the pages decided
    together (identities across pages; `rekap.reading.stored`)."""
    newest = {
        int(page): (int(photo_id), str(sha256), reading)
        for photo_id, page, sha256, reading in connection.execute(
            _read_photos(kode_tps, contest, photo.c.reading)
        )
    }
    order = sorted(newest)
    alone = [newest[p][2] for p in order]
    decided = decide_together(alone)
    machine: dict[str, dict[str, Any]] = {}
    for page, read, chosen in zip(order, alone, decided, strict=True):
        machine.update(machine_fields(page, newest[page][0], read, chosen))
    values = {p: page_values(r) for p, r in zip(order, decided, strict=True)}
    return DecidedForm(values, machine, by_position({p: newest[p][1] for p in order}))


def newest_read_photos(
    connection: Connection, kode_tps: str, contest: str
) -> tuple[str | None, ...]:
    """The SHA-256 of the newest read photo of each page, at its position: the photos the
    form's numbers come from, as read by the machine or entered by people beside them."""
    query = _read_photos(kode_tps, contest)
    return by_position({int(page): str(sha256) for _, page, sha256 in connection.execute(query)})


def _read_photos(kode_tps: str, contest: str, *more: Any) -> Select[Any]:
    """The form's read photos (id, page, sha256, then ``more``), oldest first: the last of a
    page is its newest."""
    return (
        select(photo.c.id, photo.c.page, photo.c.sha256, *more)
        .where(
            photo.c.kode_tps == kode_tps,
            photo.c.contest == contest,
            photo.c.state.in_(READ_STATES),
        )
        .order_by(photo.c.id)
    )


def _summary(field: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "value": field.get("value"),
        "status": "read" if field.get("status") == "read" else "abstain",
        "confidence": field.get("confidence"),
    }


def machine_fields(
    page: int, photo_id: int, alone: Mapping[str, Any], decided: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each field of one page as decided, with the photo it came from; ``alone`` keeps the
    photo's own reading where deciding the pages together changed the value or status."""
    out: dict[str, dict[str, Any]] = {}
    own = alone.get("fields", {})
    for field_id, field in decided.get("fields", {}).items():
        entry = {"page": page, "photo": photo_id, **_summary(field)}
        entry["reason"] = str(field.get("reason", ""))
        by_itself = _summary(own.get(field_id, {}))
        if (by_itself["value"], by_itself["status"]) != (entry["value"], entry["status"]):
            entry["alone"] = by_itself
        out[field_id] = entry
    return out


def decide_together(readings: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The pages decided together when two or more keep their marks; a stored reading that
    cannot be decided again (an older or damaged shape) leaves every page as it was read."""
    if pages_with_marks(readings) < 2:
        return readings
    try:
        return list(decide_stored_pages(readings))
    except (KeyError, TypeError, ValueError, IndexError) as error:
        logger.warning("pages decided one by one: %r", error)
        return readings


def move_photos(
    connection: Connection, kode_tps: str, contest: str, target: PhotoState, detail: str
) -> list[Event]:
    """Move every read photo of a form to ``target``; one event per photo that moved."""
    query = select(photo.c.id, photo.c.state).where(
        photo.c.kode_tps == kode_tps,
        photo.c.contest == contest,
        photo.c.state.in_(READ_STATES),
        photo.c.state != target.value,
    )
    events: list[Event] = []
    for photo_id, state in connection.execute(query).all():
        connection.execute(update(photo).where(photo.c.id == photo_id).values(state=target.value))
        events.append(PhotoStateChanged(kode_tps, photo_id, state, target.value, detail))
    return events


def save_form(
    connection: Connection,
    kode_tps: str,
    contest: str,
    assessment: FormAssessment,
    at: datetime,
    machine: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Event]:
    """Store the form's assessment; ``machine`` is the machine's decision of each field
    (`DecidedForm.machine`), kept as it was when ``None``."""
    row: dict[str, Any] = {
        "state": assessment.state.value,
        "values": dict(assessment.values),
        "abstained": list(assessment.abstained),
        "reasons": list(assessment.reasons),
        "updated_at": at.isoformat(),
    }
    if machine is not None:
        row["machine"] = {k: dict(v) for k, v in machine.items()}
    exists = connection.execute(
        select(form.c.kode_tps).where(form.c.kode_tps == kode_tps, form.c.contest == contest)
    ).first()
    if exists:
        connection.execute(
            update(form).where(form.c.kode_tps == kode_tps, form.c.contest == contest).values(**row)
        )
    else:
        connection.execute(insert(form).values(kode_tps=kode_tps, contest=contest, **row))
    return [FormAssessed(kode_tps, contest, assessment.state.value, assessment.reasons)]


def verified_values(connection: Connection, kode_tps: str, contest: str) -> dict[str, int] | None:
    """The numbers people verified for this form, while they are its result (the form
    verified, or waiting for a new photo after people sent one back: a later photo never
    replaces them unread by people), or None."""
    row = connection.execute(
        select(tps_result.c.fields, tps_result.c.source_kind).where(
            tps_result.c.kode_tps == kode_tps, tps_result.c.contest == contest
        )
    ).first()
    if row is None or row[1] != SourceKind.ENTRY.value:
        return None
    return {str(k): int(v) for k, v in dict(row[0]).items()}


def task_open(connection: Connection, kode_tps: str, contest: str) -> bool:
    """Whether people are entering (or adjudicating) this form now."""
    existing = connection.execute(
        select(verification_task.c.id).where(
            verification_task.c.kode_tps == kode_tps,
            verification_task.c.contest == contest,
            verification_task.c.state.in_(("open", "adjudication")),
        )
    ).first()
    return existing is not None


def task_returned(connection: Connection, kode_tps: str, contest: str) -> bool:
    """Whether the form's latest task ended ``returned``: people sent a photo back, and the
    form waits for the officer's new one (its machine reading still hidden)."""
    latest = connection.execute(
        select(verification_task.c.state)
        .where(verification_task.c.kode_tps == kode_tps, verification_task.c.contest == contest)
        .order_by(verification_task.c.id.desc())
        .limit(1)
    ).first()
    return latest is not None and latest[0] == "returned"


def open_task(
    connection: Connection, kode_tps: str, contest: str, reasons: tuple[str, ...], at: datetime
) -> None:
    """Open a verification task for a form unless one is already open."""
    if not task_open(connection, kode_tps, contest):
        connection.execute(
            insert(verification_task).values(
                kode_tps=kode_tps,
                contest=contest,
                state="open",
                reasons=list(reasons),
                created_at=at.isoformat(),
            )
        )


def publish_values(
    connection: Connection,
    kode_tps: str,
    contest: str,
    jenis: str,
    values: Mapping[str, int],
    source_kind: str,
    source_ref: str,
    photos: Sequence[str | None],
    refresh_tally: bool = True,
) -> list[Event]:
    """Make ``values`` the TPS's current result, read from or entered beside ``photos`` (the
    SHA-256 of each page's photo at its position), with its findings (``result_findings``),
    and the stored tally with it (unless the caller refreshes the tally itself later in the
    transaction); one event per number that changes (each photo's hash is in the log already,
    in its ``photo.received``), and one when its findings change."""
    current = connection.execute(
        select(tps_result.c.fields).where(
            tps_result.c.kode_tps == kode_tps, tps_result.c.contest == contest
        )
    ).first()
    before: dict[str, int] = dict(current[0]) if current else {}
    row: dict[str, object] = {
        "kode_desa": kode_tps[:10],
        "jenis": jenis,
        "fields": dict(values),
        "source_kind": source_kind,
        "source_ref": source_ref,
        "photos": list(photos),
        "published_at": None,
        "run_id": None,
    }
    if current:
        connection.execute(
            update(tps_result)
            .where(tps_result.c.kode_tps == kode_tps, tps_result.c.contest == contest)
            .values(**row)
        )
    else:
        connection.execute(insert(tps_result).values(kode_tps=kode_tps, contest=contest, **row))
    events: list[Event] = [
        ValueChanged(kode_tps, contest, field_id, before.get(field_id), values.get(field_id))
        for field_id in sorted(set(before) | set(values))
        if before.get(field_id) != values.get(field_id)
    ]
    # findings stored with an imported result were about its numbers, not these: replaced
    # by those of these numbers (a stale one would hold the TPS out of the totals)
    events += record_findings(connection, contest, [kode_tps])
    if refresh_tally:
        LiveTally(connection.engine).refresh_in(connection, contest, [kode_tps])
    return events
