"""The region pages: nasional, provinsi, kabupaten/kota, kecamatan and desa (HTML, CSV, JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from rekap.web.access import PUBLIC
from rekap.web.portal.downloads import (
    csv_response,
    json_response,
    region_document,
    region_rows,
    split_name,
)
from rekap.web.portal.i18n import Lang, Words, format_percent
from rekap.web.portal.page_errors import PlaceNotFound
from rekap.web.portal.regions import RegionPage, region_page
from rekap.web.portal.rendering import page_etag, render, request_lang
from rekap.web.portal.responses import not_modified
from rekap.web.portal.search import region_url
from rekap.web.portal.state import Portal, portal_of
from rekap.web.portal.svg_chart import bar_chart
from rekap.web.portal.svg_map import Tile, distinct_labels, provinsi_cartogram, tile_grid

router = APIRouter(dependencies=[Depends(PUBLIC)], include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]


def _tiles(page: RegionPage, words: Words, lang: Lang) -> list[Tile]:
    """One tile per child (or per TPS of a desa), with a note naming the leader."""
    tiles = []
    labels = distinct_labels([child.nama for child in page.children])
    for child, label in zip(page.children, labels, strict=True):
        top = max(child.shares, key=lambda s: s.votes, default=None)
        lead = (
            child.leader.label
            if child.leader is not None
            else words("legend_tie" if child.has_votes else "legend_none")
        )
        share = format_percent(top.share if top else None, lang)
        note = f"{child.nama}: {lead} {share if child.leader else ''}".strip()
        tiles.append(
            Tile(
                child.kode,
                child.nama,
                label,
                child.leader,
                child.has_votes,
                region_url(child.kode),
                note,
            )
        )
    for tps in page.tps:
        lead = tps.leader.label if tps.leader is not None else words(tps.status)
        tiles.append(
            Tile(
                tps.kode,
                f"TPS {tps.nomor:03d}",
                f"{tps.nomor:03d}",
                tps.leader,
                tps.has_votes,
                f"/tps/{tps.kode}",
                f"TPS {tps.nomor:03d}: {lead}",
                tps.held,
            )
        )
    return tiles


def _show(request: Request, portal: Portal, kode: str, form: str) -> Response:
    live = portal.live()
    etag = page_etag(request, f"{live.version}:{form}")
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    try:
        page = region_page(portal.context.tree, live, portal.paslon, kode)
    except KeyError:
        raise PlaceNotFound(kode, is_tps=False) from None
    name = kode or "nasional"
    if form == "json":
        return json_response(request, region_document(page), etag)
    if form == "csv":
        return csv_response(request, region_rows(page, portal.paslon), f"rekap-ppwp-{name}", etag)
    lang = request_lang(request)
    words = Words(lang)
    title = page.own.nama if kode else words("title_nasional")
    heading = f"{words(f'level_{page.own.level.value}')} {title}" if kode else title
    if page.path:  # the parent's name too: a kecamatan and its desa are often namesakes
        heading = f"{heading}, {page.path[-1][1]}"
    chart = bar_chart(page.own.shares, words("chart_title", region=title), lang)
    tiles = _tiles(page, words, lang)
    map_title = words("map_title", level=words(f"children_{page.own.level.value}"))
    drawn = provinsi_cartogram(tiles, map_title) if not kode else tile_grid(tiles, map_title)
    context = {
        "title": heading,
        "page": page,
        "chart": chart,
        "map": drawn,
        "paslon": portal.paslon,
        "download_base": "/nasional" if not kode else f"/wilayah/{kode}",
    }
    return render(request, "region.html", context, etag=etag)


@router.get("/")
def nasional(request: Request, portal: PortalDep) -> Response:
    return _show(request, portal, "", "html")


@router.get("/nasional")
def nasional_alias() -> Response:
    """``/nasional``, beside ``/nasional.json`` and ``/nasional/perubahan``, is the national
    page itself (a reader who trims an address expects it; it was a 404)."""
    return RedirectResponse("/", status_code=308)


@router.get("/nasional.json")
def nasional_json(request: Request, portal: PortalDep) -> Response:
    return _show(request, portal, "", "json")


@router.get("/nasional.csv")
def nasional_csv(request: Request, portal: PortalDep) -> Response:
    return _show(request, portal, "", "csv")


@router.get("/wilayah/{name}")
def wilayah(name: str, request: Request, portal: PortalDep) -> Response:
    kode, form = split_name(name)
    if not kode.isdigit() or len(kode) not in (2, 4, 6, 10):
        raise PlaceNotFound(kode, is_tps=False)
    return _show(request, portal, kode, form)
