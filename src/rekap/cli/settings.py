"""Where rekap keeps its state: read once, at the command's start, never at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass

from rekap.adapters.storage.engine import DEFAULT_SQLITE_PATH, sqlite_url

DATABASE_ENV = "REKAP_DATABASE_URL"


@dataclass(frozen=True)
class Settings:
    database_url: str

    @classmethod
    def from_environment(cls, database_url: str | None = None) -> Settings:
        url = database_url or os.environ.get(DATABASE_ENV) or sqlite_url(DEFAULT_SQLITE_PATH)
        return cls(database_url=url)
