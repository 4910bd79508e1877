"""Crash safety of the production deployment: on PostgreSQL, a `rekap worker` process (the
procrastinate queue) is killed with SIGKILL while it reads; a new worker re-queues the photo the
dead one had claimed (its claim is older than the claim timeout) and drains the queue: every
photo is processed exactly once, none is lost, and the log verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from rekap.adapters.storage.event_store import EventLog
from tests.service.conftest import Service
from tests.service.test_election_day import photos_of, simulated

pytest.importorskip("rekap.reading.digits")
REKAP = str(Path(sys.executable).parent / "rekap")
CLAIM_TIMEOUT_S = 2


def worker(service: Service, root: Path, *extra: str) -> subprocess.Popen[bytes]:
    command = [
        REKAP,
        "worker",
        "--db",
        service.database_url,
        "--photos",
        str(root / "photos"),
        "--key",
        str(root / "key.pem"),
        "--claim-timeout",
        str(CLAIM_TIMEOUT_S),
        *extra,
    ]
    log = (root / "worker.log").open("ab")
    return subprocess.Popen(command, stdout=log, stderr=log)


def states(service: Service, codes: list[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    for kode in codes:
        found.update(state for _, _, state, _ in service.context.photos.states(kode))
    return found


@pytest.mark.slow
def test_a_killed_worker_loses_nothing_and_counts_nothing_twice(
    service: Service, tmp_path: Path
) -> None:
    if service.context.engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue and `rekap worker` processes are PostgreSQL's")
    codes = []
    for tps in simulated(0.0, seed=41)[:4]:
        service.upload_pages(tps.kode.value, photos_of(tps, seed=5))
        codes.append(tps.kode.value)
    total = 3 * len(codes)

    first = worker(service, tmp_path)
    deadline = time.monotonic() + 120
    while states(service, codes)["received"] == total and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until it has started reading
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    left = states(service, codes)["received"]
    assert 0 < left < total, (left, (tmp_path / "worker.log").read_text())

    time.sleep(CLAIM_TIMEOUT_S + 0.5)  # the dead worker's claim goes stale
    second = worker(service, tmp_path, "--once")
    assert second.wait(timeout=300) == 0, (tmp_path / "worker.log").read_text()

    final = states(service, codes)
    assert sum(final.values()) == total  # every photo once
    assert final["received"] == 0, final  # every photo processed
    moves = Counter(
        r.payload["photo_id"]
        for r in EventLog(service.context.engine).records()
        if r.kind == "photo.state_changed" and r.payload["before"] == "received"
    )
    assert len(moves) == total and set(moves.values()) == {1}  # none processed twice
    verify = subprocess.run(
        [REKAP, "log", "verify", "--db", service.database_url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
