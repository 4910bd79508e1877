"""Opening a database: SQLite with WAL and foreign keys, or PostgreSQL through psycopg 3.

SQLite's WAL is copied back into the database (a checkpoint) by a background thread, not by
whichever commit happens to cross SQLite's threshold: a commit that runs the checkpoint waits
for the copy and its fsync (5–20 ms), which set the p99 of a tally update. Writers keep an
automatic checkpoint only as a safety net, at a threshold the background thread keeps the WAL
far below (see docs/tally.md, "Persistence").
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections import deque
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

DEFAULT_SQLITE_PATH = Path("var") / "rekap.db"

TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
"""Errors of a database away for now (a connection refused or lost, a lock or a connection not
had in time, a serialisation conflict, a disk full): tried again later, never a photo failed
or a request answered 500 for them. ``passes`` tells them from SQLite's errors of the same
class that are bugs."""


def passes(error: BaseException) -> bool:
    """A ``TRANSIENT`` error that will pass: not SQLite's "no such table", "no such column"
    or a syntax error (an ``OperationalError`` too, but a bug or a database not migrated,
    which waiting never mends)."""
    if not isinstance(error, TRANSIENT):
        return False
    said = str(getattr(error, "orig", None) or error)
    return not any(bug in said for bug in ("no such table", "no such column", "syntax error"))


CHECKPOINT_SECONDS = 0.5
"""How often the background thread checkpoints each open SQLite database."""
SAFETY_AUTOCHECKPOINT = 20_000
"""Pages of WAL (~80 MB) after which a commit checkpoints itself: only if the thread stalls."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> Path | None:
    """The file a ``sqlite:///`` URL names (relative to the working directory unless
    absolute); None for another database or SQLite in memory."""
    if not url.startswith("sqlite:///"):
        return None
    name = url.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(name) if name and name != ":memory:" else None


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and route them to psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Checkpointer:
    """One daemon thread per process: ``PRAGMA wal_checkpoint(PASSIVE)`` on every SQLite
    database an engine has open, from the thread's own connection. PASSIVE never waits for a
    reader or a writer; a database is dropped when its last engine is gone or its file is."""

    def __init__(self, interval: float = CHECKPOINT_SECONDS) -> None:
        self.interval = interval
        self._users: dict[str, int] = {}
        self._connections: dict[str, sqlite3.Connection] = {}
        self._lock = threading.Lock()
        self._ticking = threading.Lock()
        self._thread: threading.Thread | None = None
        self._gone: deque[str] = deque()
        """Databases an engine of which was collected, not yet counted off ``_users``: the
        collector runs the engine's finaliser in whatever thread allocates at that moment,
        possibly one holding ``_lock`` (which taking it there again would deadlock), so the
        finaliser only appends here (atomic, no lock) and ``_counted`` does the rest."""

    def watch(self, engine: Engine, path: Path) -> None:
        name = str(path.resolve())
        with self._lock:
            self._counted()
            self._users[name] = self._users.get(name, 0) + 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sqlite-checkpoint", daemon=True
                )
                self._thread.start()
        weakref.finalize(engine, self._gone.append, name)

    def _counted(self) -> None:
        """Count off the engines collected since (called holding ``_lock``)."""
        while self._gone:
            name = self._gone.popleft()
            left = self._users.get(name, 0) - 1
            if left > 0:
                self._users[name] = left
            else:
                self._users.pop(name, None)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.tick()

    def tick(self) -> dict[str, tuple[int, int, int]]:
        """Checkpoint every watched database now: (busy, WAL frames, frames copied) of each."""
        with self._ticking:
            return self._tick()

    def _tick(self) -> dict[str, tuple[int, int, int]]:
        with self._lock:
            self._counted()
            names = list(self._users)
        for gone in set(self._connections) - set(names):
            self._connections.pop(gone).close()
        done = {}
        for name in names:
            if not Path(name).exists():
                self._forget_all(name)
                continue
            try:
                connection = self._connections.get(name)
                if connection is None:
                    connection = sqlite3.connect(name, timeout=0, check_same_thread=False)
                    self._connections[name] = connection
                row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                done[name] = (int(row[0]), int(row[1]), int(row[2]))
            except sqlite3.Error:
                continue  # busy or not a database yet: the next tick tries again
        return done

    def _forget_all(self, name: str) -> None:
        with self._lock:
            self._users.pop(name, None)
        connection = self._connections.pop(name, None)
        if connection is not None:
            connection.close()


CHECKPOINTER = Checkpointer()


def open_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
        if path is not None:
            CHECKPOINTER.watch(engine, path)
        return engine
    return create_engine(url, pool_pre_ping=True)


READ_ONLY = {"rekap_read_only": True}
"""Execution options of a connection that only reads: on SQLite its transaction does not take
the write lock, so lookups on the upload path never wait for a writer."""


def reader(engine: Engine) -> Connection:
    """A connection for reads only (``with reader(engine) as connection: ...``)."""
    return engine.connect().execution_options(**READ_ONLY)


def _begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock when a transaction begins, not when it first writes: two
    transactions that read the log's head and then append would otherwise both chain after
    the same record (in WAL mode the second would fail on its stale snapshot). A read-only
    connection (``reader``) begins a plain transaction: a snapshot, no lock."""
    if connection.get_execution_options().get("rekap_read_only"):
        connection.exec_driver_sql("BEGIN")
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SAFETY_AUTOCHECKPOINT}")
    cursor.close()
