"""The changes as a page: the change-log events about a region's TPS (or the whole log, for
the nation), newest first, in words (``/api/v1/log`` gives the same records as data, oldest
first)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from rekap.adapters.storage.event_store import Direction, spread_of
from rekap.web.access import PUBLIC
from rekap.web.params import MAX_SEQUENCE
from rekap.web.portal.page_errors import PlaceNotFound
from rekap.web.portal.region_log import PAGE_SIZE, Say, log_page
from rekap.web.portal.rendering import page_etag, render, request_lang
from rekap.web.portal.responses import not_modified
from rekap.web.portal.state import Portal, portal_of

router = APIRouter(dependencies=[Depends(PUBLIC)], include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
Before = Annotated[
    int | None, Query(ge=1, le=MAX_SEQUENCE, description="Events before this log position")
]


@router.get("/nasional/perubahan")
def nation_changes(request: Request, portal: PortalDep, sebelum: Before = None) -> Response:
    """Every change-log event, newest first: the log is read backwards from ``sebelum`` by its
    primary key, a page at a time, however long it is."""
    return _changes(request, portal, "", sebelum)


@router.get("/wilayah/{kode}/perubahan")
def region_changes(
    kode: str, request: Request, portal: PortalDep, sebelum: Before = None
) -> Response:
    if not (kode.isascii() and kode.isdigit()) or len(kode) not in (2, 4, 6, 10):
        raise PlaceNotFound(kode, is_tps=False)
    if kode not in portal.context.tree.regions:
        raise PlaceNotFound(kode, is_tps=False)
    return _changes(request, portal, kode, sebelum)


def _changes(request: Request, portal: Portal, kode: str, sebelum: int | None) -> Response:
    tree = portal.context.tree
    etag = page_etag(request, portal.live().version)
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    spread = spread_of(tree.tps_counts(), kode)
    records = portal.context.log.under(kode, sebelum, PAGE_SIZE + 1, Direction.BACKWARDS, spread)
    names = portal.queries.account_names(r.actor for r in records)
    say = Say(portal.context.form, request_lang(request))
    desa = {r.payload.get("kode_tps", "")[:10] for r in records if r.payload.get("kode_tps")}
    desa_names = {d: tree.regions[d].nama for d in desa if d in tree.regions}
    page = log_page(kode, records, names, desa_names, say, newest=sebelum is None)
    if not kode:
        title = say.words("changes_title", region=say.words("nasional"))
        context = {"title": title, "page": page, "region": None, "crumbs": ()}
        return render(request, "changes.html", context, etag=etag)
    region = tree.regions[kode]
    path = tuple((p.kode.value, p.nama) for p in tree.path(region.kode) if p.kode.value)
    context = {
        "title": say.words("changes_title", region=region.nama),
        "page": page,
        "region": region,
        "crumbs": path,
    }
    return render(request, "changes.html", context, etag=etag)
