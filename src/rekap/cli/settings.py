"""Where rekap keeps its state: read once, at the command's start, never at import time.

The database is named by a SQLAlchemy URL (``sqlite:///var/rekap.db``,
``postgresql://user@host/db``) or by a SQLite file's plain path (absolute, or relative to the
working directory), from ``--db`` or ``REKAP_DATABASE_URL``; ``var/rekap.db`` without either.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from rekap.adapters.storage.engine import DEFAULT_SQLITE_PATH, sqlite_url

DATABASE_ENV = "REKAP_DATABASE_URL"
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
"""How a URL begins: a text that begins so is never taken for a path."""


BACKENDS = frozenset({"sqlite", "postgresql", "postgres"})
"""The databases rekap runs on (``postgres://`` is PostgreSQL's other spelling)."""


class BadDatabaseUrl(ValueError):
    """A database named by something that is neither a URL nor a path."""


def as_database_url(given: str) -> str:
    """``given`` as a URL: a URL as it is, a path (no ``scheme://``) as the SQLite file there.
    ``BadDatabaseUrl`` names a text that looks like a URL but is not one."""
    if not SCHEME.match(given) and "://" not in given:
        if not given.strip():
            raise BadDatabaseUrl("The database is named by an empty text")
        return sqlite_url(Path(given))
    try:
        backend = make_url(given).get_backend_name()
    except (ArgumentError, ValueError):
        raise BadDatabaseUrl(
            f"{given!r} is not a database URL (sqlite:///PATH, postgresql://USER@HOST/DB) "
            "nor a SQLite file's path"
        ) from None
    if backend not in BACKENDS:
        raise BadDatabaseUrl(
            f"{backend!r} databases are not supported: rekap runs on SQLite (sqlite:///PATH) "
            "or PostgreSQL (postgresql://USER@HOST/DB)"
        )
    return given


@dataclass(frozen=True)
class Settings:
    database_url: str

    @classmethod
    def from_environment(cls, database_url: str | None = None) -> Settings:
        given = database_url or os.environ.get(DATABASE_ENV) or str(DEFAULT_SQLITE_PATH)
        return cls(database_url=as_database_url(given))
