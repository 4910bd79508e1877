"""Everything the document builders read, computed once per snapshot: the region index,
the rebuilt tally, the records by TPS code and the TPS of every desa."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rekap.domain.election import BallotEntry
from rekap.domain.form import vote_field_id
from rekap.publish.encode import iso_utc, sirekap_ts
from rekap.publish.records import SnapshotRequest, TpsRecord
from rekap.tally.contribution import Vector, contribution, zero
from rekap.tally.index import IntArray, RegionIndex
from rekap.tally.layout import TallyLayout
from rekap.tally.rebuild import rebuild
from rekap.tally.region_tally import RegionTally
from rekap.tally.table import TallyTable

DESA_LENGTH = 10
TpsVector = tuple[str, int, Vector]


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
        by_kode = {record.state.kode_tps: record for record in request.records}
        if len(by_kode) != len(request.records):
            raise DuplicateTps(f"two records for TPS {_duplicate(request.records)}")
        in_scope = (
            {k: r for k, r in by_kode.items() if _within(k, index.scope)}
            if index.scope
            else by_kode
        )
        rebuilt = rebuild(index, layout, [r.state for r in in_scope.values()])
        unplaced = tuple(in_scope.pop(k) for k in rebuilt.unplaced)
        return cls(request, index, layout, rebuilt.table, in_scope, unplaced)

    @cached_property
    def _paths(self) -> dict[str, list[dict[str, str]]]:
        return {}

    @property
    def contest(self) -> str:
        return self.layout.contest

    @cached_property
    def entries(self) -> tuple[BallotEntry, ...]:
        return tuple(e for dapil in self.request.contest.dapil[:1] for e in dapil.entries)

    @cached_property
    def sirekap_fields(self) -> tuple[tuple[str, str], ...]:
        """``(Sirekap candidate id, rekap field)`` for each paslon with a Sirekap id."""
        return tuple(
            (str(e.sirekap_id), vote_field_id(e.nomor_urut)) for e in self.entries if e.sirekap_id
        )

    @cached_property
    def sirekap_columns(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``sirekap_fields`` as two tuples: the Sirekap ids, and the rekap fields."""
        return tuple(s for s, _ in self.sirekap_fields), tuple(f for _, f in self.sirekap_fields)

    @cached_property
    def sirekap_positions(self) -> tuple[tuple[str, int | None], ...]:
        """Each Sirekap candidate id with the position of its counted number in a contribution
        vector (None: a field the tally does not add up, shown as 0)."""
        layout = self.layout
        where = {f: layout.counted_offset + i for i, f in enumerate(layout.fields)}
        return tuple((sid, where.get(field)) for sid, field in self.sirekap_fields)

    @cached_property
    def field_order(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.request.form.fields)

    @cached_property
    def _form_orders(self) -> dict[tuple[str, ...], tuple[str, ...]]:
        return {}

    def form_order_of(self, keys: tuple[str, ...]) -> tuple[str, ...]:
        """``keys`` in the form's field order, then any others as given (remembered: most
        results record the same fields)."""
        found = self._form_orders.get(keys)
        if found is None:
            present = set(keys)
            known = tuple(f for f in self.field_order if f in present)
            found = known + tuple(k for k in keys if k not in set(known))
            self._form_orders[keys] = found
        return found

    @cached_property
    def ts_sirekap(self) -> str:
        return sirekap_ts(self.request.created_at)

    @cached_property
    def ts_iso(self) -> str:
        return iso_utc(self.request.created_at)

    @cached_property
    def _listing(
        self,
    ) -> tuple[dict[str, tuple[str, ...]], frozenset[str], tuple[str, ...]]:
        by_desa: dict[str, list[str]] = {}
        for row in self.index.rows_at_desa().tolist():
            desa = self.index.codes[row]
            ranges = self.request.tree.regions[desa].tps_ranges
            by_desa[desa] = [f"{desa}{n:03d}" for r in ranges for n in range(r.first, r.last + 1)]
        expected = frozenset(code for codes in by_desa.values() for code in codes)
        unsorted = {desa for desa, codes in by_desa.items() if codes != sorted(codes)}
        unlisted = tuple(self.records.keys() - expected)  # a set difference: no loop over 823k
        for kode in unlisted:
            by_desa[kode[:10]].append(kode)
            unsorted.add(kode[:10])
        for desa in unsorted:
            by_desa[desa].sort()
        return {desa: tuple(codes) for desa, codes in by_desa.items()}, expected, unlisted

    @property
    def expected_tps(self) -> frozenset[str]:
        """The TPS the region tree lists in scope."""
        return self._listing[1]

    @property
    def unlisted_tps(self) -> tuple[str, ...]:
        """The TPS with a record that the region tree does not list (their desa it does): few,
        where any, in no particular order."""
        return self._listing[2]

    @cached_property
    def counted_unlisted(self) -> IntArray:
        """Per region row of the index, the counted TPS the region tree does not list: in the
        totals and in ``counted``, never in ``tps_expected``, so a share of TPS counted leaves
        them out of its numerator and says them apart. Each unlisted TPS counts once in its
        desa and every region above it (``RegionIndex.chain``): they are few."""
        index, records = self.index, self.records
        out = np.zeros(len(index), dtype=np.int64)
        for kode in self.unlisted_tps:
            if records[kode].state.counted:
                out[list(index.chain(index.row_of[kode[:DESA_LENGTH]]))] += 1
        return out

    def counted_unlisted_of(self, kode: str) -> int:
        """``counted_unlisted`` of one region (of a TPS: 1 when it counts and the tree does not
        list it)."""
        if len(kode) > DESA_LENGTH:
            record = self.records.get(kode)
            counted = record is not None and record.state.counted
            return int(counted and kode not in self.expected_tps)
        return self._counted_unlisted_by_kode.get(kode, 0)

    @cached_property
    def _counted_unlisted_by_kode(self) -> dict[str, int]:
        """``counted_unlisted`` of the regions where it is not 0 (a few, if any): each region
        document asks for its own and its children's, one look-up each."""
        codes = self.index.codes
        found = self.counted_unlisted
        return {codes[row]: int(found[row]) for row in np.flatnonzero(found).tolist()}

    @property
    def tps_of_desa(self) -> Mapping[str, tuple[str, ...]]:
        """Each desa's TPS in code order: those the tree expects, and any other with a result."""
        return self._listing[0]

    @cached_property
    def all_tps(self) -> tuple[str, ...]:
        """Every TPS of the snapshot in code order (desa are in code order already)."""
        return tuple(code for codes in self.tps_of_desa.values() for code in codes)

    def nama(self, kode: str) -> str:
        return self.request.tree.regions[kode].nama

    def is_expected(self, kode_tps: str) -> bool:
        return kode_tps in self.expected_tps

    def region(self, kode: str) -> RegionTally:
        """A region's tally (made once when its parent's document asked for it first)."""
        found = self._children_made.pop(kode, None)
        return self.table.region(kode) if found is None else found

    @cached_property
    def _children_made(self) -> dict[str, RegionTally]:
        """Tallies ``child_tallies`` made that the child's own document has not used yet: a
        subtree is written parent first, so each region's tally is made once, not twice."""
        return {}

    def tps_tally(self, kode_tps: str) -> RegionTally:
        """A TPS as a leaf region: what it adds to its desa."""
        record = self.records.get(kode_tps)
        vector = zero(self.layout) if record is None else contribution(record.state, self.layout)
        expected = int(self.is_expected(kode_tps))
        return RegionTally.from_vector(kode_tps, expected, vector, self.layout)

    def child_tallies(self, kode: str) -> list[RegionTally]:
        """The tallies of a region's children (for a desa, of each of its TPS)."""
        if len(kode) == DESA_LENGTH:
            layout = self.layout
            return [
                RegionTally.from_vector(code, expected, vector, layout)
                for code, expected, vector in self.tps_vectors(kode)
            ]
        made = [self.region(c) for c in self.children(kode)]
        self._children_made.update((t.kode, t) for t in made)
        return made

    def tps_vectors(self, desa: str) -> list[TpsVector]:
        """``(kode_tps, expected 0/1, contribution)`` of each TPS of a desa, in code order:
        what ``child_tallies`` holds for a desa, without a tally object per TPS."""
        codes = self.tps_of_desa[desa]
        zero_vector = self._zero
        expected = self.expected_tps
        return [
            (code, int(code in expected), zero_vector if share is None else share)
            for code, share in zip(codes, self.table.shares_of(codes), strict=True)
        ]

    @cached_property
    def _zero(self) -> Vector:
        return zero(self.layout)

    def desa_path(self, desa: str) -> list[dict[str, str]]:
        """The path of a TPS: the regions above its desa and the desa itself (remembered)."""
        found = self._paths.get(desa)
        if found is None:
            found = [*self.path(desa), {"kode": desa, "nama": self.nama(desa)}]
            self._paths[desa] = found
        return found

    def children(self, kode: str) -> tuple[str, ...]:
        row = self.index.row_of[kode]
        return tuple(self.index.codes[c] for c in self.index.children[row])

    def path(self, kode: str) -> list[dict[str, str]]:
        """The regions above ``kode`` (nation excluded), for breadcrumbs."""
        cuts = [c for c in (2, 4, 6, 10) if c < len(kode)]
        return [{"kode": kode[:c], "nama": self.nama(kode[:c])} for c in cuts]


def _duplicate(records: Sequence[TpsRecord]) -> str:
    seen: set[str] = set()
    for record in records:
        if record.kode_tps in seen:
            return record.kode_tps
        seen.add(record.kode_tps)
    return ""


def _within(kode: str, scope: tuple[str, ...]) -> bool:
    return not scope or any(kode.startswith(s) for s in scope)
