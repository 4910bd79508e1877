"""Turning a template and a view model into a small, cacheable HTML response.

The language comes from ``?lang=`` (remembered in a cookie), else the cookie, else Indonesian.
Pages carry an ETag made from what they show (the change-log head, the path, the language),
so a phone that already has the page gets a bodiless 304; bodies are gzipped when the
browser accepts it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from rekap.web.portal.i18n import (
    DEFAULT_LANG,
    Lang,
    Words,
    clock,
    format_int,
    format_percent,
    pick_lang,
)
from rekap.web.portal.responses import compressed
from rekap.web.portal.search import region_url
from rekap.web.portal.static_files import static_url

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANG_COOKIE = "rekap_lang"
SECURITY_HEADERS = {
    # Nothing from elsewhere: no CDN, no web font, no third-party script, ever.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    env.globals["region_url"] = region_url
    env.globals["clock"] = clock
    return env


ENV = _environment()


def request_lang(request: Request) -> Lang:
    return (
        pick_lang(request.query_params.get("lang"))
        or pick_lang(request.cookies.get(LANG_COOKIE))
        or DEFAULT_LANG
    )


def words_of(request: Request) -> Words:
    """The page's words in the request's language (for a title made in a route)."""
    return Words(request_lang(request))


def url_with(request: Request, **changes: str | None) -> str:
    """The current path with some query parameters changed (None removes one)."""
    query = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def page_etag(request: Request, version: object) -> str:
    lang = request_lang(request)
    raw = f"{version}|{lang}|{request.url.path}?{request.url.query}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    status: int = 200,
    etag: str | None = None,
    cache: str = "no-cache",
) -> Response:
    lang = request_lang(request)
    words = Words(lang)
    values = {
        "lang": lang,
        "t": words,
        "num": lambda v: format_int(v, lang),
        "pct": lambda v: format_percent(v, lang),
        "switch_url": url_with(request, lang="en" if lang == "id" else "id"),
        "path": request.url.path,
        **context,
    }
    html = ENV.get_template(template).render(values).encode()
    headers = {"Cache-Control": cache, "Content-Language": lang, **SECURITY_HEADERS}
    if etag is not None:
        headers["ETag"] = etag
    response = compressed(request, html, "text/html; charset=utf-8", status, headers)
    chosen = pick_lang(request.query_params.get("lang"))
    if chosen is not None:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax")
    return response
