"""Path and query parameters shared by the API and the portal, bounded like the columns they
reach: an id beyond the database's integer column is a 422, never a server error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ROW_ID = 2**31 - 1  # INTEGER columns (photo, task ids) on PostgreSQL
MAX_SEQUENCE = 2**63 - 1  # BIGINT: the change log's sequence

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A row id")]
LogOffset = Annotated[int, Query(ge=0, le=MAX_SEQUENCE, description="Events after this one")]
