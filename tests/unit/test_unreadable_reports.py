"""The pure rules of photos people cannot read: when reports send a photo back, when that ends
the task, how reports are limited, and the photo states that allow it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rekap.capture.states import IllegalTransition, PhotoState, check_transition
from rekap.capture.verification import (
    REPORTS_ALLOWED,
    REPORTS_NEEDED,
    SKIP_WINDOW,
    SKIPS_ALLOWED,
    SendBack,
    next_skip_at,
    send_back,
)

PAGES = {1, 2, 3}
SHOWN = {11: 1, 12: 2, 13: 3}  # photo id -> page
AT = datetime(2024, 2, 14, 21, tzinfo=UTC)


def test_one_report_sends_nothing_back() -> None:
    assert send_back(SHOWN, {12: {"a"}}, PAGES) == SendBack((), ())


def test_two_people_reporting_one_photo_send_it_back_and_end_the_task() -> None:
    assert REPORTS_NEEDED == 2
    assert send_back(SHOWN, {12: {"a", "b"}}, PAGES) == SendBack((12,), (2,))


def test_two_people_reporting_different_pages_send_nothing_back() -> None:
    assert send_back(SHOWN, {11: {"a"}, 13: {"b"}}, PAGES) == SendBack((), ())


def test_a_page_with_another_photo_left_keeps_the_task() -> None:
    shown = {**SHOWN, 14: 2}  # a second photo of page 2, not reported
    assert send_back(shown, {12: {"a", "b"}}, PAGES) == SendBack((12,), ())


def test_every_page_sent_back_is_named() -> None:
    reports = {11: {"a", "b"}, 13: {"b", "c", "d"}}
    assert send_back(SHOWN, reports, PAGES) == SendBack((11, 13), (1, 3))


@given(
    st.dictionaries(st.integers(1, 30), st.sets(st.sampled_from("abcd"), max_size=4), max_size=10),
    st.dictionaries(st.integers(1, 30), st.integers(1, 3), min_size=1, max_size=10),
)
def test_only_photos_shown_and_reported_by_enough_people_go_back(
    reports: dict[int, set[str]], shown: dict[int, int]
) -> None:
    decided = send_back(shown, reports, PAGES)
    for photo_id in decided.photos:
        assert photo_id in shown and len(reports[photo_id]) >= REPORTS_NEEDED
    for photo_id in shown:
        if len(reports.get(photo_id, ())) >= REPORTS_NEEDED:
            assert photo_id in decided.photos
    left = {page for p, page in shown.items() if p not in decided.photos}
    assert set(decided.pages_missing) == (PAGES - left if decided.photos else set())


def test_reports_have_a_limit_of_their_own() -> None:
    done = [AT - timedelta(minutes=m) for m in range(REPORTS_ALLOWED)]
    assert next_skip_at(done[:-1], AT, REPORTS_ALLOWED) is None
    assert next_skip_at(done, AT, REPORTS_ALLOWED) == done[-1] + SKIP_WINDOW
    older = [t - SKIP_WINDOW for t in done]  # reports of more than an hour ago do not count
    assert next_skip_at(older, AT, REPORTS_ALLOWED) is None
    # the default is the skips' limit
    assert next_skip_at(done[:SKIPS_ALLOWED], AT) == done[SKIPS_ALLOWED - 1] + SKIP_WINDOW


def test_only_a_photo_waiting_for_people_can_be_sent_back() -> None:
    check_transition(PhotoState.NEEDS_VERIFICATION, PhotoState.FAILED)
    for state in (PhotoState.VERIFIED, PhotoState.PUBLISHED, PhotoState.ACCEPTED):
        with pytest.raises(IllegalTransition):
            check_transition(state, PhotoState.FAILED)


def test_a_failed_photo_goes_back_only_to_be_received_again() -> None:
    check_transition(PhotoState.FAILED, PhotoState.RECEIVED)
    for state in PhotoState:
        if state is not PhotoState.RECEIVED:
            with pytest.raises(IllegalTransition):
                check_transition(PhotoState.FAILED, state)
