"""The store for regions, imports, TPS results and findings, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from rekap.adapters.storage.event_store import EventLog, lock_writers
from rekap.adapters.storage.import_merge import StoredResult, merge
from rekap.adapters.storage.result_findings import finding_rows
from rekap.adapters.storage.schema import (
    finding,
    finding_batch,
    import_error,
    import_run,
    region,
    tps_result,
)
from rekap.adapters.storage.tally_store import LiveTally
from rekap.domain.region_tree import JenisTps, RegionTree
from rekap.domain.result import Provenance, SourceKind, TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.events.model import Event
from rekap.rules.finding import Finding
from rekap.sources.sirekap import ImportedTps, RejectedRow, ts_order

CHUNK = 5000


class Saved(NamedTuple):
    stored: int
    kept_newer: tuple[str, ...]
    """TPS whose stored version is newer than the one offered: left as they were."""
    undated: int = 0
    """TPS stored without a ``ts`` over a version that had one (their order unknown)."""
    kept_own: tuple[str, ...] = ()
    """TPS whose stored numbers are rekap's own (read from photos or entered by verifiers):
    an import never replaces them."""


_OWN_SOURCES = frozenset({SourceKind.PHOTO.value, SourceKind.ENTRY.value})


def _older(row: Mapping[str, Any], stored_ts: str | None) -> bool:
    """Whether the version offered is older than the stored one (both with a ``ts``; the
    formats Sirekap used, ``2024-02-16 16:25:10`` and ``2024-02-16T16:25:10``, compared alike)."""
    offered = row.get("published_at")
    if not offered or not stored_ts:
        return False
    return ts_order(str(offered)) < ts_order(stored_ts)


def _undated_over_dated(row: Mapping[str, Any], stored_ts: str | None) -> bool:
    """A version without a ``ts`` offered for one stored with one: which is newer cannot be
    told; it is stored (importing is the operator's choice) and counted, to be said."""
    return not row.get("published_at") and bool(stored_ts)


def _chunks(
    rows: Sequence[dict[str, Any]], size: int = CHUNK
) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _kinds(found: Sequence[Finding] | None) -> tuple[bool, bool]:
    return bool(found), any(f.blocking for f in found or ())


class SqlStore:
    """All reads and writes of the relational store; the engine is handed in."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.tally = LiveTally(engine)
        """The stored tally, brought up to every result and finding in the same transaction."""

    def _refresh_tally(self, connection: Connection, keys: Iterable[tuple[str, str]]) -> None:
        by_contest: dict[str, list[str]] = {}
        for kode, contest in keys:
            by_contest.setdefault(contest, []).append(kode)
        for contest, codes in by_contest.items():
            self.tally.refresh_in(connection, contest, codes)

    # Regions -----------------------------------------------------------------------------
    def load_regions(self, tree: RegionTree) -> int:
        counts = tree.tps_counts()
        rows = [
            {
                "kode": r.kode.value,
                "nama": r.nama,
                "level": int(r.level),
                "parent": r.kode.parent.value if r.kode.parent is not None else None,
                "jenis": r.jenis.value if r.jenis else None,
                "tps_count": counts[r.kode.value],
            }
            for r in tree.regions.values()
        ]
        with self.engine.begin() as connection:
            connection.execute(delete(region))
            for chunk in _chunks(rows):
                connection.execute(insert(region), list(chunk))
        return len(rows)

    def region_count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(region)).scalar_one())

    # Imports -----------------------------------------------------------------------------
    def start_import(self, source: str, contest: str, started_at: datetime) -> int:
        with self.engine.begin() as connection:
            row = connection.execute(
                insert(import_run).values(
                    source=source,
                    contest=contest,
                    started_at=started_at,
                    rows_read=0,
                    accepted=0,
                    empty=0,
                    rejected=0,
                    superseded=0,
                )
            )
            key = row.inserted_primary_key
            assert key is not None
            return int(key[0])

    def save_import_errors(self, run_id: int, rejected: Sequence[RejectedRow]) -> None:
        """Store rows an import rejected, with their reasons (as they come, a batch at a
        time: an import of a file of garbage keeps no more than a batch in memory)."""
        errors = [
            {"run_id": run_id, "origin": r.origin, "kode": r.kode, "reason": r.reason}
            for r in rejected
        ]
        with self.engine.begin() as connection:
            for chunk in _chunks(errors):
                connection.execute(insert(import_error), list(chunk))

    def finish_import(self, run_id: int, counts: Mapping[str, int], finished_at: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(import_run)
                .where(import_run.c.id == run_id)
                .values(finished_at=finished_at, **counts)
            )

    def import_errors(self, run_id: int) -> list[tuple[str, str | None, str]]:
        query = select(import_error.c.origin, import_error.c.kode, import_error.c.reason).where(
            import_error.c.run_id == run_id
        )
        with self.engine.connect() as connection:
            return [(o, k, r) for o, k, r in connection.execute(query.order_by(import_error.c.id))]

    def save_results(
        self,
        run_id: int | None,
        items: Iterable[ImportedTps],
        log: EventLog,
        at: datetime,
        actor: str,
    ) -> Saved:
        """Insert or update results (the newest version of a TPS wins), logging every change.

        A TPS seen for the first time gives a ``result.imported`` event (its numbers, photos,
        source row and time); a later version gives one ``result.value_changed`` event per
        number that differs, a ``result.source_changed`` when its numbers come from another
        row, and a ``result.photos_changed`` when its photos differ; an identical one, none,
        and is not written (``import_merge`` says what each part keeps). A version older (by
        its ``ts``: the newer of its numbers' and its photos') than the one stored is not
        stored: an older file imported after a newer one never takes numbers or photos back
        (its TPS are in ``kept_newer``). Numbers rekap read from photos or its verifiers
        entered are never replaced by an import (``kept_own``); nor are numbers, or where they
        came from, by a version with photos and no number.
        """
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for item in items:
            result = item.result
            source = result.source or Provenance(SourceKind.IMPORT, item.origin)
            rows[(result.kode_tps.value, result.contest)] = {
                "kode_tps": result.kode_tps.value,
                "contest": result.contest,
                "kode_desa": result.kode_tps.value[:10],
                "jenis": result.jenis.value,
                "fields": dict(result.values),
                "source_kind": source.kind.value,
                "source_ref": source.reference,
                "photos": list(result.photos),
                "published_at": item.published_at,
                "run_id": run_id,
            }
        if not rows:
            return Saved(0, (), 0)
        statement = self._upsert(tps_result, ("kode_tps", "contest"))
        with self.engine.begin() as connection:
            lock_writers(connection)  # what is stored stands until these rows are written
            stored = self._stored_results(connection, list(rows))
            own = [k for k in rows if k in stored and stored[k].source_kind in _OWN_SOURCES]
            for key in own:
                del rows[key]
            kept = [
                k for k, row in rows.items() if k in stored and _older(row, stored[k].version_ts)
            ]
            undated = sum(
                1
                for k, row in rows.items()
                if k in stored and _undated_over_dated(row, stored[k].version_ts)
            )
            for key in kept:
                del rows[key]
            events: list[Event] = []
            changed: list[dict[str, Any]] = []
            for key, row in rows.items():
                found = merge(row, stored.get(key))
                if found:
                    events.extend(found)
                    changed.append(row)
            for chunk in _chunks(changed):
                connection.execute(statement, list(chunk))
            log.append(connection, events, at, actor, f"import run {run_id}")
            self._refresh_tally(connection, ((r["kode_tps"], r["contest"]) for r in changed))
        return Saved(
            len(rows), tuple(kode for kode, _ in kept), undated, tuple(kode for kode, _ in own)
        )

    @staticmethod
    def _stored_results(
        connection: Connection, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], StoredResult]:
        """What is stored of each of these TPS results that is there."""
        found: dict[tuple[str, str], StoredResult] = {}
        by_contest: dict[str, list[str]] = {}
        for kode, contest in keys:
            by_contest.setdefault(contest, []).append(kode)
        columns = (
            tps_result.c.kode_tps,
            tps_result.c.fields,
            tps_result.c.source_kind,
            tps_result.c.source_ref,
            tps_result.c.published_at,
            tps_result.c.photos,
            tps_result.c.photos_published_at,
        )
        for contest, kodes in by_contest.items():
            for start in range(0, len(kodes), 900):
                query = select(*columns).where(
                    tps_result.c.contest == contest,
                    tps_result.c.kode_tps.in_(kodes[start : start + 900]),
                )
                for kode, fields, kind, ref, published, photos, photos_at in connection.execute(
                    query
                ):
                    found[(kode, contest)] = StoredResult(
                        dict(fields), kind, ref, published, list(photos or ()), photos_at
                    )
        return found

    def _upsert(self, table: Any, keys: tuple[str, ...]) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(table)
        changed = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
        return statement.on_conflict_do_update(index_elements=list(keys), set_=changed)

    def load_result(self, kode_tps: str, contest: str) -> TpsResult | None:
        query = select(tps_result).where(
            tps_result.c.kode_tps == kode_tps, tps_result.c.contest == contest
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            return None
        return TpsResult(
            kode_tps=KodeWilayah(row["kode_tps"]),
            contest=row["contest"],
            values={k: int(v) for k, v in row["fields"].items()},
            source=Provenance(SourceKind(row["source_kind"]), row["source_ref"]),
            jenis=JenisTps(row["jenis"]),
            photos=tuple(row["photos"]),
        )

    def all_values(self) -> dict[tuple[str, str], dict[str, int]]:
        """Every stored result's numbers, by (kode_tps, contest)."""
        query = select(tps_result.c.kode_tps, tps_result.c.contest, tps_result.c.fields)
        with self.engine.connect() as connection:
            return {(k, c): dict(f) for k, c, f in connection.execute(query)}

    def imported_sources(self) -> Iterator[tuple[tuple[str, str], dict[str, object]]]:
        """Where each stored imported result came from (its numbers' row and time, its photos
        and their row's time), by (kode_tps, contest), a batch at a time."""
        query = select(
            tps_result.c.kode_tps,
            tps_result.c.contest,
            tps_result.c.source_ref,
            tps_result.c.published_at,
            tps_result.c.photos,
            tps_result.c.photos_published_at,
        ).where(tps_result.c.source_kind == SourceKind.IMPORT.value)
        with self.engine.connect() as connection:
            rows = connection.execution_options(yield_per=CHUNK).execute(query)
            for kode, contest, ref, published, photos, photos_at in rows:
                parts: dict[str, object] = {
                    "source_ref": ref,
                    "published_at": published,
                    "photos": tuple(photos or ()),
                    "photos_published_at": photos_at,
                }
                yield (kode, contest), parts

    def result_count(self, contest: str) -> int:
        query = select(func.count()).select_from(tps_result).where(tps_result.c.contest == contest)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    # Findings ----------------------------------------------------------------------------
    def replace_findings(
        self, contest: str, kodes: Iterable[str], found: Mapping[str, Sequence[Finding]]
    ) -> int:
        """Replace the findings of the given TPS with ``found`` (empty for a clean TPS), as an
        import does: no event about each TPS, but a ``finding_batch`` row that says findings
        changed in bulk (the portal rebuilds its figures when it sees one)."""
        codes = list(kodes)
        rows = [row for kode in codes for row in finding_rows(contest, kode, found.get(kode, ()))]
        with self.engine.begin() as connection:
            connection.execute(
                insert(finding_batch).values(contest=contest, tps=len(codes), findings=len(rows))
            )
            before = self._finding_kinds(connection, contest, codes)
            for start in range(0, len(codes), 900):
                connection.execute(
                    delete(finding).where(
                        finding.c.contest == contest,
                        finding.c.kode_tps.in_(codes[start : start + 900]),
                    )
                )
            for chunk in _chunks(rows):
                connection.execute(insert(finding), list(chunk))
            # Only a TPS whose findings changed kind (none, warnings only, blocking) can
            # contribute differently: the tally reads the others back unchanged.
            changed = [k for k in codes if before.get(k, (False, False)) != _kinds(found.get(k))]
            self._refresh_tally(connection, ((kode, contest) for kode in changed))
        return len(rows)

    @staticmethod
    def _finding_kinds(
        connection: Connection, contest: str, codes: Sequence[str]
    ) -> dict[str, tuple[bool, bool]]:
        """(any finding, any blocking finding) of each TPS that has a finding now."""
        kinds: dict[str, tuple[bool, bool]] = {}
        for start in range(0, len(codes), 900):
            query = select(finding.c.kode_tps, finding.c.severity).where(
                finding.c.contest == contest, finding.c.kode_tps.in_(codes[start : start + 900])
            )
            for kode, severity in connection.execute(query):
                blocking = kinds.get(kode, (True, False))[1] or severity == "blocking"
                kinds[kode] = (True, blocking)
        return kinds

    def findings_per_rule(self, contest: str) -> dict[str, int]:
        query = (
            select(finding.c.rule, func.count(func.distinct(finding.c.kode_tps)))
            .where(finding.c.contest == contest)
            .group_by(finding.c.rule)
        )
        with self.engine.connect() as connection:
            return {rule: int(n) for rule, n in connection.execute(query)}
