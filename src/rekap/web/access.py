"""Access is declared on every route, and the app refuses to start if one has none.

A route declares ``Depends(PUBLIC)`` or ``Depends(require(Role.X, ...))``; both are
``AccessRule`` objects, which ``check_every_route_declares_access`` looks for at start-up.
The credential is a bearer token, in the ``Authorization`` header or, for the web pages, in
the HttpOnly, SameSite=Strict cookie ``TOKEN_COOKIE`` set by the login form. A stale cookie
is ignored on public routes (it must not lock anyone out of public pages).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from rekap.adapters.storage.accounts import AccountStore
from rekap.capture.access import Principal, Role
from rekap.web.cross_origin import mark_public
from rekap.web.errors import ApiError

TOKEN_COOKIE = "rekap_token"


class AccessRule:
    def __init__(self, roles: tuple[Role, ...], public: bool = False) -> None:
        self.roles = roles
        self.public = public

    async def __call__(self, request: Request) -> Principal | None:
        if self.public:
            mark_public(request)  # readable by a script on any site (``cross_origin``)
        token, bearer = presented_token(request)
        principal: Principal | None = None
        context = request.app.state.context
        if bearer:
            principal = await authenticate(context.accounts, token)
            if principal is None:
                raise ApiError("unauthenticated", "the token is not valid")
        elif token:
            principal = await authenticate(context.accounts, token)
            if principal is None and not self.public:
                raise ApiError("unauthenticated", "the login is no longer valid; log in again")
        if self.public:  # public reading is limited per network address, logged in or not
            address = request.client.host if request.client is not None else "unknown"
            context.public_limiter.spend(f"address:{address}")
            return principal
        if principal is None:
            raise ApiError("unauthenticated", "this needs a bearer token")
        if principal.role not in self.roles:
            allowed = ", ".join(r.value for r in self.roles)
            raise ApiError("forbidden", f"this needs the role {allowed}")
        context.rate_limiter.spend(principal.account_id)
        return principal


def presented_token(request: Request) -> tuple[str, bool]:
    """The token a request presents, and whether as a bearer token (else from the login
    cookie, or '' for none)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip(), True
    return request.cookies.get(TOKEN_COOKIE, ""), False


async def authenticate(accounts: AccountStore, token: str) -> Principal | None:
    """A token seen recently is answered from memory, in the event loop; otherwise the store
    is asked, in the loop for a local SQLite file (a sub-millisecond read that takes no lock),
    on a worker thread for a database server, so a slow server never blocks other requests."""
    cached = accounts.cached_principal(token)
    if cached is not None:
        return cached
    if accounts.local_reads:
        return accounts.authenticate(token)
    return await run_in_threadpool(accounts.authenticate, token)


PUBLIC = AccessRule((), public=True)


def require(*roles: Role) -> AccessRule:
    return AccessRule(roles)


def _declares_access(dependant: Dependant) -> bool:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, AccessRule) or _declares_access(dependency):
            return True
    return False


class UndeclaredAccess(RuntimeError):
    """A route without an access decision: the app must not start."""


def _routes(routes: Iterable[BaseRoute], inherited: bool) -> Iterator[tuple[APIRoute, bool]]:
    """Every API route, also inside included routers (which FastAPI may keep as branches),
    with whether an including router already declared access for it."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route, inherited
            continue
        original = getattr(route, "original_router", None)
        if original is not None:
            context = getattr(route, "include_context", None)
            extra = getattr(context, "dependencies", None) or []
            declared = inherited or any(isinstance(d.dependency, AccessRule) for d in extra)
            yield from _routes(original.routes, declared)


def check_every_route_declares_access(app: FastAPI) -> None:
    missing = [
        f"{sorted(route.methods or ())} {route.path}"
        for route, inherited in _routes(app.routes, False)
        if not inherited and not _declares_access(route.dependant)
    ]
    if missing:
        raise UndeclaredAccess("routes without an access decision: " + "; ".join(missing))
