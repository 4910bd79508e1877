"""Serve the whole service (API and portal) on one address until interrupted.

The figures are built before the server accepts its first request, so the first visitor does
not wait for them (a national store takes tens of seconds; a kabupaten/kota well under one).
"""

from __future__ import annotations

from collections.abc import Callable

from rekap.web.app import create_app
from rekap.web.context import AppContext
from rekap.web.portal.settings import PortalSettings
from rekap.web.portal.state import Portal


def serve_portal(
    context: AppContext,
    settings: PortalSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    announce: Callable[[str], None] = print,
    landing: str = "/",
) -> None:
    """Build the figures, say where the portal is (``landing``, e.g. ``/wilayah/7471``), and
    serve until Ctrl-C."""
    import uvicorn

    app = create_app(context, settings)
    portal: Portal = app.state.portal
    portal.live()
    announce(f"rekap portal: http://{host}:{port}{landing} (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
