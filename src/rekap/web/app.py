"""The FastAPI application, built from an AppContext; refuses to start with an undeclared route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from rekap import __version__
from rekap.web import (
    api_reference,
    routes_accounts,
    routes_capture,
    routes_photos,
    routes_public,
    routes_verification,
)
from rekap.web.access import check_every_route_declares_access
from rekap.web.context import AppContext
from rekap.web.cross_origin import PublicReadsAnywhere
from rekap.web.errors import install_error_handlers
from rekap.web.openapi_errors import describe_errors
from rekap.web.portal import install as install_portal
from rekap.web.portal.settings import PortalSettings
from rekap.web.upload_gate import UploadGate


def create_app(context: AppContext, portal: PortalSettings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        context.intake.close()  # record the uploads still waiting before the process ends

    app = FastAPI(
        lifespan=lifespan,
        title="rekap",
        version=__version__,
        description="Capture, verification and the public change log of C.Hasil tally forms.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # rekap's own page (api_reference): Swagger UI loads from a CDN
        redoc_url=None,
    )
    app.state.context = context
    install_error_handlers(app)
    app.include_router(routes_capture.router)
    app.include_router(routes_accounts.router)
    app.include_router(routes_photos.router)
    app.include_router(routes_verification.router)
    app.include_router(routes_public.router)
    install_portal(app, portal)
    describe_errors(app)
    api_reference.install(app)
    app.add_middleware(UploadGate)  # an upload without an officer's login: refused unread
    app.add_middleware(PublicReadsAnywhere)  # public reads fetched by scripts on any site
    check_every_route_declares_access(app)
    return app
