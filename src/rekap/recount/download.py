"""A snapshot's files over HTTP into a folder, several at a time; each failure is a problem.

A 404 is a missing file, and so is one the server sends too slowly (past its deadline, see
``http_get.FileClock``); a body that stops short, or runs past the size the manifest lists
(or, for a file with no listed size, past a generous cap), is a corrupted file and nothing of
it is kept. The recount then runs on the folder as on any other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from rekap.recount.http_get import Client, Fetched, Outcome
from rekap.recount.problems import Kind, Problem


class Progress(Protocol):
    """Told how many files will be fetched, of each one done (from several threads, with the
    bytes kept), and when all are."""

    def start(self, files: int) -> None: ...

    def advance(self, received: int) -> None: ...

    def done(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Wanted:
    path: str
    cap: int
    listed: bool
    """The cap is the size the manifest lists (else a cap for a file with no listed size)."""


def url_of(base: str, path: str) -> str:
    """A snapshot file's address: ``base`` ends with '/'."""
    return base + quote(path)


def problem_for(wanted: Wanted, fetched: Fetched, budget: int) -> Problem | None:
    """What a failed transfer means for the recount (None when the file was saved)."""
    outcome, path = fetched.outcome, wanted.path
    if outcome is Outcome.SAVED:
        return None
    if outcome is Outcome.ABSENT:
        return Problem(Kind.MISSING, path, f"listed but not on the server ({fetched.detail})")
    if outcome is Outcome.OVERSIZED:
        limit = (
            f"the {wanted.cap:,} bytes listed"
            if wanted.listed
            else f"{wanted.cap:,} bytes, the cap for a file with no listed size"
        )
        return Problem(Kind.CORRUPTED, path, f"the server sent more than {limit}: cut off")
    if outcome is Outcome.CUT:
        return Problem(Kind.CORRUPTED, path, f"{fetched.detail}: cut short")
    if outcome is Outcome.SLOW:
        return Problem(Kind.MISSING, path, f"could not be fetched: {fetched.detail}")
    if outcome is Outcome.SPENT:
        detail = f"not fetched whole: the download cap of {budget:,} bytes is spent"
        return Problem(Kind.MISSING, path, detail)
    if outcome is Outcome.NO_ANSWER:
        return Problem(Kind.MISSING, path, f"could not be fetched: no answer ({fetched.detail})")
    return Problem(Kind.MISSING, path, f"could not be fetched: {fetched.detail}")


def fetch_all(
    client: Client,
    base: str,
    folder: Path,
    wanted: Sequence[Wanted],
    connections: int,
    progress: Progress | None = None,
) -> list[Problem]:
    """Every wanted file under ``folder``, ``connections`` at a time; the problems, by path.

    Each thread takes the next file from one shared iterator (a future per file would cost
    a kilobyte each for a million files)."""
    queue: Iterator[Wanted] = iter(wanted)
    lock = threading.Lock()
    stop = threading.Event()
    problems: list[Problem] = []
    if progress is not None:
        progress.start(len(wanted))

    def work() -> None:
        while not stop.is_set():
            with lock:
                item = next(queue, None)
            if item is None:
                return
            fetched = client.fetch(url_of(base, item.path), folder / item.path, item.cap)
            problem = problem_for(item, fetched, client.budget.total)
            if problem is not None:
                problems.append(problem)
            if progress is not None:
                progress.advance(fetched.received if problem is None else 0)

    threads = max(1, min(connections, len(wanted)))
    with ThreadPoolExecutor(threads, "rekap-fetch") as pool:
        running = [pool.submit(work) for _ in range(threads)]
        try:
            for future in running:
                future.result()
        except BaseException:  # interrupted: the threads stop after their current file
            stop.set()
            raise
        finally:
            if progress is not None:
                progress.done()
    problems.sort(key=lambda p: p.path)
    return problems
