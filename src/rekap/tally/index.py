"""The regions a tally covers, numbered as rows, with each row's parent and ancestors.

Rows are in code order, so the nation is row 0 and a parent comes before its children.
A scope (region codes) limits the index to those subtrees and the regions above them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from rekap.domain.region_tree import RegionTree
from rekap.domain.wilayah import PARENT_LENGTH, Level

IntArray = npt.NDArray[np.int64]


class UnplacedTps(KeyError):
    """A TPS whose desa is not in the index (e.g. a code synthesised by an outside source)."""


def _in_scope(code: str, scope: Sequence[str]) -> bool:
    return not scope or any(code.startswith(s) or s.startswith(code) for s in scope)


@dataclass(frozen=True)
class RegionIndex:
    codes: tuple[str, ...]
    row_of: Mapping[str, int] = field(repr=False)
    parent_row: IntArray = field(repr=False)
    level: IntArray = field(repr=False)
    expected: IntArray = field(repr=False)
    children: tuple[tuple[int, ...], ...] = field(repr=False, default=())
    scope: tuple[str, ...] = ()

    @classmethod
    def build(cls, tree: RegionTree, scope: Iterable[str] = ()) -> RegionIndex:
        """Every region of ``tree`` (or of the subtrees named in ``scope``), down to desa."""
        wanted = tuple(sorted(set(scope)))
        codes = tuple(sorted(c for c in tree.regions if _in_scope(c, wanted)))
        row_of = {code: row for row, code in enumerate(codes)}
        parent = np.full(len(codes), -1, dtype=np.int64)
        level = np.zeros(len(codes), dtype=np.int64)
        own = np.zeros(len(codes), dtype=np.int64)
        children: list[list[int]] = [[] for _ in codes]
        for row, code in enumerate(codes):
            level[row] = len(code)
            if code:
                parent[row] = row_of[code[: PARENT_LENGTH[len(code)]]]
                children[parent[row]].append(row)
            region = tree.regions[code]
            if region.level is Level.DESA:
                own[row] = region.tps_count
        expected = own.copy()
        for length in (Level.DESA, Level.KECAMATAN, Level.KABUPATEN_KOTA, Level.PROVINSI):
            rows = np.flatnonzero(level == length)
            np.add.at(expected, parent[rows], expected[rows])
        kids = tuple(tuple(c) for c in children)
        return cls(codes, row_of, parent, level, expected, kids, wanted)

    def __len__(self) -> int:
        return len(self.codes)

    def desa_row(self, kode_tps: str) -> int:
        row = self.row_of.get(kode_tps[:10])
        if row is None or len(kode_tps) != 13:
            raise UnplacedTps(kode_tps)
        return row

    def chain(self, row: int) -> tuple[int, ...]:
        """The row and every row above it, up to the nation."""
        rows = [row]
        while self.parent_row[rows[-1]] >= 0:
            rows.append(int(self.parent_row[rows[-1]]))
        return tuple(rows)

    def rows_at(self, level: Level) -> IntArray:
        return np.flatnonzero(self.level == level.value)

    def rows_at_desa(self) -> IntArray:
        return self.rows_at(Level.DESA)

    def covers(self, kode: str) -> bool:
        return kode in self.row_of
