"""Forms in the store: the latest reading of every page, the assessment, and the published
result, changed together with their events in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from rekap.adapters.storage.schema import form, photo, tps_result, verification_task
from rekap.adapters.storage.tally_store import LiveTally
from rekap.capture.assess import FormAssessment, FormState, PageValues
from rekap.capture.states import PhotoState
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


def latest_pages(connection: Connection, kode_tps: str, contest: str) -> dict[int, PageValues]:
    """The newest successfully read photo of each page of a form, the pages decided
    together (identities across pages; `rekap.reading.stored`)."""
    query = (
        select(photo.c.page, photo.c.reading)
        .where(
            photo.c.kode_tps == kode_tps,
            photo.c.contest == contest,
            photo.c.state.in_(READ_STATES),
        )
        .order_by(photo.c.id)
    )
    newest: dict[int, Mapping[str, Any]] = {}
    for page, reading in connection.execute(query):
        newest[int(page)] = reading
    readings = [newest[p] for p in sorted(newest)]
    return {
        p: page_values(r) for p, r in zip(sorted(newest), decide_together(readings), strict=True)
    }


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
    connection: Connection, kode_tps: str, contest: str, assessment: FormAssessment, at: datetime
) -> list[Event]:
    row = {
        "state": assessment.state.value,
        "values": dict(assessment.values),
        "abstained": list(assessment.abstained),
        "reasons": list(assessment.reasons),
        "updated_at": at.isoformat(),
    }
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


def open_task(
    connection: Connection, kode_tps: str, contest: str, reasons: tuple[str, ...], at: datetime
) -> None:
    """Open a verification task for a form unless one is already open."""
    existing = connection.execute(
        select(verification_task.c.id).where(
            verification_task.c.kode_tps == kode_tps,
            verification_task.c.contest == contest,
            verification_task.c.state.in_(("open", "adjudication")),
        )
    ).first()
    if existing is None:
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
    refresh_tally: bool = True,
) -> list[Event]:
    """Make ``values`` the TPS's current result, and the stored tally with it (unless the
    caller refreshes the tally itself later in the transaction); one event per number that
    changes."""
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
        "photos": [],
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
    if refresh_tally:
        LiveTally(connection.engine).refresh_in(connection, contest, [kode_tps])
    return [
        ValueChanged(kode_tps, contest, field_id, before.get(field_id), values.get(field_id))
        for field_id in sorted(set(before) | set(values))
        if before.get(field_id) != values.get(field_id)
    ]
