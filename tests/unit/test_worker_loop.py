"""The in-process reader workers of `rekap serve` outlive an error (the database away for a
moment): it is said, waited out, and the worker goes on."""

from __future__ import annotations

import contextlib
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


def test_head_signing_outlives_an_error_and_says_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Log:
        calls = 0

        def sign_head(self, _key: object, _at: object) -> None:
            Log.calls += 1
            raise ConnectionError("the database went away")

    class Context:
        log, key = Log(), None

    stop = threading.Event()
    signer = threading.Thread(target=serve.sign_heads, args=(Context(), 0.05, stop))
    signer.start()
    try:
        waited = 0
        while Log.calls < 3 and waited < 200:  # at most 10 s
            stop.wait(0.05)
            waited += 1
        assert Log.calls >= 3 and signer.is_alive()
    finally:
        stop.set()
        signer.join(10)
    said = " ".join(capsys.readouterr().err.split())
    assert "signing the change log's head: ConnectionError: the database went away" in said
    assert "the head is signed at the next start" in said  # the last try, on the way out


def test_a_queued_job_that_fails_says_why_and_waits_before_its_retry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With the photo store away, a queue worker took job after job at full speed, claiming
    each photo only to leave it to the sweep: an outage of seconds delayed the whole backlog
    by the claim timeout, and said nothing. It now says why and waits, doubling the wait."""
    outcomes: list[Exception | None] = [OSError("the bucket is away"), OSError("away"), None]
    outcomes.append(OSError("away again"))
    waits: list[float] = []

    def process(_photo_id: int) -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    run = serve.paced(process, waits.append)
    for _ in range(2):
        with pytest.raises(OSError, match="away"):
            run(7)
    run(7)
    with pytest.raises(OSError, match="away again"):
        run(7)
    assert waits == [1.0, 2.0, 1.0]  # the wait starts again after a success
    said = " ".join(capsys.readouterr().err.split())
    assert "OSError: the bucket is away; trying again in 1 s" in said


def test_a_queue_worker_keeps_doubling_its_wait_over_its_jobs_retries(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A failed job is retried at once (``retry=3``) and finds its photo still claimed: the
    retry processes nothing (False) and must not end the wait, or the wait never grows past
    1 s while the store is away and the worker claims a photo of the backlog every second."""
    outcomes: list[Exception | bool] = [OSError("away"), False, OSError("away"), False]
    outcomes += [OSError("away"), True, OSError("away")]
    waits: list[float] = []

    def process(_photo_id: int) -> bool:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    run = serve.paced(process, waits.append)
    for _ in range(7):
        with contextlib.suppress(OSError):
            run(7)
    assert waits == [1.0, 2.0, 4.0, 1.0]  # only a photo processed starts the wait again
