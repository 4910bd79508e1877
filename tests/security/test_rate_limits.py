"""Rate limits per credential: a caller over its bucket gets 429 (and nothing is written),
while every other credential goes on as before; the bucket refills with time.

The limiter runs on a clock of the test's own, so nothing here depends on the machine's speed.
It lives in memory, not in the database, so SQLite alone is used. Each test uses accounts of
its own (a bucket per account), so the tests share one service.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rekap.capture.access import Role
from rekap.web.rate_limit import RateLimiter
from tests.security.checks import refused
from tests.security.world import KABUPATEN, OWN_TPS, Actor, World, fresh_jpeg, running_world

BURST = 3


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


PUBLIC_BURST = 5


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[World]:
    root = tmp_path_factory.mktemp("limited")
    limiter = RateLimiter(per_second=1.0, burst=BURST, clock=clock)
    public = RateLimiter(per_second=1.0, burst=PUBLIC_BURST, clock=clock)
    with running_world(f"sqlite:///{root / 'rekap.db'}", root, limiter, public) as world:
        yield world


def upload(world: World, officer: Actor, kode: str | None = None) -> int:
    kode = kode or str(officer.kode_tps)
    jpeg = fresh_jpeg()
    answer = world.client.post(
        f"/api/v1/tps/{kode}/photos",
        files={"photo": ("p.jpg", jpeg, "image/jpeg")},
        data=officer.signed_form(jpeg, kode, 1),
        headers=officer.headers,
    )
    if answer.status_code == 429:
        refused(answer, 429, "rate_limited")
        assert answer.json()["error"]["details"]["retry"] is True
    status: int = answer.status_code
    return status


def next_task(world: World, person: Actor) -> int:
    answer = world.client.get("/api/v1/verification/next", headers=person.headers)
    if answer.status_code == 429:
        refused(answer, 429, "rate_limited")
    status: int = answer.status_code
    return status


def test_a_credential_over_its_bucket_gets_429_and_writes_nothing(
    limited: World, clock: Clock
) -> None:
    world = limited
    officer = world.enrol("limited officer 0", Role.OFFICER, OWN_TPS[0])
    assert [upload(world, officer) for _ in range(BURST)] == [201] * BURST
    assert upload(world, officer) == 429
    assert len(world.context.photos.states(OWN_TPS[0])) == BURST  # the refused one is not kept
    # The bucket is per credential, across routes: the same officer's other calls wait too.
    body = {"public_key": "ab" * 32}
    answer = world.client.post("/api/v1/devices", json=body, headers=officer.headers)
    refused(answer, 429, "rate_limited")
    # The answer says when to come back (one request per second refills the bucket).
    assert answer.headers["Retry-After"] == "1"
    assert answer.json()["error"]["details"]["retry_after_s"] == 1
    # Time refills it: one request per second.
    clock.now += 1.0
    assert upload(world, officer) == 201
    assert upload(world, officer) == 429
    assert len(world.context.photos.states(OWN_TPS[0])) == BURST + 1


def test_other_credentials_are_unaffected(limited: World) -> None:
    world = limited
    officer = world.enrol("limited officer 1", Role.OFFICER, OWN_TPS[1])
    neighbour = world.enrol("limited officer 1 next door", Role.OFFICER, OWN_TPS[2])
    verifier = world.enrol("limited verifier", Role.VERIFIER, KABUPATEN)
    twin = world.enrol("limited verifier's twin", Role.VERIFIER, KABUPATEN)
    assert [upload(world, officer) for _ in range(BURST)] == [201] * BURST
    assert upload(world, officer) == 429
    # Another officer, a verifier and the admin go on.
    assert upload(world, neighbour) == 201
    assert upload(world, neighbour, OWN_TPS[1]) == 403  # refused for the TPS, not throttled
    assert [next_task(world, verifier) for _ in range(BURST)] == [204] * BURST
    assert next_task(world, verifier) == 429
    # A second account of the same role and region has a bucket of its own.
    assert next_task(world, twin) == 204
    admin = world.actors["admin"].headers
    assert world.client.get("/api/v1/verification/statistics", headers=admin).status_code == 200


def test_a_refusal_before_authorisation_spends_nothing(limited: World) -> None:
    """An unknown token (401) or a wrong role (403) is refused before the bucket is touched,
    so it cannot drain anyone's bucket."""
    world = limited
    officer = world.enrol("limited officer 3", Role.OFFICER, OWN_TPS[3])
    for _ in range(2 * BURST):
        assert next_task(world, world.actors["bad_token"]) == 401
        assert next_task(world, officer) == 403
    assert [upload(world, officer) for _ in range(BURST)] == [201] * BURST


def test_public_reading_is_limited_per_network_address(limited: World, clock: Clock) -> None:
    """The public routes need no credential, so their bucket is the caller's address: a
    scraper over its bucket gets 429 while credentials keep their own buckets."""
    world = limited
    clock.now += 100.0  # every bucket full again
    health = [world.client.get("/api/v1/health").status_code for _ in range(PUBLIC_BURST)]
    assert health == [200] * PUBLIC_BURST
    answer = world.client.get("/api/v1/log")
    refused(answer, 429, "rate_limited")
    assert answer.json()["error"]["details"]["retry"] is True
    assert int(answer.headers["Retry-After"]) >= 1
    # A logged-in caller reading public pages shares the address's bucket ...
    officer = world.enrol("limited officer 4", Role.OFFICER, OWN_TPS[3])
    refused(world.client.get("/api/v1/health", headers=officer.headers), 429, "rate_limited")
    # ... but the credential's own routes are unaffected.
    assert upload(world, officer) == 201
    clock.now += 1.0
    assert world.client.get("/api/v1/health").status_code == 200
