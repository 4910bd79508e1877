"""Every aggregate recomputed from the per-TPS bulk data with DuckDB.

A row counts when ``counted`` is true; a row with a result that does not count is held
back; ``counted_unlisted`` counts the rows that count and are not ``expected`` (the region tree
does not list them); ``verified_by_people`` the rows with a result whose ``source_kind`` is
``entry`` (numbers people entered). Each region's numbers are sums over the TPS whose code
starts with the region's code.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from rekap.recount.layout import COUNTED_UNLISTED, COVERAGE, VERIFIED_BY_PEOPLE
from rekap.recount.photos import (
    IMAGE_PAGES,
    Keys,
    as_pages,
    describe,
    digest,
    source_digest,
    source_of,
)
from rekap.recount.photos import keys as photo_keys

STAGES = {
    "received": ("received", "read", "verified", "published"),
    "read": ("read", "verified", "published"),
    "verified": ("verified", "published"),
    "published": ("published",),
}
Vector = tuple[int, ...]
IntMatrix = npt.NDArray[np.int64]


def coverage_of(by_people: bool = True) -> tuple[str, ...]:
    """The coverage figures a snapshot publishes (``verified_by_people`` with ``by_people``)."""
    return COVERAGE if by_people else tuple(c for c in COVERAGE if c != VERIFIED_BY_PEOPLE)


def columns(
    fields: Sequence[str], unlisted: bool = True, by_people: bool = True
) -> tuple[str, ...]:
    """The order of every vector: expected TPS, coverage (with ``unlisted``, the counted TPS
    the tree does not list; with ``by_people``, the TPS whose numbers people entered), counted
    numbers, held numbers."""
    coverage = coverage_of(by_people)
    if unlisted:
        coverage = (*coverage, COUNTED_UNLISTED)
    return ("tps_expected", *coverage, *fields, *(f"held_{f}" for f in fields))


def _expressions(fields: Sequence[str], unlisted: bool = True, by_people: bool = True) -> list[str]:
    out = ["CAST(expected AS BIGINT)"]
    for name in coverage_of(by_people):
        if name == VERIFIED_BY_PEOPLE:
            out.append("CAST(COALESCE(has_result AND source_kind = 'entry', false) AS BIGINT)")
        elif name in STAGES:
            stages = ", ".join(f"'{s}'" for s in STAGES[name])
            out.append(f"CAST(stage IN ({stages}) AS BIGINT)")
        else:
            out.append(f"CAST({name} AS BIGINT)")
    if unlisted:
        out.append("CAST(counted AND NOT expected AS BIGINT)")
    out += [f'CASE WHEN counted THEN COALESCE("{f}", 0) ELSE 0 END' for f in fields]
    held = "has_result AND NOT counted"
    out += [f'CASE WHEN {held} THEN COALESCE("{f}", 0) ELSE 0 END' for f in fields]
    return out


_PARENT_CUT = {2: 0, 4: 2, 6: 4, 10: 6, 13: 10}


@dataclass
class Aggregates:
    """Every region's vector, and every TPS's (kept as one matrix, a row per TPS: a tuple
    each would cost a second of the recount nationally)."""

    fields: tuple[str, ...]
    regions: dict[str, Vector] = field(default_factory=dict)
    tps_rows: dict[str, int] = field(default_factory=dict)
    tps_matrix: IntMatrix = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    children: dict[str, list[str]] = field(default_factory=dict)
    form: tuple[str, ...] = ()
    """The form's numbers kept as the bulk data has them, null included (``--deep`` compares
    every number of each TPS's documents); empty when not kept."""
    tps_form: IntMatrix = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    """A row per TPS (the rows of ``tps_matrix``), a column per ``form`` field, ``NULL`` for
    a number not given."""
    tps_photos: Keys | None = None
    """A digest of each TPS's photos (``rekap.recount.photos``), a row per TPS as in
    ``tps_matrix`` (``--deep``); None when not kept."""
    tps_images: Keys | None = None
    """The same of the pages a Sirekap TPS file's ``images`` shows."""
    tps_sources: Keys | None = None
    """A digest of each TPS's ``source_kind`` and ``source_ref`` (``--deep``: a desa record's
    ``source`` is compared with it); None when not kept."""
    region_names: dict[str, str] = field(default_factory=dict)
    """Each region's ``nama`` as the region table gives it (the documents must say the
    same); empty until the table is read."""
    unlisted: bool = True
    """The snapshot publishes ``counted_unlisted`` and counts only listed TPS in ``persen``
    and ``progres`` (older snapshots did neither: they are recounted by their own rules)."""
    by_people: bool = True
    """The snapshot publishes ``verified_by_people`` (older snapshots do not: their coverage
    is compared without it)."""

    def __post_init__(self) -> None:
        self.names = columns(self.fields, self.unlisted, self.by_people)
        self.position = {name: i for i, name in enumerate(self.names)}
        self.coverage_names = self.names[: len(self.names) - 2 * len(self.fields)]
        self._zero: Vector = (0,) * len(self.names)

    def listed_counted(self) -> Callable[[Vector], int]:
        """A vector's counted TPS that the region tree lists (what ``persen`` and
        ``progres.progres`` count), as one function to call per vector; for an older
        snapshot, every counted TPS."""
        counted_at = self.position["counted"]
        if not self.unlisted:
            return itemgetter(counted_at)
        unlisted_at = self.position[COUNTED_UNLISTED]
        return lambda vector: vector[counted_at] - vector[unlisted_at]

    def vector(self, kode: str) -> Vector:
        """A region's or a TPS's vector; a region with no TPS row adds up to zero."""
        if len(kode) < 13:
            return self.regions.get(kode, self._zero)
        row = self.tps_rows.get(kode)
        return self._zero if row is None else tuple(self.tps_matrix[row].tolist())

    def child_vectors(self, kode: str) -> list[Vector]:
        """The vectors of a region's children, in code order: a desa's TPS rows are next to
        each other in the matrix and are turned into tuples with one call."""
        children = self.children.get(kode, [])
        if children and len(children[0]) == 13:
            first = self.tps_rows.get(children[0], -1)
            last = first + len(children)
            if first >= 0 and self.tps_rows.get(children[-1]) == last - 1:
                return list(map(tuple, self.tps_matrix[first:last].tolist()))
        return [self.vector(child) for child in children]

    def form_values(self, kode: str) -> dict[str, int | None] | None:
        """A TPS's every kept number as the bulk data has it (``None`` where not given), or
        ``None`` when no number is kept (or the TPS has no row)."""
        row = self.tps_rows.get(kode)
        if not self.form or row is None:
            return None
        return {
            name: None if value == NULL else value
            for name, value in zip(self.form, self.tps_form[row].tolist(), strict=True)
        }

    def photos_differ(self, kode: str, listed: object, images: bool = False) -> str | None:
        """How a document's list of photos (``images`` when ``images``, else a record's
        ``photos``) differs from the TPS's bulk ``photos``, or None when it agrees or the
        photos are not kept."""
        kept = self.tps_images if images else self.tps_photos
        row = self.tps_rows.get(kode)
        if kept is None or row is None:
            return None
        label = "images" if images else "photos"
        pages = as_pages(listed)
        if pages is None or (images and len(pages) != IMAGE_PAGES):
            return describe(label, listed)
        return None if digest(pages) == int(kept[row]) else describe(label, listed)

    def source_differs(self, kode: str, listed: object) -> str | None:
        """How a desa record's ``source`` differs from the TPS's bulk ``source_kind`` and
        ``source_ref``, or None when it agrees or the sources are not kept."""
        row = self.tps_rows.get(kode)
        if self.tps_sources is None or row is None:
            return None
        found = source_of(listed)
        if found is not None and source_digest(*found) == int(self.tps_sources[row]):
            return None
        text = repr(listed)
        shown = f"{text[:200]}{'…' if len(text) > 200 else ''}"
        return f"source {shown} differs from the bulk source_kind and source_ref"


MEMORY_SHARE = 0.3
"""Of the machine's memory, what one DuckDB connection of the recount may hold: two run at
once (the formats compared beside the recount), and each would otherwise take DuckDB's
default of 80 % (a national recount needs about a gigabyte in all)."""
MIN_MEMORY = 512 << 20


def memory_limit(physical: int | None = None) -> int:
    """Bytes one recount connection may hold (``MEMORY_SHARE`` of ``physical``, the machine's
    memory when not given, at least ``MIN_MEMORY``)."""
    if physical is None:
        try:
            physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            return 4 << 30  # a platform that does not say: what a laptop has to spare
    return max(MIN_MEMORY, int(physical * MEMORY_SHARE))


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for the recount: its memory bounded (``memory_limit``), spilling,
    if it must, into the system's temporary folder rather than ``.tmp`` in whatever folder the
    recount was started from, and its progress bar off (DuckDB draws one on stdout for any
    query that runs over two seconds, which would break into the printed report)."""
    spill = Path(tempfile.gettempdir()) / f"rekap-recount-{os.getpid()}"
    connection = duckdb.connect(
        config={"memory_limit": f"{memory_limit() >> 20}MiB", "temp_directory": str(spill)}
    )
    connection.execute("SET enable_progress_bar = false")
    return connection


NULL = -1
"""A number not given, in ``Aggregates.tps_form`` (the form's numbers are never negative)."""


def recompute(
    parquet: Path,
    fields: Sequence[str],
    form: Sequence[str] = (),
    photos: bool = False,
    unlisted: bool = True,
    sources: bool = False,
    by_people: bool = True,
) -> Aggregates:
    """Every region's and TPS's vector; with ``form`` (checked column names), each TPS's
    numbers of those fields as given too, and with ``photos`` a digest of its photos (and
    with ``sources`` of its source); with ``unlisted`` (a snapshot that publishes it),
    ``counted_unlisted``, and with ``by_people`` (likewise), ``verified_by_people``."""
    names = columns(fields, unlisted, by_people)
    expressions = _expressions(fields, unlisted, by_people)
    kept = [f"form_{n}" for n in form]
    expressions += [f'COALESCE(CAST("{n}" AS BIGINT), {NULL})' for n in form]
    per_tps = ", ".join(f'{e} AS "{n}"' for e, n in zip(expressions, (*names, *kept), strict=True))
    sums = ", ".join(f'SUM("{n}")::BIGINT AS "{n}"' for n in names)
    connection = connect()
    try:
        connection.execute(
            f"CREATE TEMP TABLE v AS SELECT kode_tps, {per_tps} "
            f"FROM read_parquet('{quote_path(parquet)}')"
        )
        result = Aggregates(tuple(fields), form=tuple(form), unlisted=unlisted, by_people=by_people)
        fetched = connection.execute("SELECT * FROM v ORDER BY kode_tps").fetchnumpy()
        codes, matrix = _columns(fetched, names)
        result.tps_rows = dict(zip(codes, range(len(codes)), strict=True))
        result.tps_matrix = matrix
        if form:
            result.tps_form = _columns(fetched, kept)[1]
        del fetched
        if photos:
            whole, shown, sourced = photo_keys(connection, quote_path(parquet), len(codes), sources)
            result.tps_photos, result.tps_images, result.tps_sources = whole, shown, sourced
        # a level's sums from the level below (a code's parent is a prefix of it): each row
        # is summed once per level, not once per region above it
        connection.execute(
            f"CREATE TEMP TABLE r10 AS SELECT kode_tps[1:10] AS kode, {sums} FROM v GROUP BY 1"
        )
        for below, cut, level in (("r10", 6, "r6"), ("r6", 4, "r4"), ("r4", 2, "r2")):
            connection.execute(
                f"CREATE TEMP TABLE {level} AS SELECT kode[1:{cut}] AS kode, {sums} "
                f"FROM {below} GROUP BY 1"
            )
        connection.execute(f"CREATE TEMP TABLE r0 AS SELECT '' AS kode, {sums} FROM r2 GROUP BY 1")
        region_codes, sums_matrix = _columns(
            connection.execute(
                "SELECT * FROM (SELECT * FROM r0 UNION ALL SELECT * FROM r2 UNION ALL "
                "SELECT * FROM r4 UNION ALL SELECT * FROM r6 UNION ALL SELECT * FROM r10) "
                "ORDER BY kode"
            ).fetchnumpy(),
            names,
        )
        result.regions = dict(zip(region_codes, map(tuple, sums_matrix.tolist()), strict=True))
    finally:
        connection.close()
    children = result.children
    for kode in region_codes:  # in code order: each list of children is sorted
        if kode:
            parent = kode[: _PARENT_CUT[len(kode)]]
            found = children.get(parent)
            if found is None:
                children[parent] = [kode]
            else:
                found.append(kode)
    # the TPS codes are sorted too: a desa's TPS are one run of codes with the same prefix
    for parent, run in groupby(codes, key=itemgetter(slice(0, _PARENT_CUT[13]))):
        children.setdefault(parent, []).extend(run)
    return result


def _columns(found: Mapping[str, Any], names: Sequence[str]) -> tuple[list[str], IntMatrix]:
    """The codes (DuckDB's first column) and the named columns as one integer matrix."""
    codes: list[str] = found[next(iter(found))].tolist()
    if not codes:
        return [], np.zeros((0, len(names)), dtype=np.int64)
    # stacked as rows (one copy of each column) and viewed transposed: a TPS's numbers are
    # read a row at a time, which a column-major matrix serves as well, while building it
    # row-major would scatter every column across the whole matrix (seconds, nationally)
    matrix = np.stack([np.asarray(found[n], dtype=np.int64) for n in names]).T
    return codes, matrix


def quote_path(path: Path) -> str:
    """A path as the text of a DuckDB string literal."""
    return str(path).replace("'", "''")
