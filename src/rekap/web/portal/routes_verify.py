"""The verifier workspace: the next task of one's region, entry beside the crops, adjudication,
and per-verifier statistics. Plain form posts (works without JavaScript); the script only adds
keyboard movement and a warning as the person's hold of the form nears its end."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from rekap.adapters.storage.verification import Task, VerificationRefused
from rekap.capture.access import Principal, Role
from rekap.web.params import RowId
from rekap.web.portal.entry_resume import RESUME, STARTED, UNREADABLE
from rekap.web.portal.page_errors import PageNotFound, PageRefused
from rekap.web.portal.rendering import render, request_lang, words_of
from rekap.web.portal.session import page_require
from rekap.web.portal.state import Portal, portal_of
from rekap.web.portal.verifier_statistics import StatisticsPage, statistics_page
from rekap.web.portal.workspace import parse_entry, reasons_in_words, task_view

router = APIRouter(include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
Person = Annotated[Principal, Depends(page_require(Role.VERIFIER, Role.ADJUDICATOR))]
Anyone = Annotated[Principal, Depends(page_require(Role.VERIFIER, Role.ADJUDICATOR, Role.ADMIN))]
MAX_SECONDS = 86_400.0
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
RegionPrefix = Annotated[str, Query(pattern=r"^[0-9]{0,10}$")]


def _show_task(
    request: Request,
    portal: Portal,
    person: Principal,
    task: Task | None,
    typed: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    ticked: Collection[str] = (),
    notes: Mapping[str, bool] | None = None,
) -> Response:
    """The workspace: the task handed to the person (or none), with ``typed`` in its inputs
    when it is shown again after a post (and the time typing began kept from it)."""
    view = None
    reasons: tuple[str, ...] = ()
    if task is not None:
        adjudicating = task.state == "adjudication" and person.role is Role.ADJUDICATOR
        entries = portal.queries.entries(task.id) if adjudicating else []
        entries = [e for e in entries if e.role == Role.VERIFIER.value]
        form_row = portal.queries.form(task.kode_tps) if adjudicating else None
        machine = form_row.values if form_row is not None else {}
        names = portal.queries.account_names(e.account_id for e in entries)
        marks = portal.context.verification.unreadable_marks(task.id) if entries else {}
        view = task_view(
            task,
            portal.context.form,
            typed or {},
            errors or {},
            adjudicating,
            entries,
            machine,
            [names.get(e.account_id, (e.account_id, ""))[0] for e in entries],
            ticked,
            [marks.get(e.account_id, ()) for e in entries],
        )
        if adjudicating:
            ctx = portal.context
            said = words_of(request)
            reasons = reasons_in_words(
                task.reasons, entries, ctx.form, ctx.election, task.kode_tps, task.contest, said
            )
    began = (typed or {}).get(STARTED, "")
    query = request.query_params
    context = {
        "title": words_of(request)("workspace"),
        "person": person,
        "view": view,
        "reasons": reasons,
        "started": int(began) if began.isascii() and began.isdigit() else int(time.time()),
        "held_for": _held_for(task, portal.context.clock()),
        "errors_count": len(errors or {}),
        "resumed": (notes or {}).get("resumed", False),
        "done": query.get("selesai"),
        "outcome": query.get("hasil"),
        "skipped": query.get("dilewati"),
        "gone": query.get("tidak_lagi"),
        "already": query.get("sudah"),
        "not_saved": query.get("tidak_disimpan"),
        "reported": query.get("dilaporkan"),
        "sent_back": query.get("dikembalikan"),
        "region": portal.context.tree.regions.get(person.scope[:10]),
        "waiting": portal.queries.waiting_tasks(
            person.scope, "adjudication" if person.role is Role.ADJUDICATOR else "open"
        ),
    }
    if request.method == "POST":  # the other language of the workspace, not of this post
        lang = "en" if request_lang(request) == "id" else "id"
        context["switch_url"] = f"/verifikasi?lang={lang}"
    return render(request, "verify.html", context, status=status, cache="no-store")


def _held_for(task: Task | None, now: datetime) -> int | None:
    """Whole seconds until the person's hold of ``task`` lapses (0 once it has), or None
    without a hold: the page warns them as it nears, on its own clock, not the device's."""
    if task is None or task.held_until is None:
        return None
    until = datetime.fromisoformat(task.held_until)  # stored in UTC, with its offset
    return max(0, int((until - now).total_seconds()))


@router.get("/verifikasi")
def workspace(request: Request, portal: PortalDep, person: Person) -> Response:
    """A task of the person's region they may enter (drawn among the oldest), beside its
    crops."""
    ctx = portal.context
    return _show_task(request, portal, person, ctx.verification.next_task(person, ctx.clock()))


@router.post("/verifikasi/tugas/{task_id}")
async def submit(task_id: RowId, request: Request, portal: PortalDep, person: Person) -> Response:
    """Save the person's entry of the task, then hand them the next form. A number missing or
    malformed shows the form again with what was typed. An entry carried through a login
    (``entry_resume``) is shown again, filled in, not saved."""
    posted = await request.form()
    raw = {k: v for k, v in posted.items() if isinstance(v, str)}
    ticked = {v for v in posted.getlist(UNREADABLE) if isinstance(v, str)}
    ctx = portal.context
    task = ctx.verification.get(task_id)
    if task is None:
        raise PageNotFound(f"task {task_id}")
    try:  # before the task is shown again with what was typed: only to whom may enter it
        ctx.verification.check_access(person, task_id, ctx.clock())
    except VerificationRefused as error:
        return _entry_refused(portal, person, task_id, error)
    values, unreadable, errors = parse_entry(ctx.form, raw, ticked)
    resumed = request.query_params.get(RESUME) is not None
    if errors or resumed:  # shown again, its hold renewed while it is still theirs
        until = ctx.verification.renew_hold(person, task.id, ctx.clock())
        shown = replace(task, held_until=until)
        status = 200 if resumed else 422
        notes = {"resumed": resumed}
        return _show_task(
            request, portal, person, shown, raw, {} if resumed else errors, status, ticked, notes
        )
    started = raw.get(STARTED, "")
    known = started.isascii() and started.isdigit()
    seconds = time.time() - int(started) if known else 0.0
    try:
        state = ctx.verification.enter(
            person,
            task_id,
            values,
            min(max(seconds, 0.0), MAX_SECONDS),
            ctx.clock(),
            unreadable,
        )
    except VerificationRefused as error:
        return _entry_refused(portal, person, task_id, error)
    return RedirectResponse(f"/verifikasi?selesai={task_id}&hasil={state}", status_code=303)


def _entry_refused(
    portal: Portal, person: Principal, task_id: int, error: VerificationRefused
) -> Response:
    """An entry the store refuses. Entered already (a second click, a post sent again): the
    first stands, and the page says so. No longer the person's (others took its place while
    their hold had lapsed, or it moved on): not saved, and the page says so beside the form
    they are handed now. Anything else is an error page."""
    if error.code != "conflict":
        raise _refused(error) from error
    if any(e.account_id == person.account_id for e in portal.queries.entries(task_id)):
        return RedirectResponse(f"/verifikasi?sudah={task_id}", status_code=303)
    return RedirectResponse(f"/verifikasi?tidak_disimpan={task_id}", status_code=303)


@router.post("/verifikasi/tugas/{task_id}/lewati")
def skip(task_id: RowId, portal: PortalDep, person: Person) -> Response:
    """Give the task back unentered; the next one is shown. A task no longer theirs (entered
    by others or moved on since the page was shown, or replaced by another hand-out) is not
    skipped: their form now is shown, with a note; other refusals (the hourly limit, another
    region) are error pages."""
    ctx = portal.context
    try:
        ctx.verification.skip(person, task_id, ctx.clock())
    except VerificationRefused as error:
        if error.code == "conflict":
            return RedirectResponse(f"/verifikasi?tidak_lagi={task_id}", status_code=303)
        raise _refused(error) from error
    return RedirectResponse(f"/verifikasi?dilewati={task_id}", status_code=303)


@router.post("/verifikasi/tugas/{task_id}/tidak-terbaca")
async def report_unreadable(
    task_id: RowId, request: Request, portal: PortalDep, person: Person
) -> Response:
    """Report the ticked photos of the task unreadable; the next form is shown, with a note
    saying whether photos were sent back to their officer. As with a skip, a task no longer
    the person's shows their form now; other refusals are error pages."""
    ticked = [v for v in (await request.form()).getlist("foto") if isinstance(v, str)]
    if not all(v.isascii() and v.isdigit() and len(v) <= 12 for v in ticked):
        raise PageRefused("invalid_input", "a photo is named by its number", 422)
    ctx = portal.context
    try:
        done = ctx.verification.report_unreadable(
            person, task_id, [int(v) for v in ticked], ctx.clock()
        )
    except VerificationRefused as error:
        if error.code == "conflict":
            return RedirectResponse(f"/verifikasi?tidak_lagi={task_id}", status_code=303)
        raise _refused(error) from error
    back = len(done.sent_back)
    return RedirectResponse(
        f"/verifikasi?dilaporkan={task_id}&dikembalikan={back}", status_code=303
    )


def _refused(error: VerificationRefused) -> PageRefused:
    statuses = {"forbidden": 403, "not_found": 404, "invalid_input": 422, "rate_limited": 429}
    status = statuses.get(error.code, 409)
    return PageRefused(error.code, str(error), status, error.details.get("retry_after_s"))


@router.get("/verifikasi/statistik")
def statistics(
    request: Request,
    portal: PortalDep,
    person: Anyone,
    halaman: PageNumber = 1,
    wilayah: RegionPrefix = "",
) -> Response:
    """Per verifier: entries, disagreement with the final numbers, median time, a flag.
    An admin sees everyone, a page at a time, flagged first (of one region's verifiers with
    ``wilayah``); a verifier or an adjudicator their own line, counted alone."""
    store = portal.context.verification
    region = None
    if person.role is Role.ADMIN:
        if wilayah:
            region = portal.context.tree.regions.get(wilayah)
            if region is None:
                raise PageNotFound(wilayah)
        shown = statistics_page(store, halaman, wilayah)
    else:
        rows = store.statistics([person.account_id])
        flagged = sum(1 for r in rows if r["flagged"])
        shown = StatisticsPage(1, 1, len(rows), flagged, rows, {person.account_id: person.name})
    context = {
        "title": words_of(request)("statistics"),
        "person": person,
        "shown": shown,
        "rows": shown.rows,
        "names": shown.names,
        "wilayah": wilayah,
        "region": region,
    }
    status = 200 if shown.exists else 404
    return render(request, "verify_stats.html", context, status=status, cache="no-store")
