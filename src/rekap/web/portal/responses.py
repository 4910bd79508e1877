"""Small, cacheable responses: gzip when the browser accepts it, 304 when it has the page."""

from __future__ import annotations

import gzip
from collections.abc import Mapping

from fastapi import Request, Response

MIN_GZIP = 1024


def not_modified(request: Request, etag: str) -> Response | None:
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return None


def compressed(
    request: Request,
    body: bytes,
    media_type: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``body`` as a response, gzipped when the browser accepts gzip."""
    out = dict(headers or {})
    out["Vary"] = "Accept-Encoding, Cookie"
    if len(body) >= MIN_GZIP and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=6)
        out["Content-Encoding"] = "gzip"
    return Response(body, status_code=status, media_type=media_type, headers=out)
