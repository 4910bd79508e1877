"""A full rebuild: every region's tally computed from scratch from every TPS's contribution.

The result is exactly the state that applying the same TPS one by one reaches (a property
test holds the two together). Contributions are computed column by column, summed per desa,
then level by level up to the nation, with integer numpy reductions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rekap.domain.wilayah import Level
from rekap.tally.contribution import STAGE_FLAGS, TpsState
from rekap.tally.index import IntArray, RegionIndex
from rekap.tally.layout import COVERAGE, TallyLayout
from rekap.tally.table import TallyTable

_UPWARDS = (Level.DESA, Level.KECAMATAN, Level.KABUPATEN_KOTA, Level.PROVINSI)


@dataclass(frozen=True)
class Rebuilt:
    """The rebuilt table, and the TPS that could not be placed in the region index."""

    table: TallyTable
    unplaced: tuple[str, ...]


def desa_rows(index: RegionIndex, codes: Sequence[str]) -> tuple[IntArray, tuple[str, ...]]:
    """Each TPS code's desa row (-1 when the desa is not in the index), and the unplaced."""
    rows = np.fromiter(
        (index.row_of.get(code[:10], -1) if len(code) == 13 else -1 for code in codes),
        dtype=np.int64,
        count=len(codes),
    )
    unplaced = tuple(codes[int(i)] for i in np.flatnonzero(rows < 0))
    return rows, unplaced


def contribution_matrix(states: Sequence[TpsState], layout: TallyLayout) -> IntArray:
    """``contribution(state)`` for every state at once, one row per state."""
    count = len(states)
    stage = np.fromiter((s.stage for s in states), dtype=np.int64, count=count)
    blocking = np.fromiter((s.blocking for s in states), dtype=np.bool_, count=count)
    has_values = np.fromiter((bool(s.values) for s in states), dtype=np.bool_, count=count)
    counted = has_values & ~blocking
    held = has_values & blocking
    by_people = np.fromiter((s.by_people for s in states), dtype=np.bool_, count=count)
    flags = {name: stage >= reached for name, reached in STAGE_FLAGS.items()}
    flags.update(verified_by_people=by_people & has_values, blocking=blocking, counted=counted)
    out = np.zeros((count, layout.width), dtype=np.int64)
    for column, name in enumerate(COVERAGE):
        out[:, column] = flags[name]
    mappings = [s.values for s in states]
    for j, field_id in enumerate(layout.fields):
        values = np.array([m.get(field_id, 0) for m in mappings], dtype=np.int64)
        out[:, layout.counted_offset + j] = np.where(counted, values, 0)
        out[:, layout.held_offset + j] = np.where(held, values, 0)
    return out


def rebuild_matrix(
    index: RegionIndex, layout: TallyLayout, rows: IntArray, contributions: IntArray
) -> TallyTable:
    """Sum ``contributions`` (one row per TPS, its desa row in ``rows``) up the tree."""
    keep = rows >= 0
    rows, contributions = rows[keep], contributions[keep]
    matrix = np.zeros((len(index), layout.width), dtype=np.int64)
    if len(rows):
        if not bool(np.all(rows[1:] >= rows[:-1])):  # states in code order need no sorting
            order = np.argsort(rows, kind="stable")
            rows, contributions = rows[order], contributions[order]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        matrix[rows[starts]] = np.add.reduceat(contributions, starts, axis=0)
    for level in _UPWARDS:
        children = index.rows_at(level)
        if len(children):
            # rows are in code order: the children of one parent are consecutive rows
            parents = index.parent_row[children]
            first = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
            matrix[parents[first]] += np.add.reduceat(matrix[children], first, axis=0)
    return TallyTable(index, layout, matrix)


def rebuild(index: RegionIndex, layout: TallyLayout, states: Sequence[TpsState]) -> Rebuilt:
    """The tally of every region from the current state of every TPS (one state per TPS)."""
    codes = [state.kode_tps for state in states]
    if len(set(codes)) != len(codes):
        raise ValueError("a rebuild takes one state per TPS")
    contributions = contribution_matrix(states, layout)
    rows, unplaced = desa_rows(index, codes)
    table = rebuild_matrix(index, layout, rows, contributions)
    if unplaced:
        placed = rows >= 0
        kept = [c for c, keep in zip(codes, placed.tolist(), strict=True) if keep]
        table.seed(kept, contributions[placed])
    else:
        table.seed(codes, contributions)
    return Rebuilt(table, unplaced)
