"""Web login: the bearer token pasted once, kept in an HttpOnly, SameSite=Strict cookie.

Workspace pages declare ``Depends(page_require(Role...))``: the same access rule as the API
(so the start-up check sees it), but a browser without a valid login is sent to the login
form instead of receiving a JSON error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from rekap.capture.access import Principal, Role
from rekap.web.access import PUBLIC, TOKEN_COOKIE, AccessRule
from rekap.web.errors import ApiError
from rekap.web.portal.entry_resume import carried_fields, resumes_entry
from rekap.web.portal.page_errors import LoginNeeded
from rekap.web.portal.rendering import render, words_of

LOGIN_HOURS = 12
HOME = {
    Role.OFFICER: "/petugas",
    Role.VERIFIER: "/verifikasi",
    Role.ADJUDICATOR: "/verifikasi",
    Role.ADMIN: "/verifikasi/statistik",
}

router = APIRouter(include_in_schema=False)


class PageRule(AccessRule):
    """An access rule for HTML pages: refusals become a login redirect or a 403 page."""

    async def __call__(self, request: Request) -> Principal | None:
        try:
            return await super().__call__(request)
        except ApiError as error:
            if error.code in ("unauthenticated", "forbidden"):
                raise LoginNeeded(error.code, error.message) from error
            raise


def page_require(*roles: Role) -> PageRule:
    return PageRule(roles)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (never '//host' or a full URL) is followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def login_page(
    request: Request,
    next_path: str | None,
    carried: Sequence[tuple[str, str]] = (),
    error: bool = False,
    status: int = 200,
) -> Response:
    """The login form; ``carried``: the fields of an entry whose login ended while it was
    typed, posted again after the login (``entry_resume``)."""
    title = words_of(request)("login_title")
    context = {
        "title": title,
        "person": None,
        "next": next_path,
        "error": error,
        "carried": carried if next_path is not None and resumes_entry(next_path) else (),
    }
    return render(request, "login.html", context, status=status, cache="no-store")


@router.get("/masuk")
def login_form(
    request: Request,
    person: Annotated[Principal | None, Depends(PUBLIC)],
    lanjut: str | None = None,
) -> Response:
    title = words_of(request)("login_title")
    context = {
        "title": title,
        "person": person,
        "next": safe_next(lanjut),
        "error": None,
        "carried": (),
    }
    return render(request, "login.html", context, cache="no-store")


@router.post("/masuk")
async def login(
    request: Request,
    token: Annotated[str, Form(min_length=1, max_length=200)],
    _anyone: Annotated[Principal | None, Depends(PUBLIC)],
    lanjut: Annotated[str | None, Form()] = None,
) -> Response:
    """Log in: a cookie, then the page asked for (or the role's home). An entry carried
    through the login is posted again to its address (307), to be shown filled in."""
    person = request.app.state.context.accounts.authenticate(token.strip())
    target = safe_next(lanjut)
    if person is None:
        form = request.app.state.portal.context.form
        carried = carried_fields(form, (await request.form()).multi_items())
        return login_page(request, target, carried, error=True, status=401)
    again = target is not None and resumes_entry(target)
    response = RedirectResponse(target or HOME[person.role], status_code=307 if again else 303)
    response.set_cookie(
        TOKEN_COOKIE,
        token.strip(),
        max_age=LOGIN_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/keluar")
def logout(_anyone: Annotated[Principal | None, Depends(PUBLIC)]) -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return response
