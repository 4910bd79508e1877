"""Small, cacheable responses: gzip when the browser accepts it, 304 when it has the page."""

from __future__ import annotations

import gzip
from collections.abc import Mapping

from fastapi import Request, Response

MIN_GZIP = 1024


VARY = "Accept-Encoding, Cookie"


def _matches(header: str, etag: str) -> bool:
    """``If-None-Match`` compared weakly (RFC 9110 13.1.2): a list of tags, or ``*``; a proxy
    that gzips a page turns its tag into ``W/"…"``, and the browser sends that back."""
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in (t.removeprefix("W/") for t in tags)


def not_modified(request: Request, etag: str, cache: str = "no-cache") -> Response | None:
    """A bodiless 304 when the browser has this version; it repeats the headers a cache
    keeps (ETag, Cache-Control, Vary), as a 200 would carry them."""
    if _matches(request.headers.get("if-none-match", ""), etag):
        headers = {"ETag": etag, "Cache-Control": cache, "Vary": VARY}
        return Response(status_code=304, headers=headers)
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
    out["Vary"] = VARY
    if len(body) >= MIN_GZIP and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=6)
        out["Content-Encoding"] = "gzip"
    return Response(body, status_code=status, media_type=media_type, headers=out)
