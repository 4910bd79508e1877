"""Every API error is answered with the status of its code, from one table: the photo store's
and the database's 503 and a lost photo's 410 were set apart, each by its own error."""

from __future__ import annotations

import errno
import json

from rekap.web.errors import STATUS_OF_CODE, ApiError, api_error_response
from rekap.web.storage_trouble import PhotoGone, StorageUnavailable


def test_the_store_and_database_troubles_and_a_lost_photo_are_in_the_table() -> None:
    assert STATUS_OF_CODE["storage_unavailable"] == 503
    assert STATUS_OF_CODE["database_unavailable"] == 503
    assert STATUS_OF_CODE["photo_missing"] == 410
    assert STATUS_OF_CODE["internal"] == 500


def test_each_error_is_answered_with_its_codes_status() -> None:
    full = StorageUnavailable("the disk is full", OSError(errno.ENOSPC, "no space"))
    answer = api_error_response(full)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    body = json.loads(bytes(answer.body))
    assert body["error"]["code"] == "storage_unavailable"
    assert body["error"]["details"] == {"reason": "disk_full", "retry_after_s": 60}
    assert api_error_response(PhotoGone("ab" * 32, damaged=False)).status_code == 410
    # the same code raised bare (by a route, not the store's error) is answered alike
    bare = ApiError("photo_missing", "gone")
    assert bare.status == 410 and api_error_response(bare).status_code == 410


def test_an_unknown_code_is_a_bad_request() -> None:
    assert ApiError("no_such_code", "?").status == 400
