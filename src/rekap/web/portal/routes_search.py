"""Search by place name or code: an HTML page (works without JavaScript) and a tiny JSON answer
for instant results as one types."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from rekap.web.access import PUBLIC
from rekap.web.portal.downloads import json_response
from rekap.web.portal.rendering import render, words_of
from rekap.web.portal.state import Portal, portal_of

router = APIRouter(dependencies=[Depends(PUBLIC)], include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
QueryText = Annotated[str, Query(max_length=100)]


@router.get("/cari")
def search_page(request: Request, portal: PortalDep, q: QueryText = "") -> Response:
    hits = portal.search.search(q, limit=50)
    context = {"title": q or words_of(request)("search_title"), "query": q, "hits": hits}
    return render(request, "search.html", context, cache="public, max-age=3600")


@router.get("/cari.json")
def search_json(request: Request, portal: PortalDep, q: QueryText = "") -> Response:
    hits = portal.search.search(q, limit=12)
    response = json_response(request, {"q": q, "hits": [h.as_json() for h in hits]}, '"s"')
    response.headers["Cache-Control"] = "public, max-age=3600"
    del response.headers["ETag"]
    return response
