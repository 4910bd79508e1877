"""`PUT /api/v1/tps/{kode}/photos/{page}`: the photo as the raw body, its signed details in
headers; the same checks, receipt and idempotence as the multipart POST, on SQLite and
PostgreSQL. A body over the size limit is refused without being read to its end."""

from __future__ import annotations

import httpx

from rekap.capture.photo_check import MAX_BYTES
from tests.service.conftest import Officer, Service
from tests.service.test_election_day import photos_of, simulated


def put(
    service: Service, officer: Officer, page: int, body: bytes, signed: bytes
) -> httpx.Response:
    form = officer.form_for(signed, page)
    answer: httpx.Response = service.client.put(
        f"/api/v1/tps/{officer.kode_tps}/photos/{page}",
        content=body,
        headers={
            **officer.headers,
            "Content-Type": "image/jpeg",
            "X-Captured-At": form["captured_at"],
            "X-Device-Id": form["device_id"],
            "X-Signature": form["signature"],
        },
    )
    return answer


def test_a_raw_upload_is_taken_once_and_checked_like_a_form(service: Service) -> None:
    tps = simulated(0.0, seed=61)[0]
    shots = photos_of(tps, seed=7)
    officer = service.officer(tps.kode.value)
    first = put(service, officer, 1, shots[1], shots[1])
    assert first.status_code == 201, first.text
    again = put(service, officer, 1, shots[1], shots[1])
    assert again.status_code == 200
    assert again.json()["photo_id"] == first.json()["photo_id"]
    wrong = put(service, officer, 2, shots[2], shots[3])  # signed for other bytes
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "forbidden"
    huge = put(service, officer, 3, b"\xff\xd8\xff" + b"\0" * MAX_BYTES, shots[3])
    assert huge.status_code == 413
    assert huge.json()["error"]["details"] == {"reason": "too_large"}
    no_page = service.client.put(
        f"/api/v1/tps/{tps.kode.value}/photos/4", content=shots[3], headers=officer.headers
    )
    assert no_page.status_code == 422
    states = service.context.photos.states(tps.kode.value)
    assert [(page, state) for _, page, state, _ in states] == [(1, "received")]
