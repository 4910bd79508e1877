"""Every region's tally for one contest, as one integer matrix (a row per region).

``apply`` adds a TPS's change to its desa and each ancestor: five rows, whatever the size
of the country. ``rebuild`` (rekap.tally.rebuild) computes the same matrix from scratch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from rekap.tally.contribution import TpsState, Vector, contribution, delta, is_zero
from rekap.tally.index import IntArray, RegionIndex
from rekap.tally.layout import TallyLayout
from rekap.tally.region_tally import RegionTally


class TallyTable:
    """A mutable accumulator: it changes only through ``apply`` and ``apply_state``.

    It remembers what each TPS contributes now: the rows of a rebuild (``seed``), then every
    state applied since, so that a TPS's next state replaces its previous one.
    """

    def __init__(self, index: RegionIndex, layout: TallyLayout, matrix: IntArray) -> None:
        if matrix.shape != (len(index), layout.width):
            raise ValueError(f"matrix {matrix.shape} does not fit {len(index)} x {layout.width}")
        self.index = index
        self.layout = layout
        self.matrix = matrix
        self._chains: dict[int, IntArray] = {}
        self._applied: dict[str, Vector] = {}
        self._seed_codes: Sequence[str] = ()
        self._seed_lookup: dict[str, int] | None = {}
        self._seed = np.zeros((0, layout.width), dtype=np.int64)

    @classmethod
    def empty(cls, index: RegionIndex, layout: TallyLayout) -> TallyTable:
        return cls(index, layout, np.zeros((len(index), layout.width), dtype=np.int64))

    def seed(self, codes: Sequence[str], contributions: IntArray) -> None:
        """Record what each TPS of a rebuild contributes, without changing the totals."""
        self._seed_codes = codes
        self._seed_lookup = None  # made on first use: a snapshot never needs it
        self._seed = contributions
        self._applied = {}

    @property
    def _seed_rows(self) -> dict[str, int]:
        if self._seed_lookup is None:
            self._seed_lookup = {code: row for row, code in enumerate(self._seed_codes)}
        return self._seed_lookup

    def chain_of(self, kode_tps: str) -> IntArray:
        """Rows of the TPS's desa and every ancestor (raises UnplacedTps)."""
        desa = self.index.desa_row(kode_tps)
        rows = self._chains.get(desa)
        if rows is None:
            rows = np.array(self.index.chain(desa), dtype=np.int64)
            self._chains[desa] = rows
        return rows

    def apply(self, kode_tps: str, old: Vector | None, new: Vector | None) -> Vector:
        """Replace a TPS's contribution ``old`` by ``new``; returns the change applied."""
        change = delta(old, new, self.layout)
        if not is_zero(change):
            self.matrix[self.chain_of(kode_tps)] += np.array(change, dtype=np.int64)
        return change

    def share(self, kode_tps: str) -> Vector | None:
        """What a TPS contributes now (None: nothing recorded)."""
        found = self._applied.get(kode_tps)
        if found is not None:
            return found
        row = self._seed_rows.get(kode_tps)
        return None if row is None else tuple(int(v) for v in self._seed[row])

    def shares_of(self, codes: Sequence[str]) -> list[Vector | None]:
        """``share`` of many TPS at once (one gather from the rebuilt rows)."""
        lookup = self._seed_rows
        rows = [lookup.get(code, -1) for code in codes]
        # nothing seeded (no result yet): every TPS gives None, and -1 must not index it
        seeded = self._seed[rows].tolist() if rows and len(self._seed) else [()] * len(rows)
        applied = self._applied
        return [
            applied[code] if code in applied else (tuple(vector) if row >= 0 else None)
            for code, row, vector in zip(codes, rows, seeded, strict=True)
        ]

    def apply_state(self, state: TpsState) -> Vector:
        """Apply a TPS's new state in place of what it contributed before."""
        new = contribution(state, self.layout)
        change = self.apply(state.kode_tps, self.share(state.kode_tps), new)
        self._applied[state.kode_tps] = new
        return change

    def shares(self) -> dict[str, Vector]:
        """What each TPS contributes now."""
        return {code: tuple(vector) for code, vector in self.share_rows()}

    def share_rows(self) -> Iterator[tuple[str, Sequence[int]]]:
        """``(kode_tps, contribution)`` for every TPS, rebuilt ones first."""
        for code, vector in zip(self._seed_codes, self._seed.tolist(), strict=True):
            if code not in self._applied:
                yield code, vector
        yield from self._applied.items()

    def region(self, kode: str) -> RegionTally:
        row = self.index.row_of[kode]
        vector = tuple(self.matrix[row].tolist())
        return RegionTally.from_vector(kode, int(self.index.expected[row]), vector, self.layout)

    def regions(self) -> Iterator[RegionTally]:
        for kode in self.index.codes:
            yield self.region(kode)

    def same_totals(self, other: TallyTable) -> bool:
        return (
            self.index.codes == other.index.codes
            and self.layout == other.layout
            and bool(np.array_equal(self.matrix, other.matrix))
        )
