"""The KPPS officer's upload page: the TPS from the login, a camera input per page, each
page's status and receipt. The page's script signs each photo with the phone's Ed25519 key
(kept in IndexedDB, registered with POST /api/v1/devices) and sends it to the upload API,
retrying until a receipt comes back; the API takes the same photo once only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from rekap.capture.access import Principal, Role
from rekap.services.photo_failures import failure_kind
from rekap.web.params import RowId
from rekap.web.portal.downloads import json_response
from rekap.web.portal.page_errors import PageNotFound
from rekap.web.portal.rendering import render
from rekap.web.portal.session import page_require
from rekap.web.portal.state import Portal, portal_of

router = APIRouter(include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
Officer = Annotated[Principal, Depends(page_require(Role.OFFICER))]
PAGES = (1, 2, 3)


@router.get("/petugas")
def upload_page(request: Request, portal: PortalDep, officer: Officer) -> Response:
    kode = officer.scope
    tree = portal.context.tree
    desa = tree.regions.get(kode[:10])
    path = [] if desa is None else [r.nama for r in tree.path(desa.kode) if r.kode.value]
    photos = portal.queries.photos(kode)
    context = {
        "title": f"TPS {kode}",
        "person": officer,
        "kode": kode,
        "path": path,
        "pages": PAGES,
        "photos": photos,
        "failure": lambda reason: failure_kind(reason).value,
    }
    return render(request, "officer.html", context, cache="no-store")


@router.get("/petugas/kwitansi/{photo_id}.json")
def receipt(photo_id: RowId, request: Request, portal: PortalDep, officer: Officer) -> Response:
    """The signed receipt of one of the officer's photos (checked offline by
    ``rekap receipt verify``)."""
    found = portal.queries.photo(photo_id)
    if found is None:
        raise PageNotFound(str(photo_id))
    answer = portal.context.photos.find(found.sha256, officer.scope, found.page)
    if answer is None:
        raise PageNotFound(str(photo_id))
    response = json_response(request, answer.as_json(), f'"r{photo_id}"')
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="kwitansi-{photo_id}.json"'
    return response
