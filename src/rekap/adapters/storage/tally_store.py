"""The live tally in the relational store, and the TPS results it is computed from.

``apply`` moves one TPS's change into its desa and every ancestor in one transaction: read
what the TPS added before, then two UPDATEs over the five ancestor rows and an upsert of the
TPS's share, whatever the size of the country. ``replace`` stores a full rebuild.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, delete, select, text

from rekap.adapters.storage.schema import (
    finding,
    region_tally,
    region_tally_value,
    tally_tps,
    tps_result,
)
from rekap.domain.result import Provenance, SourceKind
from rekap.domain.timezones import WIB
from rekap.publish.records import TpsRecord
from rekap.rules.finding import Finding, Severity
from rekap.rules.registry import rule_by_id
from rekap.tally.contribution import TpsState, Vector, contribution, delta, is_zero
from rekap.tally.index import RegionIndex, UnplacedTps
from rekap.tally.layout import COVERAGE, TallyLayout
from rekap.tally.region_tally import RegionTally
from rekap.tally.stage import TpsStage
from rekap.tally.table import TallyTable

STAGE_OF_SOURCE = {"entry": TpsStage.VERIFIED, "photo": TpsStage.READ, "import": TpsStage.READ}


class TallyNotInitialised(LookupError):
    """The region rows of a contest are missing: run a full rebuild first."""


def stage_of(source_kind: str, has_values: bool, photos: Iterable[str]) -> TpsStage:
    """The stage a stored result has reached (until the capture workflow records it)."""
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


class TallyStore:
    def __init__(self, engine: Engine, layout: TallyLayout) -> None:
        self.engine = engine
        self.layout = layout
        self.contest = layout.contest
        self._statements = self._prepare()

    def _prepare(self) -> dict[str, Any]:
        codes = ", ".join(f":k{i}" for i in range(5))
        coverage = ", ".join(f'"{c}" = "{c}" + :{c}' for c in COVERAGE)
        return {
            "old": text(
                "SELECT vector FROM tally_tps WHERE contest = :contest AND kode_tps = :kode"
            ),
            "coverage": text(
                f"UPDATE region_tally SET {coverage} WHERE contest = :contest AND kode IN ({codes})"
            ),
            "share": text(
                "INSERT INTO tally_tps (contest, kode_tps, vector) "
                "VALUES (:contest, :kode, :vector) "
                "ON CONFLICT (contest, kode_tps) DO UPDATE SET vector = excluded.vector"
            ),
        }

    def _values_statement(self, changed: int) -> Any:
        """UPDATE of the value rows of ``changed`` fields over the five ancestors (cached)."""
        key = f"values-{changed}"
        if key not in self._statements:
            codes = ", ".join(f":k{i}" for i in range(5))
            fields = ", ".join(f":f{i}" for i in range(changed))
            counted = " ".join(f"WHEN :f{i} THEN :c{i}" for i in range(changed))
            held = " ".join(f"WHEN :f{i} THEN :h{i}" for i in range(changed))
            self._statements[key] = text(
                f"UPDATE region_tally_value SET counted = counted + CASE field {counted} "
                f"ELSE 0 END, held = held + CASE field {held} ELSE 0 END "
                f"WHERE contest = :contest AND kode IN ({codes}) AND field IN ({fields})"
            )
        return self._statements[key]

    # One TPS at a time ---------------------------------------------------------------------
    def apply(self, state: TpsState) -> Vector:
        """Bring the tally of the TPS's desa and every ancestor up to ``state``."""
        new = contribution(state, self.layout)
        with self.engine.begin() as connection:
            return self.apply_in(connection, state.kode_tps, new)

    def apply_in(self, connection: Connection, kode_tps: str, new: Vector) -> Vector:
        """The same inside the caller's transaction (e.g. with the change that caused it)."""
        contest = self.contest
        row = connection.execute(self._statements["old"], {"contest": contest, "kode": kode_tps})
        found = row.scalar_one_or_none()
        old = tuple(json.loads(found)) if found is not None else None
        change = delta(old, new, self.layout)
        if is_zero(change):
            return change
        codes = {f"k{i}": code for i, code in enumerate(ancestors(kode_tps))}
        width = len(COVERAGE)
        cover = dict(zip(COVERAGE, change[:width], strict=True))
        if any(cover.values()):
            done = connection.execute(
                self._statements["coverage"], {"contest": contest, **codes, **cover}
            )
            if done.rowcount != 5:
                raise UnplacedTps(f"{kode_tps}: {done.rowcount} of 5 region rows (rebuild?)")
        fields = self.layout.fields
        counted, held = change[width : width + len(fields)], change[width + len(fields) :]
        changed = [i for i in range(len(fields)) if counted[i] or held[i]]
        if changed:
            params: dict[str, object] = {"contest": contest, **codes}
            for j, i in enumerate(changed):
                params[f"f{j}"] = fields[i]
                params[f"c{j}"] = counted[i]
                params[f"h{j}"] = held[i]
            done = connection.execute(self._values_statement(len(changed)), params)
            if done.rowcount != 5 * len(changed):
                raise UnplacedTps(f"{kode_tps}: value rows missing (rebuild?)")
        vector = json.dumps(list(new), separators=(",", ":"))
        connection.execute(
            self._statements["share"], {"contest": contest, "kode": kode_tps, "vector": vector}
        )
        return change

    # Whole contest -------------------------------------------------------------------------
    def replace(self, table: TallyTable) -> None:
        """Store a full rebuild: every region's tally and every TPS's share, in one transaction
        (PostgreSQL's COPY, or SQLite's executemany: a national rebuild is 1.5M rows)."""
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
        shares = [
            (contest, kode, "[" + ",".join(map(str, vector)) + "]")
            for kode, vector in table.share_rows()
        ]
        targets = (
            ("region_tally", ("contest", "kode", *TALLY_COLUMNS), regions),
            ("region_tally_value", ("contest", "kode", "field", "counted", "held"), values),
            ("tally_tps", ("contest", "kode_tps", "vector"), shares),
        )
        with self.engine.begin() as connection:
            for target in (region_tally, region_tally_value, tally_tps):
                connection.execute(delete(target).where(target.c.contest == contest))
            raw = connection.connection.dbapi_connection
            assert raw is not None
            cursor = raw.cursor()
            try:
                for name, columns, rows in targets:
                    _bulk_insert(cursor, self.engine.dialect.name, name, columns, rows)
            finally:
                cursor.close()

    def table(self, index: RegionIndex) -> TallyTable:
        """The stored tally as a matrix over ``index`` (to compare with a rebuild)."""
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
        with self.engine.connect() as connection:
            cover = (
                connection.execute(
                    select(region_tally).where(
                        region_tally.c.contest == self.contest, region_tally.c.kode == kode
                    )
                )
                .mappings()
                .first()
            )
            if cover is None:
                return None
            numbers = {
                r["field"]: (int(r["counted"]), int(r["held"]))
                for r in connection.execute(
                    select(region_tally_value).where(
                        region_tally_value.c.contest == self.contest,
                        region_tally_value.c.kode == kode,
                    )
                ).mappings()
            }
        fields = self.layout.fields
        vector = (
            *(int(cover[c]) for c in COVERAGE),
            *(numbers.get(f, (0, 0))[0] for f in fields),
            *(numbers.get(f, (0, 0))[1] for f in fields),
        )
        return RegionTally.from_vector(kode, int(cover["tps_expected"]), vector, self.layout)

    # Inputs ----------------------------------------------------------------------------------
    def blocking_tps(self) -> set[str]:
        query = (
            select(finding.c.kode_tps)
            .distinct()
            .where(finding.c.contest == self.contest, finding.c.severity == "blocking")
        )
        with self.engine.connect() as connection:
            return {kode for (kode,) in connection.execute(query)}

    def states(self) -> list[TpsState]:
        """Every stored result of the contest as the tally sees it."""
        blocking = self.blocking_tps()
        query = select(
            tps_result.c.kode_tps,
            tps_result.c.fields,
            tps_result.c.source_kind,
            tps_result.c.photos,
        ).where(tps_result.c.contest == self.contest)
        out = []
        with self.engine.connect() as connection:
            for kode, fields, kind, photos in connection.execute(query):
                values = {k: int(v) for k, v in fields.items()}
                stage = stage_of(kind, bool(values), photos or ())
                out.append(TpsState(kode, stage, kode in blocking, values))
        return out

    def records(self) -> list[TpsRecord]:
        """Every stored result with its findings and sources, for a snapshot."""
        found: dict[str, list[Finding]] = {}
        query = select(finding).where(finding.c.contest == self.contest).order_by(finding.c.id)
        with self.engine.connect() as connection:
            for row in connection.execute(query).mappings():
                found.setdefault(row["kode_tps"], []).append(_finding(dict(row)))
            rows = connection.execute(
                select(tps_result).where(tps_result.c.contest == self.contest)
            ).mappings()
            out = []
            for row in rows:
                kode = row["kode_tps"]
                values = {k: int(v) for k, v in row["fields"].items()}
                findings = tuple(sorted(found.get(kode, ()), key=lambda f: not f.blocking))
                photos = tuple(row["photos"] or ())
                state = TpsState(
                    kode,
                    stage_of(row["source_kind"], bool(values), photos),
                    any(f.blocking for f in findings),
                    values,
                )
                source = Provenance(SourceKind(row["source_kind"]), row["source_ref"])
                updated = parse_updated_at(row["published_at"])
                out.append(TpsRecord(state, row["jenis"], findings, source, {}, photos, updated))
        return out


def _finding(row: Mapping[str, Any]) -> Finding:
    """A stored finding; the Indonesian message is re-derived from the rule when it can be."""
    evidence = dict(row["evidence"])
    message_id = row["message"]
    with contextlib.suppress(KeyError, IndexError, ValueError):
        message_id = rule_by_id(row["rule"]).message_id.format(**evidence)
    return Finding(
        rule=row["rule"],
        severity=Severity(row["severity"]),
        fields=tuple(row["fields"]),
        message=message_id,
        message_en=row["message"],
        evidence=evidence,
    )
