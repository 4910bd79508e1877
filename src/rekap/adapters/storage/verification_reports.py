"""Photos people cannot read: reported from the form handed to them, and sent back to the
officer once ``REPORTS_NEEDED`` people have reported one.

A photo sent back is failed with a reason the officer's page shows (send a new photo of the
page). When that leaves a page of the form without any read photo, the task ends as
``returned``: the form waits for the officer's new photo (still ``needs_verification``, so
that the public pages keep its machine reading hidden), and a new task opens if the reader
cannot decide that one either (a form people verified before stays theirs: a photo that reads
other numbers goes to people, ``processing._after_people``). Every report and every photo
sent back is an event of the public log, under the reporter's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from rekap.adapters.storage.forms import READ_STATES
from rekap.adapters.storage.result_findings import record_findings
from rekap.adapters.storage.schema import form, photo, verification_report, verification_task
from rekap.adapters.storage.verification_holds import release, stamp
from rekap.capture.assess import FormState
from rekap.capture.states import PhotoState, check_transition
from rekap.capture.verification import REPORTS_NEEDED, SendBack
from rekap.events.model import (
    Event,
    FormAssessed,
    PhotoStateChanged,
    VerificationPhotoReported,
    VerificationReturned,
)


@dataclass(frozen=True, slots=True)
class ShownPhoto:
    """A photo a task shows (every photo of its TPS that did not fail)."""

    page: int
    state: str

    @property
    def read(self) -> bool:
        """Read, so its page has a photo to enter from (one still being read may fail)."""
        return self.state in READ_STATES


def shown_photos(connection: Connection, kode_tps: str) -> dict[int, ShownPhoto]:
    rows = connection.execute(
        select(photo.c.id, photo.c.page, photo.c.state).where(
            photo.c.kode_tps == kode_tps, photo.c.state != PhotoState.FAILED.value
        )
    ).all()
    return {int(i): ShownPhoto(int(p), str(s)) for i, p, s in rows}


def report_problem(
    shown: Mapping[int, ShownPhoto], wanted: Sequence[int], already: Sequence[int]
) -> str | None:
    """Why these photos cannot be reported (by a person who reported ``already`` of them
    before), or None: each must be a photo the task shows that the form was read from."""
    if not wanted:
        return "name at least one photo of the form that you cannot read"
    unknown = [p for p in wanted if p not in shown]
    if unknown:
        return f"not a photo of this form: {', '.join(map(str, unknown))}"
    unread = [p for p in wanted if shown[p].state != PhotoState.NEEDS_VERIFICATION.value]
    if unread:
        return f"not a photo the form was read from (still being read): {_ids(unread)}"
    if already:
        return f"you have reported these photos already: {_ids(already)}"
    return None


def _ids(photo_ids: Sequence[int]) -> str:
    return ", ".join(str(p) for p in photo_ids)


def already_reported(
    connection: Connection, account_id: str, photo_ids: Sequence[int]
) -> list[int]:
    query = select(verification_report.c.photo_id).where(
        verification_report.c.account_id == account_id,
        verification_report.c.photo_id.in_(list(photo_ids)),
    )
    return sorted(int(p) for (p,) in connection.execute(query))


def record_reports(
    connection: Connection,
    task: Mapping[str, object],
    account_id: str,
    photo_ids: Sequence[int],
    shown: Mapping[int, ShownPhoto],
    at: datetime,
) -> list[Event]:
    task_id, kode = int(str(task["id"])), str(task["kode_tps"])
    stamped = stamp(at)  # as the limit compares it (``report_refusal``)
    rows = [
        {
            "task_id": task_id,
            "account_id": account_id,
            "photo_id": p,
            "page": shown[p].page,
            "reported_at": stamped,
        }
        for p in photo_ids
    ]
    connection.execute(insert(verification_report), rows)
    return [
        VerificationPhotoReported(kode, task_id, account_id, p, shown[p].page) for p in photo_ids
    ]


def reporters(connection: Connection, photo_ids: Sequence[int]) -> dict[int, set[str]]:
    """Who reported each photo unreadable (from any task of its form)."""
    found: dict[int, set[str]] = {}
    query = select(verification_report.c.photo_id, verification_report.c.account_id).where(
        verification_report.c.photo_id.in_(list(photo_ids))
    )
    for photo_id, account_id in connection.execute(query):
        found.setdefault(int(photo_id), set()).add(str(account_id))
    return found


def send_photos_back(
    connection: Connection,
    task: Mapping[str, object],
    decided: SendBack,
    shown: Mapping[int, ShownPhoto],
    at: datetime,
    fields: tuple[str, ...] = (),
) -> list[Event]:
    """Fail each photo ``decided`` sends back, with a reason for its officer; end the task
    (``returned``) when a page is left without a photo, and say so on the form. ``fields``:
    the fields an adjudicator could not read, when that is why (else two people's reports of
    the whole photo)."""
    kode, contest, task_id = str(task["kode_tps"]), str(task["contest"]), int(str(task["id"]))
    events: list[Event] = []
    for photo_id in decided.photos:
        before = PhotoState(shown[photo_id].state)
        check_transition(before, PhotoState.FAILED)
        page = shown[photo_id].page
        why = (
            f"the adjudicator could not read {', '.join(fields)} on this photo"
            if fields
            else f"{REPORTS_NEEDED} people could not read this photo"
        )
        reason = f"sent back: {why}; send a new photo of page {page}"
        connection.execute(
            update(photo)
            .where(photo.c.id == photo_id)
            .values(state=PhotoState.FAILED.value, reason=reason)
        )
        events.append(
            PhotoStateChanged(kode, photo_id, before.value, PhotoState.FAILED.value, reason)
        )
    # the photos' times no longer say anything of the TPS: a published result's findings
    events += record_findings(connection, contest, [kode] if decided.photos else [])
    if not decided.pages_missing:
        return events
    connection.execute(
        update(verification_task)
        .where(verification_task.c.id == task_id)
        .values(state="returned", closed_at=at.isoformat())
    )
    release(connection, task_id)
    reasons = tuple(
        f"page {p}: its photo was sent back (people could not read it); a new photo is needed"
        for p in decided.pages_missing
    )
    # still waiting for people, not ``incomplete``: its machine reading stays hidden from the
    # public, since the pages left will be entered blind again with the officer's new photo
    waiting = FormState.NEEDS_VERIFICATION.value
    connection.execute(
        update(form)
        .where(form.c.kode_tps == kode, form.c.contest == contest)
        .values(state=waiting, reasons=list(reasons), updated_at=at.isoformat())
    )
    events.append(
        VerificationReturned(kode, task_id, decided.photos, decided.pages_missing, fields)
    )
    events.append(FormAssessed(kode, contest, waiting, reasons))
    return events
