"""The in-process reader workers of `rekap serve` outlive an error (the database away for a
moment): it is said, waited out, and the worker goes on."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from rekap.cli import serve


class Flaky:
    """Fails twice, then finds nothing to do (and says so)."""

    def __init__(self) -> None:
        self.calls = 0
        self.recovered = threading.Event()

    def process_next(self, _now: Any) -> bool:
        self.calls += 1
        if self.calls <= 2:
            raise ConnectionError("the database went away")
        self.recovered.set()
        return False


def test_a_worker_outlives_an_error_and_says_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    flaky = Flaky()
    monkeypatch.setattr(serve, "build_processor", lambda *_args: flaky)
    stop = threading.Event()
    (worker,) = serve.run_workers(None, 1, stop)  # type: ignore[arg-type]
    try:
        assert flaky.recovered.wait(10), "the worker stopped at the first error"
        assert worker.is_alive()
    finally:
        stop.set()
        worker.join(10)
    said = " ".join(capsys.readouterr().err.split())
    assert "worker-0: ConnectionError: the database went away; trying again in 1 s" in said


def test_the_wait_doubles_to_a_minute_and_starts_again_after_success() -> None:
    pause = serve.Backoff()
    waits = [pause.after(RuntimeError("x")) for _ in range(8)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    pause.reset()
    assert pause.after(RuntimeError("x")) == 1.0
