"""The portal's own CSS and JavaScript, served with a version in the URL and cached for a year.

Only the files present in ``rekap/web/static`` at start-up are served; the route declares
public access like every other route (a mount would bypass the start-up access check).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from rekap.web.access import PUBLIC
from rekap.web.portal.page_errors import PageNotFound
from rekap.web.portal.responses import compressed

STATIC = Path(__file__).resolve().parent.parent / "static"
MEDIA = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
YEAR = 365 * 86400

router = APIRouter(dependencies=[Depends(PUBLIC)], include_in_schema=False)


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    media_type: str
    version: str


@cache
def static_files() -> dict[str, StaticFile]:
    files = {}
    for path in sorted(STATIC.iterdir()):
        if path.suffix in MEDIA and path.is_file():
            body = path.read_bytes()
            version = hashlib.sha256(body).hexdigest()[:12]
            files[path.name] = StaticFile(body, MEDIA[path.suffix], version)
    return files


def static_url(name: str) -> str:
    return f"/static/{name}?v={static_files()[name].version}"


@router.get("/static/{name}")
def static_file(
    name: str, request: Request, v: Annotated[str | None, Query(max_length=40)] = None
) -> Response:
    found = static_files().get(name)
    if found is None:
        raise PageNotFound(name)
    cache_control = f"public, max-age={YEAR}, immutable" if v == found.version else "no-cache"
    headers = {"Cache-Control": cache_control, "ETag": f'"{found.version}"'}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return compressed(request, found.body, found.media_type, headers=headers)
