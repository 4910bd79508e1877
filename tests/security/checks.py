"""Checks shared by the security tests: every route of an app with its access rules, and the
one error shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Route

from rekap.web.access import AccessRule
from rekap.web.errors import STATUS_OF_CODE


def routes_of(app: FastAPI) -> Iterator[tuple[str, str, Dependant | None]]:
    """Every (method, path, dependant) the app answers, routers included (FastAPI ≥ 0.16x
    keeps included routers as branches of ``app.routes`` instead of copying their routes)."""
    for route in app.routes:
        branches = getattr(route, "effective_route_contexts", None)
        if branches is not None:
            for context in branches():
                for method in sorted(context.methods or ()):
                    yield method, context.path, context.dependant
        elif isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):
                yield method, route.path, route.dependant
        elif isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, route.path, None


def access_rules(dependant: Dependant | None) -> list[AccessRule]:
    if dependant is None:
        return []
    found = [d.call for d in dependant.dependencies if isinstance(d.call, AccessRule)]
    for sub in dependant.dependencies:
        found += access_rules(sub)
    return found


def check_error_shape(answer: httpx.Response) -> None:
    body: Any = answer.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    assert STATUS_OF_CODE.get(error["code"]) == answer.status_code, error
    if answer.status_code == 401:
        assert answer.headers.get("www-authenticate") == "Bearer"


def refused(answer: httpx.Response, status: int, code: str) -> str:
    """Check a refusal's status, code and error shape; returns its message."""
    assert answer.status_code == status, answer.text
    check_error_shape(answer)
    assert answer.json()["error"]["code"] == code
    message: str = answer.json()["error"]["message"]
    return message
