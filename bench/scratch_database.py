"""A fresh, empty database for a benchmark, and the line that says where it ran.

Benchmarks that measure the database make their own: a new database on the PostgreSQL
server of ``REKAP_TEST_POSTGRES_URL`` (default the local test server), dropped afterwards, or a
SQLite file, so that no run reads another's data.
"""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

from capture_uploads import postgres_database

SERVER = os.environ.get(
    "REKAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def fresh_databases(kind: str, folder: str | None = None) -> Iterator[str]:
    """One fresh, empty database of ``kind`` (``postgresql``, or ``sqlite``: a file in
    ``folder``, else in a temporary folder removed afterwards); nothing when PostgreSQL is not
    reachable."""
    if kind == "postgresql":
        yield from postgres_database(SERVER)
        return
    if folder is not None:
        yield f"sqlite:///{folder}/bench.db"
        return
    with tempfile.TemporaryDirectory() as temporary:
        yield f"sqlite:///{temporary}/bench.db"


def machine_line() -> str:
    """The machine, Python, the time and the load: the first line a benchmark prints."""
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"load {os.getloadavg()[0]:.1f}"
    )
