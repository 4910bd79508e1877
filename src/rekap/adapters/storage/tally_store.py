"""The live tally in the relational store, and the TPS results it is computed from.

Every write that changes what a TPS contributes calls ``refresh_in`` inside its own
transaction: the TPS's state is read back (``tally_inputs``, the same rule a rebuild uses), and
only its change is added to its desa and every ancestor: one upsert of the five region rows,
one of the value rows that changed, one of the TPS's share, whatever the size of the country.
A region row that does not exist yet counts as zero, so an empty tally needs no set-up; a TPS
whose desa is not in the region index is left out, as a rebuild leaves it out.
``replace`` stores a full rebuild.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, delete, select, text

from rekap.adapters.storage.event_store import lock_writers, numbers_changed_at
from rekap.adapters.storage.schema import region_tally, region_tally_value, tally_tps, tps_result
from rekap.adapters.storage.tally_inputs import (
    Checks,
    ResultChecks,
    read_rows,
    tally_state,
)
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.region_tree import JenisTps, RegionTree
from rekap.domain.result import Provenance, SourceKind
from rekap.domain.timezones import WIB
from rekap.domain.wilayah import InvalidKodeWilayah, KodeWilayah
from rekap.publish.records import TpsRecord
from rekap.tally.contribution import TpsState, Vector, contribution, delta, is_zero
from rekap.tally.index import RegionIndex, UnplacedTps
from rekap.tally.layout import COVERAGE, TallyLayout
from rekap.tally.rebuild import rebuild
from rekap.tally.region_tally import RegionTally
from rekap.tally.stage import TpsStage
from rekap.tally.table import TallyTable

STAGE_OF_SOURCE = {"entry": TpsStage.VERIFIED, "photo": TpsStage.READ, "import": TpsStage.READ}
CHUNK = 500
TALLIED_CONTESTS = ("ppwp",)
"""The contests whose form rekap knows (``c_hasil_ppwp``), so whose tally it keeps."""


def stage_of(source_kind: str, has_values: bool, photos: Iterable[str]) -> TpsStage:
    """The stage a result alone shows (without its photos and form: see ``capture_stage``)."""
    if has_values:
        return STAGE_OF_SOURCE.get(source_kind, TpsStage.READ)
    return TpsStage.RECEIVED if any(photos) else TpsStage.NONE


def parse_updated_at(value: str | None) -> datetime | None:
    """ISO 8601 with a zone, or Sirekap's ``YYYY-MM-DD HH:MM:SS`` (WIB)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=WIB)


def ancestors(kode_tps: str) -> tuple[str, ...]:
    return ("", kode_tps[:2], kode_tps[:4], kode_tps[:6], kode_tps[:10])


TALLY_COLUMNS = ("tps_expected", *COVERAGE)


@cache
def national_index() -> RegionIndex:
    """The index of the whole 2024 tree (built once per process)."""
    return RegionIndex.build(region_tree())


@cache
def contest_checks(contest: str) -> ResultChecks:
    election = election_2024()
    return ResultChecks(c_hasil_ppwp(election.contest(contest).dapil[0]), election, contest)


@cache
def contest_layout(contest: str) -> TallyLayout:
    return TallyLayout.of_form(contest, contest_checks(contest).form_spec)


def _bulk_insert(
    cursor: Any, dialect: str, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    if dialect == "postgresql":
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


@cache
def _coverage_upsert(rows: int) -> Any:
    """Add to the coverage of ``rows`` regions; a missing region row starts from zero."""
    names = ", ".join(f'"{c}"' for c in ("contest", "kode", *TALLY_COLUMNS))
    tuples = ", ".join(
        "(" + ", ".join((":contest", f":k{i}", f":e{i}", *(f":{c}" for c in COVERAGE))) + ")"
        for i in range(rows)
    )
    adds = ", ".join(f'"{c}" = region_tally."{c}" + excluded."{c}"' for c in COVERAGE)
    return text(
        f"INSERT INTO region_tally ({names}) VALUES {tuples} "
        f"ON CONFLICT (contest, kode) DO UPDATE SET {adds}"
    )


@cache
def _values_upsert(rows: int) -> Any:
    """Add counted and held numbers to ``rows`` (region, field) rows."""
    tuples = ", ".join(f"(:contest, :k{i}, :f{i}, :c{i}, :h{i})" for i in range(rows))
    return text(
        "INSERT INTO region_tally_value (contest, kode, field, counted, held) "
        f"VALUES {tuples} ON CONFLICT (contest, kode, field) DO UPDATE SET "
        "counted = region_tally_value.counted + excluded.counted, "
        "held = region_tally_value.held + excluded.held"
    )


SHARE_UPSERT = text(
    "INSERT INTO tally_tps (contest, kode_tps, vector) VALUES (:contest, :kode, :vector) "
    "ON CONFLICT (contest, kode_tps) DO UPDATE SET vector = excluded.vector"
)
OLD_SHARE = text("SELECT vector FROM tally_tps WHERE contest = :contest AND kode_tps = :kode")


def _vector_text(vector: Sequence[int]) -> str:
    return "[" + ",".join(map(str, vector)) + "]"


class TallyStore:
    """The stored tally of one contest over ``index`` (the whole tree unless named)."""

    def __init__(
        self,
        engine: Engine,
        layout: TallyLayout,
        index: RegionIndex | None = None,
        checks: Checks | None = None,
    ) -> None:
        self.engine = engine
        self.layout = layout
        self.contest = layout.contest
        self._index = index
        self._checks = checks

    @property
    def index(self) -> RegionIndex:
        if self._index is None:
            self._index = national_index()
        return self._index

    @property
    def checks(self) -> Checks:
        if self._checks is None:
            self._checks = contest_checks(self.contest)
        return self._checks

    def placed(self, kode_tps: str) -> bool:
        return len(kode_tps) == 13 and self.index.covers(kode_tps[:10])

    def _expected(self, kode: str) -> int:
        return int(self.index.expected[self.index.row_of[kode]])

    # One TPS at a time ---------------------------------------------------------------------
    def apply(self, state: TpsState) -> Vector:
        """Bring the tally of the TPS's desa and every ancestor up to ``state``."""
        new = contribution(state, self.layout)
        with self.engine.begin() as connection:
            lock_writers(connection)
            return self.apply_in(connection, state.kode_tps, new)

    def apply_in(self, connection: Connection, kode_tps: str, new: Vector) -> Vector:
        """The same inside the caller's transaction (e.g. with the change that caused it).
        Raises UnplacedTps, before any write, for a TPS whose desa is not in the index."""
        if not self.placed(kode_tps):
            raise UnplacedTps(kode_tps)
        contest = self.contest
        found = connection.execute(OLD_SHARE, {"contest": contest, "kode": kode_tps})
        old_text = found.scalar_one_or_none()
        old = tuple(json.loads(old_text)) if old_text is not None else None
        change = delta(old, new, self.layout)
        if is_zero(change):
            return change
        codes = ancestors(kode_tps)
        width, fields = len(COVERAGE), self.layout.fields
        if any(change[:width]):
            params: dict[str, object] = {"contest": contest}
            for i, kode in enumerate(codes):
                params[f"k{i}"], params[f"e{i}"] = kode, self._expected(kode)
            params.update(zip(COVERAGE, change[:width], strict=True))
            connection.execute(_coverage_upsert(len(codes)), params)
        changed = [
            (field_id, change[width + i], change[width + len(fields) + i])
            for i, field_id in enumerate(fields)
            if change[width + i] or change[width + len(fields) + i]
        ]
        if changed:
            values: dict[str, object] = {"contest": contest}
            rows = [(kode, *numbers) for numbers in changed for kode in codes]
            for i, (kode, field_id, counted, held) in enumerate(rows):
                values.update({f"k{i}": kode, f"f{i}": field_id, f"c{i}": counted, f"h{i}": held})
            connection.execute(_values_upsert(len(rows)), values)
        vector = _vector_text(new)
        connection.execute(SHARE_UPSERT, {"contest": contest, "kode": kode_tps, "vector": vector})
        return change

    # Many TPS at once ------------------------------------------------------------------------
    def apply_many_in(self, connection: Connection, states: Sequence[TpsState]) -> int:
        """Apply many TPS's states in the caller's transaction: their changes summed per region
        first, then one upsert per region row and per (region, field) that changed. Returns
        how many TPS changed; TPS outside the index are left out (as a rebuild leaves them)."""
        placed = [s for s in states if self.placed(s.kode_tps)]
        if len({s.kode_tps for s in placed}) != len(placed):
            raise ValueError("one state per TPS")
        if len(placed) == 1:
            new = contribution(placed[0], self.layout)
            return int(not is_zero(self.apply_in(connection, placed[0].kode_tps, new)))
        old = self._shares(connection, [s.kode_tps for s in placed])
        sums: dict[str, Any] = {}
        shares = []
        for state in placed:
            new = contribution(state, self.layout)
            change = delta(old.get(state.kode_tps), new, self.layout)
            if is_zero(change):
                continue
            step = np.array(change, dtype=np.int64)
            for kode in ancestors(state.kode_tps):
                total = sums.get(kode)
                sums[kode] = step.copy() if total is None else total + step
            shares.append(
                {"contest": self.contest, "kode": state.kode_tps, "vector": _vector_text(new)}
            )
        width, fields = len(COVERAGE), self.layout.fields
        cover_rows, value_rows = [], []
        for kode, total in sums.items():
            numbers = total.tolist()
            if any(numbers[:width]):
                row = {"contest": self.contest, "k0": kode, "e0": self._expected(kode)}
                row.update(zip(COVERAGE, numbers[:width], strict=True))
                cover_rows.append(row)
            for i, field_id in enumerate(fields):
                counted, held = numbers[width + i], numbers[width + len(fields) + i]
                if counted or held:
                    value_rows.append(
                        {
                            "contest": self.contest,
                            "k0": kode,
                            "f0": field_id,
                            "c0": counted,
                            "h0": held,
                        }
                    )
        for statement, rows in (
            (_coverage_upsert(1), cover_rows),
            (_values_upsert(1), value_rows),
            (SHARE_UPSERT, shares),
        ):
            if rows:
                connection.execute(statement, rows)
        return len(shares)

    def _shares(self, connection: Connection, codes: Sequence[str]) -> dict[str, Vector]:
        found: dict[str, Vector] = {}
        for start in range(0, len(codes), CHUNK):
            query = select(tally_tps.c.kode_tps, tally_tps.c.vector).where(
                tally_tps.c.contest == self.contest,
                tally_tps.c.kode_tps.in_(codes[start : start + CHUNK]),
            )
            for kode, vector in connection.execute(query):
                found[kode] = tuple(json.loads(vector))
        return found

    def refresh_in(self, connection: Connection, codes: Iterable[str]) -> int:
        """Re-read the stored state of the TPS named (inside the caller's transaction, after
        its writes) and bring the tally up to it; returns how many TPS changed."""
        wanted = sorted({c for c in codes if self.placed(c)})
        if not wanted:
            return 0
        lock_writers(connection)
        rows = read_rows(connection, self.contest, wanted)
        states = [
            tally_state(rows[kode], self.checks)
            if kode in rows
            else TpsState(kode, TpsStage.NONE, False)
            for kode in wanted
        ]
        return self.apply_many_in(connection, states)

    # Whole contest -------------------------------------------------------------------------
    def rebuild_in(self, connection: Connection) -> TallyTable:
        """Recompute the tally from every stored state and store it, in the caller's
        transaction (the writers' lock held, so no change slips between the read and the
        write)."""
        lock_writers(connection)
        rebuilt = rebuild(self.index, self.layout, self._states_in(connection))
        self.replace_in(connection, rebuilt.table)
        return rebuilt.table

    def replace(self, table: TallyTable) -> None:
        """Store a full rebuild: every region's tally and every TPS's share, in one transaction
        (PostgreSQL's COPY, or SQLite's executemany: a national rebuild is 1.5M rows)."""
        with self.engine.begin() as connection:
            lock_writers(connection)
            self.replace_in(connection, table)

    def replace_in(self, connection: Connection, table: TallyTable) -> None:
        contest, fields = self.contest, self.layout.fields
        width, count = len(COVERAGE), len(fields)
        matrix = table.matrix.tolist()
        expected = table.index.expected.tolist()
        regions = [
            (contest, kode, expected[row], *matrix[row][:width])
            for row, kode in enumerate(table.index.codes)
        ]
        values = [
            (contest, kode, field_id, matrix[row][width + i], matrix[row][width + count + i])
            for row, kode in enumerate(table.index.codes)
            for i, field_id in enumerate(fields)
        ]
        shares = [(contest, kode, _vector_text(vector)) for kode, vector in table.share_rows()]
        targets = (
            ("region_tally", ("contest", "kode", *TALLY_COLUMNS), regions),
            ("region_tally_value", ("contest", "kode", "field", "counted", "held"), values),
            ("tally_tps", ("contest", "kode_tps", "vector"), shares),
        )
        for target in (region_tally, region_tally_value, tally_tps):
            connection.execute(delete(target).where(target.c.contest == contest))
        raw = connection.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            for name, columns, rows in targets:
                _bulk_insert(cursor, connection.dialect.name, name, columns, rows)
        finally:
            cursor.close()

    # Reading -------------------------------------------------------------------------------
    def table(self, index: RegionIndex | None = None) -> TallyTable:
        """The stored tally as a matrix over ``index`` (to compare with a rebuild)."""
        index = index or self.index
        matrix = np.zeros((len(index), self.layout.width), dtype=np.int64)
        position = {f: i for i, f in enumerate(self.layout.fields)}
        width, count = len(COVERAGE), len(self.layout.fields)
        with self.engine.connect() as connection:
            query = select(region_tally).where(region_tally.c.contest == self.contest)
            for row in connection.execute(query).mappings():
                at = index.row_of.get(row["kode"])
                if at is not None:
                    matrix[at, :width] = [row[c] for c in COVERAGE]
            query = select(region_tally_value).where(region_tally_value.c.contest == self.contest)
            for row in connection.execute(query).mappings():
                at = index.row_of.get(row["kode"])
                if at is not None and row["field"] in position:
                    matrix[at, width + position[row["field"]]] = row["counted"]
                    matrix[at, width + count + position[row["field"]]] = row["held"]
        return TallyTable(index, self.layout, matrix)

    def region(self, kode: str) -> RegionTally | None:
        """A region's stored tally; None when nothing has been stored for it."""
        with self.engine.connect() as connection:
            found = self._regions_in(connection, [kode])
        return found.get(kode)

    def regions(self, codes: Sequence[str]) -> dict[str, RegionTally]:
        """The stored tally of each region of the index named (zero where nothing is stored
        yet), read in one transaction so that a page's parent and children agree."""
        wanted = [c for c in codes if self.index.covers(c)]
        with self.engine.begin() as connection:
            found = self._regions_in(connection, wanted)
        zero = (0,) * self.layout.width
        return {
            kode: found.get(kode)
            or RegionTally.from_vector(kode, self._expected(kode), zero, self.layout)
            for kode in wanted
        }

    def _regions_in(self, connection: Connection, codes: Sequence[str]) -> dict[str, RegionTally]:
        covers: dict[str, Mapping[str, Any]] = {}
        numbers: dict[str, dict[str, tuple[int, int]]] = {}
        for start in range(0, len(codes), CHUNK):
            part = codes[start : start + CHUNK]
            query = select(region_tally).where(
                region_tally.c.contest == self.contest, region_tally.c.kode.in_(part)
            )
            covers.update((r["kode"], dict(r)) for r in connection.execute(query).mappings())
            query = select(region_tally_value).where(
                region_tally_value.c.contest == self.contest, region_tally_value.c.kode.in_(part)
            )
            for r in connection.execute(query).mappings():
                numbers.setdefault(r["kode"], {})[r["field"]] = (int(r["counted"]), int(r["held"]))
        fields = self.layout.fields
        out = {}
        for kode, cover in covers.items():
            mine = numbers.get(kode, {})
            vector = (
                *(int(cover[c]) for c in COVERAGE),
                *(mine.get(f, (0, 0))[0] for f in fields),
                *(mine.get(f, (0, 0))[1] for f in fields),
            )
            expected = int(cover["tps_expected"])
            out[kode] = RegionTally.from_vector(kode, expected, vector, self.layout)
        return out

    # Inputs ----------------------------------------------------------------------------------
    def states(self) -> list[TpsState]:
        """Every TPS the store knows anything about, as the tally sees it (the same rule as
        the live updates: ``tally_inputs``)."""
        with self.engine.connect() as connection:
            return self._states_in(connection)

    def _states_in(self, connection: Connection) -> list[TpsState]:
        rows = read_rows(connection, self.contest)
        return [tally_state(rows[kode], self.checks) for kode in sorted(rows)]

    def records(self) -> list[TpsRecord]:
        """Every stored result with its findings and sources, for a snapshot."""
        with self.engine.connect() as connection:
            inputs = read_rows(connection, self.contest)
            changed = numbers_changed_at(connection, self.contest)
            results = connection.execute(
                select(tps_result).where(tps_result.c.contest == self.contest)
            ).mappings()
            out = []
            for row in results:
                kode = row["kode_tps"]
                found = self.checks(inputs[kode])
                findings = tuple(sorted(found, key=lambda f: not f.blocking))
                source = Provenance(SourceKind(row["source_kind"]), row["source_ref"])
                updated = parse_updated_at(row["published_at"] or changed.get(kode))
                state = tally_state(inputs[kode], self.checks)
                photos = tuple(row["photos"] or ())
                out.append(TpsRecord(state, row["jenis"], findings, source, {}, photos, updated))
            # A TPS whose photos arrived but whose numbers are not out yet (being read, or
            # with people) still counts in the snapshot's coverage, without numbers.
            with_result = {record.kode_tps for record in out}
            tree = region_tree()
            for kode, rows in inputs.items():
                if kode in with_result:
                    continue
                state = tally_state(rows, self.checks)
                if state.stage is not TpsStage.NONE:
                    out.append(TpsRecord(state, _jenis_of(tree, kode)))
        return out


def _jenis_of(tree: RegionTree, kode_tps: str) -> str:
    try:
        return tree.jenis_of(KodeWilayah.parse(kode_tps)).value
    except InvalidKodeWilayah:
        return JenisTps.TPS.value


class LiveTally:
    """The stored tally of every contest with a ballot, as the write paths keep it in step:
    each calls ``refresh_in`` in the transaction of its change, after its writes."""

    def __init__(self, engine: Engine, stores: Iterable[TallyStore] = ()) -> None:
        self.engine = engine
        self._stores: dict[str, TallyStore | None] = {s.contest: s for s in stores}

    def store(self, contest: str) -> TallyStore | None:
        if contest not in self._stores:
            tallied = contest in TALLIED_CONTESTS
            self._stores[contest] = (
                TallyStore(self.engine, contest_layout(contest)) if tallied else None
            )
        return self._stores[contest]

    def refresh_in(self, connection: Connection, contest: str, codes: Iterable[str]) -> int:
        store = self.store(contest)
        return 0 if store is None else store.refresh_in(connection, codes)
