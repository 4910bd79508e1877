"""One error shape for every error: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rekap.adapters.storage.engine import TRANSIENT, passes
from rekap.web.throttled import Throttled

STATUS_OF_CODE = {
    "invalid_input": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "unsupported_media": 415,
    "rate_limited": 429,
    "interrupted": 400,
    "photo_missing": 410,
    "storage_unavailable": 503,
    "database_unavailable": 503,
    "internal": 500,
}
"""The HTTP status of each error code: every ``ApiError`` is answered with its code's."""


class ApiError(Exception):
    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    @property
    def status(self) -> int:
        return STATUS_OF_CODE.get(self.code, 400)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def api_error_response(error: ApiError) -> JSONResponse:
    headers: dict[str, str] = {}
    if error.code == "unauthenticated":
        headers["WWW-Authenticate"] = "Bearer"
    if "retry_after_s" in error.details:  # rate_limited, storage_ and database_unavailable
        headers["Retry-After"] = str(error.details["retry_after_s"])
    return JSONResponse(
        error_body(error.code, error.message, error.details),
        error.status,
        headers=headers or None,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> JSONResponse:
        return api_error_response(error)

    app.add_exception_handler(RequestValidationError, invalid_json)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error_json)  # type: ignore[arg-type]

    for away in TRANSIENT:
        app.add_exception_handler(away, database_unavailable)
    app.add_exception_handler(Exception, unexpected)


async def unexpected(_request: Request, _error: Exception) -> JSONResponse:
    return api_error_response(ApiError("internal", "an internal error; nothing was changed"))


async def invalid_json(_request: Request, error: RequestValidationError) -> JSONResponse:
    problems = [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
        for e in error.errors()
    ]
    body = error_body("invalid_input", "the request is not valid", {"problems": problems})
    return JSONResponse(body, 422)


async def http_error_json(_request: Request, error: StarletteHTTPException) -> JSONResponse:
    """No route (404), a method the route does not take (405, with its ``Allow`` header)."""
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    return JSONResponse(error_body(code, str(error.detail)), error.status_code, error.headers)


DATABASE_RETRY_AFTER_S = 30


class DatabaseTrouble:
    """Says on the server's log why the database refuses, once per ``every`` seconds while it
    lasts, with how many requests were answered 503 meanwhile."""

    def __init__(self, every: float = 10.0) -> None:
        self.throttle = Throttled(every)
        self.log = logging.getLogger("rekap.web")

    def said(self, error: Exception) -> None:
        refused = self.throttle.came()
        if refused is None:
            return
        cause = str(getattr(error, "orig", None) or error).strip().splitlines()
        self.log.warning(
            "the database cannot be used (%d answered 503 since last said): %s: %s",
            refused,
            type(error).__name__,
            cause[0] if cause else "",
        )


DATABASE_TROUBLE = DatabaseTrouble()


def _disk_full(error: Exception) -> bool:
    """SQLite's "database or disk is full", PostgreSQL's disk_full (SQLSTATE 53100)."""
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) == "53100" or "disk is full" in str(orig or error)


async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
    """The database away for now: 503, try again (never a bare 500); an error of the same
    class that waiting never mends (SQLite's "no such table") is the internal error it is."""
    if not passes(error):
        return await unexpected(request, error)
    DATABASE_TROUBLE.said(error)
    details = {
        "reason": "disk_full" if _disk_full(error) else "database_error",
        "retry_after_s": DATABASE_RETRY_AFTER_S,
    }
    return api_error_response(
        ApiError(
            "database_unavailable",
            "the database cannot be used now; nothing was recorded: try again later",
            details,
        )
    )
