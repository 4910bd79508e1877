"""Access with the web login's cookie: accepted where a bearer token is, ignored when stale on
public routes, refused when stale on protected ones; the login sets it HttpOnly and Strict."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rekap.adapters.keys import load_or_create
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.capture.access import Role
from rekap.web.access import TOKEN_COOKIE
from rekap.web.app import create_app
from rekap.web.context import AppContext, utc_now


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> tuple[AppContext, dict[Role, str]]:
    root = tmp_path_factory.mktemp("access")
    engine = open_engine(f"sqlite:///{root / 'rekap.db'}")
    upgrade(engine)
    context = AppContext(engine, load_or_create(root / "k.pem"), LocalPhotoStore(root))
    scopes = {Role.ADMIN: "", Role.VERIFIER: "74", Role.OFFICER: "7471011007001"}
    tokens = {
        role: context.accounts.enrol(role.value, role, scope, utc_now(), "test")[1]
        for role, scope in scopes.items()
    }
    return context, tokens


@pytest.fixture
def web(bare: tuple[AppContext, dict[Role, str]]) -> Iterator[TestClient]:
    with TestClient(create_app(bare[0])) as client:
        yield client


def test_a_cookie_works_like_a_bearer_token(
    web: TestClient, bare: tuple[AppContext, dict[Role, str]]
) -> None:
    admin = bare[1][Role.ADMIN]
    assert web.get("/api/v1/verification/statistics").status_code == 401
    web.cookies.set(TOKEN_COOKIE, admin)
    assert web.get("/api/v1/verification/statistics").status_code == 200
    web.cookies.set(TOKEN_COOKIE, bare[1][Role.VERIFIER])
    assert web.get("/api/v1/verification/statistics").status_code == 403


def test_a_stale_cookie_is_ignored_on_public_routes_only(web: TestClient) -> None:
    web.cookies.set(TOKEN_COOKIE, "not-a-token")
    assert web.get("/api/v1/health").status_code == 200
    assert web.get("/api/v1/verification/statistics").status_code == 401
    assert web.get("/data").status_code == 200


def test_a_bad_bearer_token_is_still_refused_even_with_a_good_cookie(
    web: TestClient, bare: tuple[AppContext, dict[Role, str]]
) -> None:
    web.cookies.set(TOKEN_COOKIE, bare[1][Role.ADMIN])
    answer = web.get("/api/v1/health", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401


def test_login_sets_an_httponly_strict_cookie_and_logout_clears_it(
    web: TestClient, bare: tuple[AppContext, dict[Role, str]]
) -> None:
    refused = web.post("/masuk", data={"token": "wrong"})
    assert refused.status_code == 401
    answer = web.post("/masuk", data={"token": bare[1][Role.VERIFIER]}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/verifikasi"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert web.get("/verifikasi").status_code == 200
    out = web.post("/keluar", follow_redirects=False)
    assert out.status_code == 303
    assert web.get("/verifikasi", follow_redirects=False).status_code == 303


def test_workspace_pages_send_strangers_to_the_login_and_refuse_other_roles(
    web: TestClient, bare: tuple[AppContext, dict[Role, str]]
) -> None:
    answer = web.get("/verifikasi", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/masuk?lanjut=/verifikasi"
    web.cookies.set(TOKEN_COOKIE, bare[1][Role.OFFICER])
    refused = web.get("/verifikasi")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert web.get("/petugas").status_code == 200


def test_login_follows_only_local_paths(
    web: TestClient, bare: tuple[AppContext, dict[Role, str]]
) -> None:
    token = bare[1][Role.ADMIN]
    for target, expected in (
        ("/verifikasi/statistik", "/verifikasi/statistik"),
        ("//evil.example/x", "/verifikasi/statistik"),
        ("https://evil.example/", "/verifikasi/statistik"),
    ):
        answer = web.post("/masuk", data={"token": token, "lanjut": target}, follow_redirects=False)
        assert answer.headers["location"] == expected
