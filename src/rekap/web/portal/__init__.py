"""The public portal, the verifier workspace and the officer upload page (server-rendered).

``install(app, settings)`` adds every portal route (each declaring its access, like the API)
and the handlers that turn a page's refusals into HTML pages.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rekap.web.errors import error_body, http_error_json, invalid_json
from rekap.web.portal import (
    routes_anomalies,
    routes_changes,
    routes_data,
    routes_officer,
    routes_regions,
    routes_search,
    routes_tps,
    routes_verify,
    session,
    static_files,
)
from rekap.web.portal.entry_resume import carried_fields, login_path, resume_target
from rekap.web.portal.head import HeadAsGet
from rekap.web.portal.i18n import Words
from rekap.web.portal.page_errors import LoginNeeded, PageNotFound, PageRefused, PlaceNotFound
from rekap.web.portal.regions import nearest_region
from rekap.web.portal.rendering import render, request_lang, url_with
from rekap.web.portal.session import login_page
from rekap.web.portal.settings import PortalSettings
from rekap.web.portal.state import Portal

ROUTERS = (
    static_files.router,
    routes_regions.router,
    routes_changes.router,
    routes_tps.router,
    routes_search.router,
    routes_anomalies.router,
    routes_data.router,
    session.router,
    routes_verify.router,
    routes_officer.router,
)


def _error_page(
    request: Request,
    status: int,
    heading: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    back: tuple[str, str] | None = None,
) -> Response:
    title = Words(request_lang(request))(heading)
    context = {"title": title, "heading": heading, "message": message, "back": back}
    response = render(request, "error.html", context, status=status, cache="no-store")
    response.headers.update(headers or {})
    return response


def _wants_page(request: Request) -> bool:
    """A browser off the API: it gets an HTML error page; the API and scrapers, JSON."""
    path = request.url.path
    return (
        not path.startswith("/api/")
        and not path.endswith((".json", ".csv"))
        and "text/html" in request.headers.get("accept", "")
    )


def install(app: FastAPI, settings: PortalSettings | None = None) -> None:
    app.state.portal = Portal(app.state.context, settings or PortalSettings())
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(HeadAsGet)

    @app.exception_handler(StarletteHTTPException)
    async def no_route(request: Request, error: StarletteHTTPException) -> Response:
        if not _wants_page(request):
            return await http_error_json(request, error)
        heading = "not_found" if error.status_code == 404 else "invalid_request"
        return _error_page(request, error.status_code, heading, request.url.path, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        if not _wants_page(request):
            return await invalid_json(request, error)
        return _error_page(request, 422, "invalid_request", request.url.path)

    @app.exception_handler(PageNotFound)
    async def not_found(request: Request, error: PageNotFound) -> Response:
        if not _wants_page(request):  # data is asked for, or a script asks: data answers
            body = error_body("not_found", f"no such page: {request.url.path}")
            return JSONResponse(body, 404, headers={"Cache-Control": "no-store"})
        if not isinstance(error, PlaceNotFound):
            return _error_page(request, 404, "not_found", str(error))
        words = Words(request_lang(request))
        key = "not_found_tps" if error.is_tps else "not_found_region"
        back = nearest_region(app.state.portal.context.tree, error.kode)
        return _error_page(request, 404, "not_found", words(key, kode=error.kode), back=back)

    @app.exception_handler(LoginNeeded)
    async def login_needed(request: Request, error: LoginNeeded) -> Response:
        if error.code != "unauthenticated":
            return _error_page(request, 403, "forbidden", error.message)
        if request.method in ("GET", "HEAD"):
            return RedirectResponse(login_path(url_with(request)), status_code=303)
        resume = resume_target(request.url.path)
        if resume is None:  # a workspace button (skip, report): its page, after the login
            return RedirectResponse(login_path("/verifikasi"), status_code=303)
        form = app.state.portal.context.form
        carried = carried_fields(form, (await request.form()).multi_items())
        return login_page(request, resume, carried, status=401)

    @app.exception_handler(PageRefused)
    async def refused(request: Request, error: PageRefused) -> Response:
        wait = error.retry_after_s
        headers = None if wait is None else {"Retry-After": str(wait)}
        return _error_page(request, error.status, "refused", error.message, headers)
