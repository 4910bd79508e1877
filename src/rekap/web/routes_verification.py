"""Double-blind verification and adjudication (`/api/v1/verification`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, StrictInt

from rekap.adapters.storage.verification import Task, VerificationRefused
from rekap.capture.access import Principal, Role
from rekap.web.access import require
from rekap.web.context import AppContext, context_of
from rekap.web.errors import ApiError
from rekap.web.params import RowId

router = APIRouter(prefix="/api/v1/verification")
PEOPLE = (Role.VERIFIER, Role.ADJUDICATOR)


class EntryIn(BaseModel):
    values: dict[str, Annotated[StrictInt, Field(ge=0, le=999)]] = Field(
        description="The number of each field of the form (`fields` of the task) that you "
        "read, a whole number; every field is here or in `unreadable`."
    )
    unreadable: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list,
        max_length=200,
        description="The fields you cannot read on the photo (a smudge, a digit cut by the "
        'fold): "tidak terbaca", never a number. Such a field is never verified: it goes to '
        "an adjudicator, and an adjudicator who cannot read it either sends the photo of its "
        "page back to the officer (`state` `returned`).",
    )
    seconds: float = Field(ge=0, le=86_400, default=0.0)


class ReportIn(BaseModel):
    photo_ids: list[StrictInt] = Field(
        min_length=1,
        max_length=50,
        description="The photos of the form (`photos` of the task) that you cannot read.",
    )


def task_json(ctx: AppContext, task: Task) -> dict[str, Any]:
    """What a verifier sees: the fields to enter and the photos; never another's entry, nor
    (double-blind) the machine's reading."""
    return {
        "task_id": task.id,
        "kode_tps": task.kode_tps,
        "contest": task.contest,
        "state": task.state,
        "held_until": task.held_until,
        "reasons": list(task.reasons) if task.state == "adjudication" else [],
        "fields": [
            {"id": f.id, "page": f.page, "label_id": f.label_id, "label_en": f.label_en}
            for f in ctx.form.fields
        ],
        "photos": [
            {"id": photo_id, "page": page, "url": f"/api/v1/photos/{photo_id}"}
            for photo_id, page in task.photos
        ],
    }


@router.get("/next")
def next_task(
    request: Request,
    response: Response,
    person: Annotated[Principal, Depends(require(*PEOPLE))],
) -> dict[str, Any] | None:
    """The form this verifier (or adjudicator) is entering, else the next they may enter,
    held for them until `held_until` (no more people are handed a form at once than it needs
    entries); 204 when there is none. Asking again gives the same form and holds it longer."""
    ctx = context_of(request)
    task = ctx.verification.next_task(person, ctx.clock())
    if task is None:
        response.status_code = 204
        return None
    return task_json(ctx, task)


@router.post("/tasks/{task_id}/entries", status_code=201)
def enter(
    task_id: RowId,
    body: EntryIn,
    request: Request,
    person: Annotated[Principal, Depends(require(*PEOPLE))],
) -> dict[str, Any]:
    """Answer every field of the form, a number or "cannot read"; agreement of two verifiers
    on every number verifies it. `state`: `open`, `verified`, `adjudication`, or `returned`
    (an adjudicator could not read a field: its page's photo went back to the officer)."""
    ctx = context_of(request)
    try:
        state = ctx.verification.enter(
            person, task_id, body.values, body.seconds, ctx.clock(), body.unreadable
        )
    except VerificationRefused as error:
        raise ApiError(error.code, str(error)) from error
    return {"task_id": task_id, "state": state}


@router.post("/tasks/{task_id}/skip", status_code=204)
def skip(
    task_id: RowId,
    request: Request,
    person: Annotated[Principal, Depends(require(*PEOPLE))],
) -> Response:
    """Give a form back unentered: its place goes to another; it is handed to this person
    again only when nothing else waits."""
    ctx = context_of(request)
    try:
        ctx.verification.skip(person, task_id, ctx.clock())
    except VerificationRefused as error:
        raise ApiError(error.code, str(error), dict(error.details)) from error
    return Response(status_code=204)


@router.post("/tasks/{task_id}/unreadable")
def report_unreadable(
    task_id: RowId,
    body: ReportIn,
    request: Request,
    person: Annotated[Principal, Depends(require(*PEOPLE))],
) -> dict[str, Any]:
    """Report photos of the form handed to you that you cannot read (blurred, cut off, too
    dark): the form is given back as a skip gives it, without counting as one (at most 5
    forms an hour); a photo two people report is sent back to its officer, and when a page
    is left without a photo the task ends, `returned`, until the officer sends a new one."""
    ctx = context_of(request)
    try:
        done = ctx.verification.report_unreadable(person, task_id, body.photo_ids, ctx.clock())
    except VerificationRefused as error:
        raise ApiError(error.code, str(error), dict(error.details)) from error
    return {
        "task_id": done.task_id,
        "reported": list(done.photos),
        "sent_back": list(done.sent_back),
        "state": done.state,
    }


@router.get("/statistics")
def statistics(
    request: Request, _admin: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Per verifier: entries, disagreement with the final numbers, speed, and a flag."""
    return {"verifiers": context_of(request).verification.statistics()}
