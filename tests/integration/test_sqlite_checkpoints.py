"""SQLite's WAL is checkpointed by the background thread, not inside a writer's commit."""

from __future__ import annotations

import gc
from pathlib import Path

from sqlalchemy import text

from rekap.adapters.storage.engine import CHECKPOINTER, SAFETY_AUTOCHECKPOINT, open_engine


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
