"""A trouble that comes on every request is said once per interval while it lasts, with how
many times it came meanwhile (the database, the photo store and the workers' errors alike)."""

from __future__ import annotations

import logging

import pytest

from rekap.cli.serve import Backoff
from rekap.web.errors import DatabaseTrouble
from rekap.web.throttled import Throttled


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_first_time_is_said_at_once_then_once_per_interval_with_the_count() -> None:
    clock = Clock()
    throttle = Throttled(10.0, clock)
    assert throttle.came() == 1  # said at once
    assert [throttle.came() for _ in range(4)] == [None] * 4
    clock.now += 9.9
    assert throttle.came() is None
    clock.now += 0.1
    assert throttle.came() == 6  # the five held back and this one
    assert throttle.came() is None
    clock.now += 60.0
    assert throttle.came() == 2


def test_after_a_reset_the_next_time_is_said_at_once() -> None:
    clock = Clock()
    throttle = Throttled(60.0, clock)
    assert throttle.came() == 1
    assert throttle.came() is None
    throttle.reset()
    assert throttle.came() == 1  # the count held back is forgotten with the trouble


def test_an_interval_of_zero_says_every_time() -> None:
    throttle = Throttled(0.0, Clock())
    assert [throttle.came() for _ in range(3)] == [1, 1, 1]


def test_the_database_trouble_is_said_once_per_interval_with_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    trouble = DatabaseTrouble()
    trouble.throttle = Throttled(10.0, clock)
    with caplog.at_level(logging.WARNING, "rekap.web"):
        for _ in range(3):
            trouble.said(ConnectionError("refused"))
        clock.now += 10.0
        trouble.said(ConnectionError("refused"))
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "the database cannot be used (1 answered 503 since last said): ConnectionError: refused",
        "the database cannot be used (3 answered 503 since last said): ConnectionError: refused",
    ]


def test_a_worker_says_its_error_again_after_a_success(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pause = Backoff()
    pause.after(RuntimeError("away"))
    pause.after(RuntimeError("away"))  # within the minute: not said again
    pause.reset()
    pause.after(RuntimeError("back again"))
    said = capsys.readouterr().err
    assert said.count("away") == 1 and "back again" in said
