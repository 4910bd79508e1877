"""A fresh SQLite and PostgreSQL database per test (the integration suite's fixture)."""

from __future__ import annotations

from tests.integration.conftest import database_url

__all__ = ["database_url"]
