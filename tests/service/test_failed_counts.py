"""`rekap photos failed` counts the failed photos by kind in the database (it read every failed
photo, 500 at a time, to classify each in Python: slow with 100,000 refused), and a listing of
some kinds lets the database pass over the others; both tell each kind exactly as
``failure_kind`` does, odd reasons included, on SQLite as on PostgreSQL."""

from __future__ import annotations

from collections import Counter

import pytest
from rich.console import Console
from sqlalchemy import Engine, event, update
from typer.testing import CliRunner

from rekap.adapters.storage import photo_retry
from rekap.adapters.storage.photo_retry import count_failed, failed_photos
from rekap.adapters.storage.schema import photo
from rekap.cli import photos
from rekap.cli.main import app
from rekap.services.photo_failures import FailureKind, failure_kind
from tests.security.world import synthetic_jpeg
from tests.service.conftest import Service

KODE = "7471011007001"

REASONS = [
    "unreadable: processing failed: FileNotFoundError: the photo store has lost its file",
    "unreadable: processing failed: OSError: the photo store cannot give its file (3 tries)",
    "unreadable: processing failed: RuntimeError('the reader crashed')",
    "processing failed: a reason stored before statuses were",
    "not_a_form: no fiducials",
    "unreadable: too blurred (sharpness 0.12, need 0.50): Processing Failed 100%_",
    "a: b: processing failed: the first ': ' is not before it",
    "sent back: two people could not read it",
    "Sent back: not the words people's refusal begins with",
]


@pytest.fixture
def failed(service: Service) -> Engine:
    officer = service.officer(KODE)
    for seed, reason in enumerate(REASONS, start=70):
        data = synthetic_jpeg(seed)
        answer = service.client.post(
            f"/api/v1/tps/{KODE}/photos",
            files={"photo": ("p.jpg", data, "image/jpeg")},
            data=officer.form_for(data, 1),
            headers=officer.headers,
        )
        assert answer.status_code == 201, answer.text
        photo_id = answer.json()["photo_id"]
        with service.context.engine.begin() as connection:
            connection.execute(
                update(photo).where(photo.c.id == photo_id).values(state="failed", reason=reason)
            )
    return service.context.engine


def test_the_counts_are_those_of_failure_kind(failed: Engine) -> None:
    expected = Counter(failure_kind(reason) for reason in REASONS)
    assert count_failed(failed) == {kind: expected[kind] for kind in FailureKind}
    assert count_failed(failed, region="74") == count_failed(failed)
    assert set(count_failed(failed, region="11").values()) == {0}


@pytest.mark.parametrize(
    "kinds",
    [
        frozenset({FailureKind.LOST_FROM_STORE}),
        frozenset({FailureKind.PROCESSING_ERROR, FailureKind.LOST_FROM_STORE}),
        frozenset({FailureKind.SENT_BACK}),
        frozenset({FailureKind.REFUSED}),
        frozenset(),
    ],
)
def test_a_listing_of_some_kinds_gives_those_of_failure_kind(
    failed: Engine, kinds: frozenset[FailureKind]
) -> None:
    listed = [found.reason for found in failed_photos(failed, kinds)]
    assert listed == [reason for reason in REASONS if failure_kind(reason) in kinds]


def test_the_count_is_one_query_whatever_the_number_of_failures(
    failed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(photo_retry, "CHUNK", 2)  # as 100,000 failures would be to 500
    asked: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "photo" in statement:
            asked.append(statement)

    event.listen(failed, "before_cursor_execute", count)
    try:
        count_failed(failed)
    finally:
        event.remove(failed, "before_cursor_execute", count)
    assert len(asked) == 1, asked


def test_a_narrow_listing_cuts_no_kind_nor_reason(
    failed: Engine, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In 80 columns (a pipe, a small terminal) the table cut the kind to "lost_from_st…"
    and the reason's long words: every value is now whole, wrapped rather than cut."""
    monkeypatch.setattr(photos, "out", Console(soft_wrap=True, width=80))
    done = CliRunner().invoke(app, ["photos", "failed", "--db", service.database_url])
    assert done.exit_code == 0, done.output
    assert "…" not in done.output
    cells = "".join(done.output.replace("│", " ").split())
    for kind in ("lost_from_store", "processing_error", "sent_back", "refused"):
        assert kind in done.output
    assert "FileNotFoundError:thephotostorehaslostitsfile" in cells
