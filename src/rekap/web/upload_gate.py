"""The multipart upload (``POST /api/v1/tps/{kode}/photos``) is refused before its body is
read when it carries no valid officer's login.

FastAPI parses a multipart body, spooling it to disk, before a route's access check runs, so
without this anyone could make the server take in up to the body limit (25 MB) per request. The
gate authenticates as the route will (the token, from the header or the login cookie, answered
from memory when seen recently) and lets the request through; the route checks it again (from
memory) and spends the account's rate limit. The PUT upload reads its body itself, after its
access check, and needs no gate.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from rekap.capture.access import Role
from rekap.web.access import authenticate, presented_token
from rekap.web.errors import ApiError, api_error_response

UPLOAD_PATH = re.compile(r"/api/v1/tps/[^/]+/photos/?")


class UploadGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and UPLOAD_PATH.fullmatch(scope["path"])
        ):
            refusal = await _refusal(Request(scope))
            if refusal is not None:
                await api_error_response(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _refusal(request: Request) -> ApiError | None:
    token, _ = presented_token(request)
    if not token:
        return ApiError("unauthenticated", "this needs a bearer token")
    principal = await authenticate(request.app.state.context.accounts, token)
    if principal is None:
        return ApiError("unauthenticated", "the token is not valid")
    if principal.role is not Role.OFFICER:
        return ApiError("forbidden", f"this needs the role {Role.OFFICER.value}")
    return None
