"""What the recount takes from ``election.json`` and ``data/schema.json``: names that end up
in DuckDB queries, so each is checked to be a plain column name first (a snapshot is
untrusted input until its checks pass)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rekap.recount.bulk_checks import DUCK_TYPES
from rekap.recount.layout import COUNTED_UNLISTED, TOTALS, VERIFIED_BY_PEOPLE

_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


def plain_name(value: object) -> bool:
    """A column name as the snapshot's documents use them (lower case, digits, ``_``)."""
    return isinstance(value, str) and _NAME.fullmatch(value) is not None


def _entries(election: Any) -> list[Mapping[str, Any]] | None:
    entries = election.get("entries") if isinstance(election, Mapping) else None
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        return None
    return entries


def vote_fields(election: Any) -> tuple[str, ...] | None:
    """Each entry's vote field, then the totals; None when ``election`` is not alike."""
    entries = _entries(election)
    if entries is None or not all(plain_name(e.get("field")) for e in entries):
        return None
    return (*(str(e["field"]) for e in entries), *TOTALS)


def sirekap_ids(election: Any) -> dict[str, str]:
    """Vote field -> Sirekap's id of the candidate pair, where given."""
    return {
        str(e["field"]): str(e["sirekap_id"])
        for e in _entries(election) or []
        if plain_name(e.get("field")) and e.get("sirekap_id")
    }


def sirekap_paslon(election: Any) -> dict[str, int]:
    """Sirekap's id of each candidate pair -> its ``nomor_urut``, where both are given."""
    return {
        str(e["sirekap_id"]): e["nomor_urut"]
        for e in _entries(election) or []
        if e.get("sirekap_id") and type(e.get("nomor_urut")) is int
    }


def form_fields(election: Any) -> tuple[str, ...]:
    """Every number of the form (``fields``), or at least the votes."""
    listed = election.get("fields") if isinstance(election, Mapping) else None
    if isinstance(listed, list):
        names = tuple(str(f["id"]) for f in listed if isinstance(f, Mapping) and "id" in f)
        if names:
            return names
    return vote_fields(election) or TOTALS


def tps_columns(schema: Any) -> list[Mapping[str, str]] | None:
    """The TPS table's columns (name and type), or None when ``schema`` is not alike."""
    return table_columns(schema, "tps")


def table_columns(schema: Any, table: str) -> list[Mapping[str, str]] | None:
    """A bulk table's columns (``tps`` or ``region``: name and type), or None when
    ``schema`` is not alike."""
    columns = schema.get(table) if isinstance(schema, Mapping) else None
    if not isinstance(columns, list) or not columns:
        return None
    for column in columns:
        if not isinstance(column, Mapping) or not plain_name(column.get("name")):
            return None
        if column.get("type") not in DUCK_TYPES:
            return None
    return columns


VOTES_RULE = "F-SUARA-LENGKAP"


def holds_missing_votes(election: Any) -> bool:
    """Whether the snapshot's rules hold back a result with a vote not recorded (snapshots
    published before that rule list no ``rules`` and may count such a result)."""
    rules = election.get("rules") if isinstance(election, Mapping) else None
    if not isinstance(rules, list):
        return False
    return any(isinstance(r, Mapping) and r.get("id") == VOTES_RULE for r in rules)


def publishes_unlisted(region_columns: list[Mapping[str, str]] | None) -> bool:
    """Whether the region table (its columns as ``table_columns`` gives them) has
    ``counted_unlisted``, as every snapshot's since 2026-11-22 does: its ``persen`` and
    ``progres`` count only the TPS the tree lists. An older snapshot counted every counted TPS
    there and is recounted by that rule; a schema without region columns, by today's."""
    if region_columns is None:
        return True
    return any(column["name"] == COUNTED_UNLISTED for column in region_columns)


def publishes_verified_by_people(region_columns: list[Mapping[str, str]] | None) -> bool:
    """Whether the region table (its columns as ``table_columns`` gives them) has
    ``verified_by_people``, as every snapshot's since 2026-11-23 does; a schema without region
    columns is read by today's layout."""
    if region_columns is None:
        return True
    return any(column["name"] == VERIFIED_BY_PEOPLE for column in region_columns)
