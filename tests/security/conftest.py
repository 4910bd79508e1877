"""Worlds for the security tests: one per database kind (SQLite, and PostgreSQL when it is
reachable on 127.0.0.1:5432; in CI it must be)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rekap.capture.access import Role
from tests.integration.conftest import _postgres_database
from tests.security.world import TPS_C, TPS_D, World, running_world

pytest.importorskip("cv2")  # the portal's crops need OpenCV, as the service does


def database_of(kind: str, root: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{root / 'rekap.db'}"
    else:
        yield from _postgres_database()


def built_world(kind: str, root: Path) -> Iterator[World]:
    """A world over a fresh database of ``kind``, with open tasks of TPS A, C and D."""
    for url in database_of(kind, root):
        with running_world(url, root) as built:
            built.photograph(built.actors["officer_a"])
            for kode in (TPS_C, TPS_D):
                built.photograph(built.enrol(f"officer {kode}", Role.OFFICER, kode))
            yield built


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One world per database kind (and test process). Tests that change it use TPS and
    accounts of their own; a module whose tests leave tasks that others would be handed
    (adjudications in the matrix's region) builds a world of its own."""
    yield from built_world(request.param, tmp_path_factory.mktemp(f"world-{request.param}"))


@pytest.fixture(autouse=True)
def bare_client(request: pytest.FixtureRequest) -> None:
    """The world's client is shared across tests: each test starts without another's login
    cookie, whatever order the tests run in."""
    if "world" in request.fixturenames:
        world_built: World = request.getfixturevalue("world")
        world_built.client.cookies.clear()
