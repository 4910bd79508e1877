"""Each TPS's photos and source as the bulk data gives them, kept small for ``--deep``: the
TPS files' ``images`` and the desa records' ``photos`` and ``source`` are compared with them.

The bulk data's ``photos`` is each page's photo in page order, space-separated, ``-`` for a
page without one (docs/open-data.md). Nationally that is hundreds of megabytes of addresses,
so the recount keeps two 8-byte digests per TPS instead (``keys``): of the whole list, and
of its first ``IMAGE_PAGES`` pages, which a Sirekap TPS file's ``images`` shows; and, where
asked, a third of its ``source_kind`` and ``source_ref`` (``source_digest``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import duckdb
import numpy as np
import numpy.typing as npt

NO_PHOTO = "-"
IMAGE_PAGES = 3
"""A Sirekap TPS file's ``images`` has one entry per page of the form: pages 1, 2 and 3."""
BATCH = 65_536

Keys = npt.NDArray[np.uint64]


def digest(pages: Sequence[str | None]) -> int:
    """An 8-byte digest of a list of pages' photos (None: a page without one; a list that
    ends in pages without one is the same list without them)."""
    last = len(pages)
    while last and pages[last - 1] is None:
        last -= 1
    text = " ".join(p if p is not None else NO_PHOTO for p in pages[:last])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def source_digest(kind: str | None, reference: str | None) -> int:
    """An 8-byte digest of a TPS's source: its kind and reference (None: no source)."""
    text = "\x00".join("" if part is None else f"={part}" for part in (kind, reference))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


NO_SOURCE = source_digest(None, None)


def pages_of(text: str | None) -> list[str | None]:
    """The bulk data's ``photos`` as a list of pages (None: a page without a photo)."""
    return [None if p == NO_PHOTO else p for p in (text or "").split()]


def as_pages(listed: object) -> list[str | None] | None:
    """A document's list of photos (``images``, a record's ``photos``), or None when it is not
    a list of addresses and nulls."""
    if not isinstance(listed, list):
        return None
    if not all(p is None or (isinstance(p, str) and p and p.split() == [p]) for p in listed):
        return None
    return list(listed)


def keys(
    connection: duckdb.DuckDBPyConnection, parquet: str, rows: int, sources: bool = False
) -> tuple[Keys, Keys, Keys | None]:
    """The digests of every TPS's photos (``digest``), whole and of the pages ``images``
    shows, and with ``sources`` of its source (``source_digest``), in code order (the order
    of ``Aggregates.tps_rows``), read a batch at a time; ``parquet`` is the file's path as a
    DuckDB string literal's text."""
    whole = np.zeros(rows, dtype=np.uint64)
    shown = np.zeros(rows, dtype=np.uint64)
    # most rows of a snapshot with few results have no source: their digest is computed once
    sourced = np.full(rows, NO_SOURCE, dtype=np.uint64) if sources else None
    columns = "photos, source_kind, source_ref" if sources else "photos"
    query = f"SELECT {columns} FROM read_parquet('{parquet}') ORDER BY kode_tps"
    reader = connection.sql(query).to_arrow_reader(BATCH)
    at = 0
    for batch in reader:
        start = at
        for text in _texts(batch.column(0).to_pylist()):
            pages = pages_of(text)
            whole[at] = digest(pages)
            shown[at] = digest(pages[:IMAGE_PAGES])
            at += 1
        if sourced is not None:
            kinds = _texts(batch.column(1).to_pylist())
            references = _texts(batch.column(2).to_pylist())
            for row, (kind, reference) in enumerate(zip(kinds, references, strict=True), start):
                if kind is not None or reference is not None:
                    sourced[row] = source_digest(kind, reference)
    if at != rows:
        raise ValueError(f"{at:,} rows of photos for {rows:,} TPS")
    return whole, shown, sourced


def _texts(column: Iterable[object]) -> Iterable[str | None]:
    for value in column:
        yield value if isinstance(value, str) else None


def source_of(listed: object) -> tuple[str | None, str | None] | None:
    """A record's ``source`` as its kind and reference (``(None, None)``: no source), or None
    when it is not a source."""
    if listed is None:
        return None, None
    if not isinstance(listed, dict):
        return None
    kind, reference = listed.get("kind"), listed.get("reference")
    if not isinstance(kind, str) or not isinstance(reference, str):
        return None
    return kind, reference


def describe(label: str, listed: object) -> str:
    """A list of photos that differs from the bulk data's, shortened (addresses are long)."""
    text = repr(listed)
    return f"{label} {text[:200]}{'…' if len(text) > 200 else ''} differ from the bulk photos"
