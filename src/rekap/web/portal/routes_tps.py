"""The TPS page (HTML, CSV, JSON), and the photo crops and thumbnails it shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah
from rekap.web.access import PUBLIC
from rekap.web.params import RowId
from rekap.web.portal.downloads import (
    csv_response,
    json_response,
    split_name,
    tps_document,
    tps_rows,
)
from rekap.web.portal.page_errors import PageNotFound, PlaceNotFound
from rekap.web.portal.region_log import Say, log_lines
from rekap.web.portal.rendering import page_etag, render, request_lang
from rekap.web.portal.responses import not_modified
from rekap.web.portal.state import Portal, portal_of
from rekap.web.portal.tps_versions import number_versions, version_views
from rekap.web.portal.tps_view import (
    TpsPage,
    field_changes,
    field_views,
    history_rows,
    machine_hidden,
)

router = APIRouter(dependencies=[Depends(PUBLIC)], include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
FOREVER = "public, max-age=31536000, immutable"


def tps_page(portal: Portal, kode: str) -> TpsPage:
    tree = portal.context.tree
    try:
        code = KodeWilayah.parse(kode)
    except InvalidKodeWilayah:
        raise PlaceNotFound(kode, is_tps=True) from None
    if code.value != kode:  # ' 3310...' or '33.10....': one address per TPS, its data keyed so
        raise PlaceNotFound(kode, is_tps=True)
    live = portal.live()
    facts = live.tps.get(kode)
    if code.level.value != 13 or (code not in tree and facts is None):
        raise PlaceNotFound(kode, is_tps=True)
    desa = tree.regions.get(kode[:10])
    path = (
        ()
        if desa is None
        else tuple((r.kode.value, r.nama) for r in tree.path(desa.kode) if r.kode.value)
    )
    photos = tuple(portal.queries.photos(kode))
    records = portal.context.log.history(kode)
    names = portal.queries.account_names(r.actor for r in records)
    hidden = machine_hidden(facts)
    values = dict(facts.result.values) if facts is not None and facts.result is not None else {}
    changes = field_changes(records, names)
    read = facts is not None and facts.form is not None
    decided = portal.queries.machine_decisions(kode) if read else {}
    return TpsPage(
        kode,
        code.nomor_tps,
        path,
        facts,
        photos,
        field_views(portal.context.form, photos, values, changes, hidden, decided),
        () if facts is None or hidden else facts.findings,  # they speak of the reading
        tuple(history_rows(records, names)),
        hidden,
        portal.queries.open_task_of(kode),
        live.head,
        tuple(records),
        number_versions(records),
        names,
    )


@router.get("/tps/{name}")
def tps(name: str, request: Request, portal: PortalDep) -> Response:
    kode, form = split_name(name)
    version = portal.live().version
    etag = page_etag(request, f"{version}:{form}")
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    page = tps_page(portal, kode)
    if form == "json":
        return json_response(request, tps_document(page), etag)
    if form == "csv":
        return csv_response(request, tps_rows(page), f"rekap-ppwp-{kode}", etag)
    place = ", ".join(nama for _, nama in reversed(page.path[-2:])) or kode
    say = Say(portal.context.form, request_lang(request))
    desa = page.path[-1][1] if page.path else kode[:10]
    context = {
        "title": f"TPS {page.nomor:03d} {place}",
        "page": page,
        "desa": desa,
        "versions": version_views(page.versions, say, page.names),
        "log": log_lines(page.records, page.names, {kode[:10]: desa}, say),
    }
    return render(request, "tps.html", context, etag=etag)


def _jpeg(data: bytes | None, request: Request) -> Response:
    if data is None:
        raise PageNotFound(request.url.path)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": FOREVER})


@router.get("/foto/{photo_id}/kecil.jpg")
def thumbnail(photo_id: RowId, request: Request, portal: PortalDep) -> Response:
    """A small copy of the photo (360 px wide) for the TPS page."""
    found = portal.queries.photo(photo_id)
    if found is None:
        raise PageNotFound(str(photo_id))
    return _jpeg(portal.crops.thumbnail(found), request)


@router.get("/foto/{photo_id}/{field_id}.jpg")
def crop(photo_id: RowId, field_id: str, request: Request, portal: PortalDep) -> Response:
    """The crop of one number from the photo of its page."""
    found = portal.queries.photo(photo_id)
    if found is None or field_id not in portal.context.form.by_id:
        raise PageNotFound(f"{photo_id}/{field_id}")
    return _jpeg(portal.crops.crop(found, field_id), request)
