"""Everything the document builders read, computed once per snapshot: the region index,
the rebuilt tally, the records by TPS code and the TPS of every desa."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from rekap.domain.election import BallotEntry
from rekap.publish.encode import iso_utc, sirekap_ts
from rekap.publish.records import SnapshotRequest, TpsRecord
from rekap.tally.contribution import contribution, zero
from rekap.tally.index import RegionIndex
from rekap.tally.layout import TallyLayout
from rekap.tally.rebuild import rebuild
from rekap.tally.region_tally import RegionTally
from rekap.tally.table import TallyTable


class DuplicateTps(ValueError):
    """Two records for the same TPS and contest."""


@dataclass(frozen=True)
class SnapshotView:
    request: SnapshotRequest
    index: RegionIndex
    layout: TallyLayout
    table: TallyTable
    records: Mapping[str, TpsRecord]
    unplaced: tuple[TpsRecord, ...]

    @classmethod
    def build(cls, request: SnapshotRequest) -> SnapshotView:
        index = RegionIndex.build(request.tree, request.scope)
        layout = TallyLayout.of_form(request.contest.kind.value, request.form)
        by_kode: dict[str, TpsRecord] = {}
        for record in request.records:
            if record.kode_tps in by_kode:
                raise DuplicateTps(f"two records for TPS {record.kode_tps}")
            by_kode[record.kode_tps] = record
        in_scope = {k: r for k, r in by_kode.items() if _within(k, index.scope)}
        rebuilt = rebuild(index, layout, (r.state for r in in_scope.values()))
        unplaced = tuple(in_scope.pop(k) for k in rebuilt.unplaced)
        return cls(request, index, layout, rebuilt.table, in_scope, unplaced)

    @property
    def contest(self) -> str:
        return self.layout.contest

    @cached_property
    def entries(self) -> tuple[BallotEntry, ...]:
        return tuple(e for dapil in self.request.contest.dapil[:1] for e in dapil.entries)

    @cached_property
    def ts_sirekap(self) -> str:
        return sirekap_ts(self.request.created_at)

    @cached_property
    def ts_iso(self) -> str:
        return iso_utc(self.request.created_at)

    @cached_property
    def expected_tps(self) -> frozenset[str]:
        """The TPS the region tree lists in scope."""
        expected: set[str] = set()
        for row in self.index.rows_at_desa():
            desa = self.request.tree.regions[self.index.codes[int(row)]]
            expected.update(c.value for c in desa.tps_codes())
        return frozenset(expected)

    @cached_property
    def tps_of_desa(self) -> Mapping[str, tuple[str, ...]]:
        """Each desa's TPS: those the tree expects, and any other with a result."""
        listed: dict[str, set[str]] = {
            self.index.codes[int(r)]: set() for r in self.index.rows_at_desa()
        }
        for kode in (*self.expected_tps, *self.records):
            listed[kode[:10]].add(kode)
        return {desa: tuple(sorted(codes)) for desa, codes in listed.items()}

    @cached_property
    def all_tps(self) -> tuple[str, ...]:
        """Every TPS of the snapshot in code order."""
        return tuple(
            sorted((*self.expected_tps, *(k for k in self.records if k not in self.expected_tps)))
        )

    def nama(self, kode: str) -> str:
        return self.request.tree.regions[kode].nama

    def is_expected(self, kode_tps: str) -> bool:
        return kode_tps in self.expected_tps

    def region(self, kode: str) -> RegionTally:
        return self.table.region(kode)

    def tps_tally(self, kode_tps: str) -> RegionTally:
        """A TPS as a leaf region: what it adds to its desa."""
        record = self.records.get(kode_tps)
        vector = zero(self.layout) if record is None else contribution(record.state, self.layout)
        expected = int(self.is_expected(kode_tps))
        return RegionTally.from_vector(kode_tps, expected, vector, self.layout)

    def children(self, kode: str) -> tuple[str, ...]:
        row = self.index.row_of[kode]
        return tuple(self.index.codes[c] for c in self.index.children[row])

    def path(self, kode: str) -> list[dict[str, str]]:
        """The regions above ``kode`` (nation excluded), for breadcrumbs."""
        cuts = [c for c in (2, 4, 6, 10) if c < len(kode)]
        return [{"kode": kode[:c], "nama": self.nama(kode[:c])} for c in cuts]


def _within(kode: str, scope: tuple[str, ...]) -> bool:
    return not scope or any(kode.startswith(s) for s in scope)
