"""Public reads may be fetched by a script on any site: a monitor's dashboard polling a
region's change log, a newsroom's page charting the totals.

A route declared ``PUBLIC`` marks its request (``mark_public``); this middleware then adds
``Access-Control-Allow-Origin: *`` to the answer of a GET or HEAD of such a route, errors
included (a script must see a 404 or a 429 as such, with its ``Retry-After``). Nothing that
needs a login gets it, and no credentials are ever allowed across sites: with ``*`` a browser
sends no cookie, so a cross-site script reads exactly what anyone reads. Other methods, and
the preflight a non-simple request would need, are not answered: public reads are simple GETs.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_MARK = "rekap_public"
READS = frozenset({"GET", "HEAD"})
EXPOSED = "ETag, Retry-After"
"""Headers a script may read besides the always-readable ones (it polls by ETag and backs off
by Retry-After)."""


def mark_public(request: Request) -> None:
    """Say that the request is of a public route (called by the ``PUBLIC`` access rule)."""
    setattr(request.state, PUBLIC_MARK, True)


class PublicReadsAnywhere:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in READS:
            await self.app(scope, receive, send)
            return

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get("state", {}).get(PUBLIC_MARK):
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = "*"
                headers["Access-Control-Expose-Headers"] = EXPOSED
            await send(message)

        await self.app(scope, receive, answer)
