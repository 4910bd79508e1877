"""A script on another site (a monitor's dashboard, a newsroom's chart) reads every public
page, its data and the change log's API, errors included; nothing that needs a login is
readable across sites, and no request but a read is answered for one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rekap.adapters.keys import load_or_create
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.capture.access import Role
from rekap.web.app import create_app
from rekap.web.context import AppContext, utc_now

ELSEWHERE = {"Origin": "https://dashboard.example.org"}


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> tuple[AppContext, str]:
    root: Path = tmp_path_factory.mktemp("cross")
    engine = open_engine(f"sqlite:///{root / 'rekap.db'}")
    upgrade(engine)
    context = AppContext(engine, load_or_create(root / "k.pem"), LocalPhotoStore(root))
    _, token = context.accounts.enrol("a", Role.ADMIN, "", utc_now(), "test")
    return context, token


@pytest.fixture
def web(bare: tuple[AppContext, str]) -> Iterator[TestClient]:
    with TestClient(create_app(bare[0])) as client:
        yield client


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/log?wilayah=74",
        "/api/v1/health",
        "/nasional.json",
        "/wilayah/74.json",
        "/wilayah/74.csv",
        "/",
        "/wilayah/99999999",  # a 404 is seen as one
        "/api/v1/log?wilayah=x",  # and so is a 422
    ],
)
def test_a_public_read_is_readable_from_any_site(web: TestClient, path: str) -> None:
    answer = web.get(path, headers=ELSEWHERE)
    assert answer.headers["access-control-allow-origin"] == "*", (path, answer.status_code)
    assert "ETag" in answer.headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in answer.headers
    head = web.head(path, headers=ELSEWHERE)
    assert head.headers["access-control-allow-origin"] == "*"


def test_what_needs_a_login_is_not_readable_from_another_site(
    web: TestClient, bare: tuple[AppContext, str]
) -> None:
    with_token = {**ELSEWHERE, "Authorization": f"Bearer {bare[1]}"}
    # read with an admin's token (200), and without the token (401)
    for path, status in (("/api/v1/verification/statistics", 200), ("/api/v1/accounts", 200)):
        answer = web.get(path, headers=with_token)
        assert answer.status_code == status, path
        assert "access-control-allow-origin" not in answer.headers, path
        refused = web.get(path, headers=ELSEWHERE)  # no token: 401, not readable either
        assert refused.status_code == 401
        assert "access-control-allow-origin" not in refused.headers


def test_only_reads_are_answered_for_another_site(web: TestClient) -> None:
    # the login form is public, but a POST is no read: a script elsewhere never sees its answer
    answer = web.post("/masuk", data={"token": "x"}, headers=ELSEWHERE)
    assert "access-control-allow-origin" not in answer.headers
