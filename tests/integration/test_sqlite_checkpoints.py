"""SQLite's WAL is checkpointed by the background thread, not inside a writer's commit."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

from sqlalchemy import create_engine, text

from rekap.adapters.storage.engine import (
    CHECKPOINTER,
    SAFETY_AUTOCHECKPOINT,
    Checkpointer,
    open_engine,
)


def test_the_background_checkpoint_copies_the_wal_back(tmp_path: Path) -> None:
    database = tmp_path / "rekap.db"
    engine = open_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        limit = connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
        assert limit == SAFETY_AUTOCHECKPOINT
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    for n in range(50):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
    busy, frames, copied = CHECKPOINTER.tick()[str(database.resolve())]
    assert busy == 0 and frames > 0 and copied == frames
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 50
    engine.dispose()
    del engine, connection
    gc.collect()
    assert str(database.resolve()) not in CHECKPOINTER.tick()


def test_an_engine_collected_while_the_checkpointer_holds_its_lock_does_not_deadlock(
    tmp_path: Path,
) -> None:
    """The collector may run an engine's finaliser in any thread at any allocation, the
    checkpoint thread's own while it holds its lock among them (it did, and a test run hung):
    the finaliser must not wait for that lock."""
    checkpointer = Checkpointer(interval=3600)
    database = tmp_path / "rekap.db"
    engine = create_engine(f"sqlite:///{database}")
    checkpointer.watch(engine, database)
    finished = threading.Event()

    def collect_while_locked() -> None:
        nonlocal engine
        with checkpointer._lock:  # as _tick holds it while it lists the databases
            engine.dispose()
            del engine
            gc.collect()  # runs the finaliser here, in the thread holding the lock
        finished.set()

    worker = threading.Thread(target=collect_while_locked, daemon=True)
    worker.start()
    assert finished.wait(10), "an engine's finaliser waited for the lock its own thread held"
    assert str(database.resolve()) not in checkpointer.tick()
