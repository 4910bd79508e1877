"""Failed photos over the API, for an operator of many machines: `GET /api/v1/photos/failed`
lists them with why, `POST /api/v1/photos/retry` puts them back as `rekap photos retry` does
(the same events, by the admin's account; queued on PostgreSQL), admin only."""

from __future__ import annotations

from rekap.capture.access import Role
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Service
from tests.service.test_photo_retry import (
    KODE,
    crashing,
    fail_three_ways,
    now,
    processor,
    queued,
    rekap,
    retried_events,
    states,
)

NOTHING = {"retried": [], "passed_over": [], "remaining": 0, "next_after": None}


def admin(service: Service) -> dict[str, str]:
    return {"Authorization": f"Bearer {service.admin_token}"}


def admin_id(service: Service) -> str:
    principal = service.context.accounts.authenticate(service.admin_token)
    assert principal is not None
    return principal.account_id


def test_an_admin_lists_failed_photos_and_retries_one(service: Service) -> None:
    service.upload_pages(KODE, {1: synthetic_jpeg(81)})
    assert processor(service, crashing).run_until_idle(now) == 1
    [(_, reason)] = states(service).values()

    listed = service.client.get("/api/v1/photos/failed", headers=admin(service))
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["counts"]["processing_error"] == 1 and body["next_after"] is None
    [shown] = body["photos"]
    assert shown["photo_id"] == 1 and shown["kind"] == "processing_error"
    assert shown["kode_tps"] == KODE and shown["reason"] == reason
    refused = service.client.get(
        "/api/v1/photos/failed", params={"kind": "refused"}, headers=admin(service)
    )
    assert refused.json()["photos"] == []

    answer = service.client.post(
        "/api/v1/photos/retry",
        json={"reason": "reader fixed", "photo_ids": [1]},
        headers=admin(service),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"retried": [1], "passed_over": [], "remaining": 0, "next_after": None}
    assert states(service) == {1: ("received", "")}
    assert retried_events(service) == [(1, admin_id(service), "reader fixed")]
    if service.context.engine.dialect.name == "postgresql":
        assert ("photo-1", "todo") in queued(service)  # queued with its retry
    code, said = rekap("log", "verify", "--db", service.database_url)
    assert code == 0, said


def test_all_failed_over_the_api_takes_only_the_errors(service: Service) -> None:
    fail_three_ways(service, 90)
    elsewhere = service.client.post(
        "/api/v1/photos/retry",
        json={"reason": "bug fixed", "all_failed": True, "region": "11"},
        headers=admin(service),
    )
    assert elsewhere.json() == NOTHING  # none failed in Aceh

    answer = service.client.post(
        "/api/v1/photos/retry",
        json={"reason": "bug fixed", "all_failed": True, "region": KODE[:4]},
        headers=admin(service),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"retried": [2], "passed_over": [], "remaining": 0, "next_after": None}

    named = service.client.post(
        "/api/v1/photos/retry",
        json={"reason": "reader changed", "photo_ids": [1, 2, 3, 99]},
        headers=admin(service),
    )
    assert named.status_code == 200, named.text
    passed_over = {p["photo_id"]: p["why"] for p in named.json()["passed_over"]}
    assert named.json()["retried"] == []
    assert set(passed_over) == {1, 2, 3, 99}
    assert "refused: true" in passed_over[1] and "it is received" in passed_over[2]
    assert "sent back" in passed_over[3] and passed_over[99] == "no such photo"

    with_refused = service.client.post(
        "/api/v1/photos/retry",
        json={"reason": "reader changed", "photo_ids": [1], "refused": True},
        headers=admin(service),
    )
    assert with_refused.json() == {
        "retried": [1],
        "passed_over": [],
        "remaining": 0,
        "next_after": None,
    }
    assert [s for s, _ in states(service).values()] == ["received", "received", "failed"]
    assert [i for i, _, _ in retried_events(service)] == [2, 1]


def test_a_retry_asks_one_thing_with_a_plain_reason(service: Service) -> None:
    for body in (
        {"reason": "x"},  # neither photos nor all_failed
        {"reason": "x", "photo_ids": [1], "all_failed": True},
        {"reason": "x", "all_failed": True, "refused": True},
        {"reason": "x", "photo_ids": [1], "region": "74"},
        {"reason": "", "photo_ids": [1]},
        {"reason": "line\nbreak", "photo_ids": [1]},
        {"reason": "x", "photo_ids": [0]},
        {"reason": "x", "photo_ids": [2**40]},
        {"reason": "x", "photo_ids": list(range(1, 1002))},
        {"reason": "x", "all_failed": True, "region": "74x"},
        {"reason": "x", "photo_ids": [1], "limit": 10},  # a limit goes with all_failed
        {"reason": "x", "photo_ids": [1], "after": 3},
        {"reason": "x", "all_failed": True, "limit": 0},
        {"reason": "x", "all_failed": True, "limit": 10_001},
        {"reason": "x", "all_failed": True, "after": -1},
    ):
        answer = service.client.post("/api/v1/photos/retry", json=body, headers=admin(service))
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["code"] == "invalid_input"


def test_only_an_admin_retries(service: Service) -> None:
    service.upload_pages(KODE, {1: synthetic_jpeg(97)})
    assert processor(service, crashing).run_until_idle(now) == 1
    body = {"reason": "x", "photo_ids": [1]}
    verifier = service.enroll_headers("verifier", Role.VERIFIER, "")
    for headers, status in (({}, 401), (verifier, 403)):
        answer = service.client.post("/api/v1/photos/retry", json=body, headers=headers)
        assert answer.status_code == status, answer.text
        listed = service.client.get("/api/v1/photos/failed", headers=headers)
        assert listed.status_code == status, listed.text
    assert states(service)[1][0] == "failed"
    assert retried_events(service) == []


def test_all_failed_is_retried_a_stretch_per_request(service: Service) -> None:
    """Every failed photo in one request ran for minutes with a large backlog, and a proxy's
    timeout cut it halfway: a request now retries at most `limit` photos and says how many
    remain after them; the client asks again from `next_after` until none remain. Each photo
    is retried once on the way, with the same event as before; photos refused for what they
    are, or sent back, are neither retried nor counted."""
    fail_three_ways(service, 110)  # photo 1 refused, 2 an error, 3 sent back
    service.upload_pages("7471011007002", {p: synthetic_jpeg(120 + p) for p in (1, 2, 3)})
    assert processor(service, crashing).run_until_idle(now) == 3  # photos 4-6: errors

    def stretch(after: int) -> dict[str, object]:
        body = {"reason": "bug fixed", "all_failed": True, "limit": 2, "after": after}
        answer = service.client.post("/api/v1/photos/retry", json=body, headers=admin(service))
        assert answer.status_code == 200, answer.text
        said: dict[str, object] = answer.json()
        return said

    first = stretch(0)
    assert first == {"retried": [2, 4], "passed_over": [], "remaining": 2, "next_after": 4}
    assert processor(service, crashing).process_next(now)  # photo 2 fails again meanwhile
    second = stretch(4)
    assert second == {"retried": [5, 6], "passed_over": [], "remaining": 0, "next_after": None}
    assert stretch(6) == NOTHING

    assert [i for i, _, _ in retried_events(service)] == [2, 4, 5, 6]  # photo 2 once
    assert {r for _, r, _ in retried_events(service)} == {admin_id(service)}
    assert states(service)[2][0] == "failed"  # for the next pass, from after 0
    if service.context.engine.dialect.name == "postgresql":
        assert {("photo-5", "todo"), ("photo-6", "todo")} <= set(queued(service))
    code, said = rekap("log", "verify", "--db", service.database_url)
    assert code == 0, said
