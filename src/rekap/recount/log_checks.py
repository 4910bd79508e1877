"""The snapshot's change log against its manifest and its bulk data.

The chain must hold from the first event (``verify_chain``), its last event must be exactly the
manifest's ``log_head``, and every TPS number of the bulk data must be what replaying the log up
to that head gives (``replay_values``: a result imported, then each number changed, whether by a
photo read and accepted, a verification or an import). The numbers of a TPS held by a blocking
finding are compared too: the bulk data publishes them. In the same pass over the bulk data,
each imported TPS's source row and photos are compared with what the log says of them
(``rekap.recount.source_checks``), and each captured TPS's photos and source with the photos
the log received, the tasks it closed and, where it names its photos by id, the photos the
store chose when it published the numbers (``rekap.recount.capture_checks``); then each TPS's
``updated_at`` with when the log says its numbers last changed (``rekap.recount.updated_checks``).

Nothing in a log file is trusted before it has passed: a file that failed its hash against the
manifest is not read at all, and a record is replayed only once the chain has accepted it. A
record the chain accepts but that cannot be replayed (a shape no event of its kind has: a
publisher's bug, or a stolen key) is a broken log too, named with its file and event.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from rekap.events.chain import Recorded, unknown_kinds_note, verify_chain
from rekap.events.replay import Values, apply_record
from rekap.events.replay_sources import Sources, apply_source_record
from rekap.recount.aggregate import connect, quote_path
from rekap.recount.capture_checks import (
    CAPTURED,
    Captured,
    Unreplayed,
    captured_differences,
)
from rekap.recount.layout import LOG_DIR, MANIFEST, bulk_tps, log_first, unplaced
from rekap.recount.log_read import LogReader, LogUnreadable
from rekap.recount.photos import pages_of
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.source_checks import IMPORT, Source, SourceDifferences, source_of
from rekap.recount.updated_checks import NumbersChanged, Unplaced, check_times

MAX_NAMED = 50
_FETCH = 50_000


def log_paths(manifest: Mapping[str, Any]) -> list[str]:
    """The log files the manifest lists, in sequence order."""
    found = [p for p in manifest.get("files", {}) if log_first(p) is not None]
    return sorted(found, key=lambda p: log_first(p) or 0)


def _head(manifest: Mapping[str, Any], report: RecountReport) -> tuple[int, str] | None:
    head = manifest.get("log_head")
    if isinstance(head, dict):
        sequence, digest = head.get("sequence"), head.get("hash")
        if isinstance(sequence, int) and isinstance(digest, str):
            return sequence, digest
    report.add(Kind.MANIFEST, MANIFEST, f"log_head is not a sequence and hash: {head}")
    return None


BEFORE_LOGS = "rekap-snapshot/1"
"""The format of snapshots published before they carried the change log (the signed manifest
says which, so a log cannot be stripped from a newer snapshot by calling it older)."""


@dataclass(frozen=True)
class Chain:
    """The log found whole up to the manifest's head, the numbers it gives and where each
    imported result came from, and when each TPS's numbers last changed: replayed in the same
    pass that verified it (each file is read and parsed once)."""

    head: int
    logged: Values
    sources: Sources
    captured: Captured
    changed: NumbersChanged


def check_chain(
    folder: Path, manifest: Mapping[str, Any], passed: set[str], report: RecountReport
) -> Chain | None:
    """The chain and its head; ``(head sequence, files)`` when the TPS numbers can be compared
    with the log, None (with a problem or a note in the report) when they cannot. Only log
    files in ``passed`` (those whose hash matched the manifest's) are read."""
    paths = log_paths(manifest)
    if manifest.get("log_head") is None:
        if paths:
            report.add(Kind.LOG, paths[0], "log files, but the manifest names no log head")
        else:
            report.notes.append(
                "The change log was not checked: the manifest names no log head "
                "(nothing was logged, or a snapshot made without rekap's store)."
            )
        return None
    head = _head(manifest, report)
    if head is None:
        return None
    if not paths and manifest.get("format") == BEFORE_LOGS:
        report.notes.append(
            f"The change log was not checked: this snapshot ({BEFORE_LOGS}) was published "
            "before snapshots carried it; `rekap log verify` checks the log against the store."
        )
        return None
    if not paths:
        report.add(Kind.LOG, LOG_DIR, f"the manifest names log head {head[0]}, but no log files")
        return None
    failed = [p for p in paths if p not in passed]
    if failed:  # each is named already, as missing or corrupted
        report.notes.append(
            f"The change log was not checked: {failed[0]} failed its check"
            + (f" (and {len(failed) - 1} more log files)." if len(failed) > 1 else ".")
        )
        return None
    found = _walk(folder, paths, head, manifest, report)
    if isinstance(found, str):
        report.notes.append(f"The TPS numbers were not compared with the change log: {found}.")
        return None
    return found


def _walk(
    folder: Path,
    paths: Sequence[str],
    head: tuple[int, str],
    manifest: Mapping[str, Any],
    report: RecountReport,
) -> Chain | str:
    """Verify the chain file after file, replaying the records that concern the snapshot as
    the chain accepts them: the chain and its numbers, or why the numbers cannot be compared."""
    sequence, digest = head
    reader = LogReader(folder, paths)
    scope = [str(s) for s in manifest.get("scope") or ()]
    replay = Replay(sequence, str(manifest.get("contest", "")), scope)
    try:
        check = verify_chain(_replaying(reader, replay))
    except LogUnreadable as error:
        report.add(Kind.LOG, error.path, f"line {error.line}: {error.reason}")
        return "a log file cannot be read"
    except RecursionError:  # a payload nested deeper than its hash can be computed
        report.add(Kind.LOG, reader.current, f"event {replay.last} is nested too deeply to check")
        return "a log file cannot be read"
    report.checked["log events verified"] += check.checked
    if check.unknown_kinds:
        report.notes.append(unknown_kinds_note(check.unknown_kinds))
    for path, first in reader.misnamed:
        report.add(Kind.LOG, path, f"starts at event {first}, its name says {log_first(path)}")
    if replay.failure is not None:
        report.add(Kind.LOG, *replay.failure)
    if not check.ok:
        detail = f"log chain broken at sequence {check.broken_at}: {check.problem}"
        report.add(Kind.LOG, reader.current, detail)
        return "the chain is broken"
    last = check.head
    if last is None or last.sequence != sequence:
        ends = 0 if last is None else last.sequence
        report.add(Kind.LOG, paths[-1], f"the log ends at {ends}, the manifest names {sequence}")
        return "the log does not end at the manifest's head"
    if last.hash != digest:
        detail = f"event {sequence} has hash {last.hash}, the manifest names {digest}"
        report.add(Kind.LOG, paths[-1], detail)
        return "the log does not end at the manifest's head"
    if replay.failure is not None:
        return "an event of the log cannot be replayed"
    return Chain(sequence, replay.logged, replay.sources, replay.captured, replay.changed)


class Replay:
    """The numbers of the records about the snapshot (up to its head, its contest, a TPS in
    its scope), when each TPS's last changed and the sources of its imported results, applied
    one record at a time;
    ``failure`` is ``(file, detail)`` for the first record that cannot be applied (none is
    applied after it), ``last`` the sequence of the record read last."""

    def __init__(self, head: int, contest: str, scope: Sequence[str]) -> None:
        self.head = head
        self.contest = contest
        self.prefixes = tuple(scope)
        self.logged: Values = {}
        self.sources: Sources = {}
        self.captured = Captured()
        self.changed = NumbersChanged()
        self.failure: tuple[str, str] | None = None
        self.last = 0

    def apply(self, record: Recorded, path: str) -> None:
        if self.failure is not None or record.sequence > self.head:
            return
        try:
            about = record.payload.get("contest", self.contest)
            kode = str(record.payload.get("kode_tps", ""))
            if about == self.contest and (
                not self.prefixes or not kode or kode.startswith(self.prefixes)
            ):
                apply_record(self.logged, record)
                self.changed.apply(record, kode)
                apply_source_record(self.sources, record)
                self.captured.apply(record)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
            reason = f"no {error.args[0]!r}" if isinstance(error, KeyError) else str(error)
            detail = f"event {record.sequence} ({record.kind}) cannot be replayed: {reason}"
            self.failure = (path, detail)


def _replaying(reader: LogReader, replay: Replay) -> Iterator[Recorded]:
    """Every record, on to the chain's check, each applied to ``replay`` once the check has
    accepted it: ``verify_chain`` asks for the next record only after accepting this one, and
    stops at the first it does not (which is never applied). The numbers are used only once
    the whole chain has held."""
    for record in reader:
        replay.last = record.sequence
        path = reader.current
        yield record
        replay.apply(record, path)


def _say(value: int | None) -> str:
    return "nothing" if value is None else str(value)


class Differences:
    """The numbers that differ from the log, the first ``MAX_NAMED`` of each file by name."""

    def __init__(self, report: RecountReport) -> None:
        self.report = report
        self.count: dict[str, int] = {}

    def add(
        self, path: str, kode: str, field: str, says: str, published: int | None, logged: int | None
    ) -> None:
        done = self.count.get(path, 0)
        self.count[path] = done + 1
        if done < MAX_NAMED:
            self.report.add(
                Kind.UNLOGGED,
                path,
                f"TPS {kode} {field}: {says} says {_say(published)}, the log says {_say(logged)}",
            )

    def compare(
        self,
        path: str,
        kode: str,
        says: str,
        published: Mapping[str, int],
        logged: Mapping[str, int],
    ) -> None:
        for field in sorted(published.keys() | logged.keys()):
            if published.get(field) != logged.get(field):
                self.add(path, kode, field, says, published.get(field), logged.get(field))

    def close(self) -> None:
        for path, count in self.count.items():
            if count > MAX_NAMED:
                self.report.add(
                    Kind.UNLOGGED, path, f"… {count - MAX_NAMED} more numbers differ from the log"
                )


@dataclass(frozen=True)
class BulkRows:
    """The bulk data's TPS that hold anything to compare with the log, in code order, each
    ``(kode_tps, source_kind, source_ref, photos, *numbers)``: ``numbers`` of the ``present``
    fields; ``sources`` and ``photos`` say whether the file has those columns at all, and
    ``total`` counts every row of the file."""

    present: list[str]
    sources: bool
    photos: bool
    total: int
    rows: Iterator[tuple[Any, ...]]


def _bulk_rows(path: Path, fields: Sequence[str], logged: Collection[str]) -> BulkRows:
    """The rows with a number, a source, or a TPS in ``logged`` (those the log says anything
    of): any other row has nothing, and the log says nothing of it, so it agrees unread (most
    rows of a snapshot with few results: reading them one by one would be most of the cost)."""
    connection = connect()
    source = f"read_parquet('{quote_path(path)}')"
    columns = {row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    present = [f for f in fields if f in columns]
    total = connection.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    sources = {"source_kind", "source_ref"} <= columns
    photos = sources and "photos" in columns
    # a row's reference and photos are read only where it has a source (a row with no result
    # needs neither); a snapshot without them gives null in their place
    own = ", NULL, NULL, NULL"
    if sources:
        photo_column = "CASE WHEN source_kind IS NOT NULL THEN photos END" if photos else "NULL"
        own = f", source_kind, source_ref, {photo_column}"
    selected = "".join(f', "{f}"' for f in present)
    holds = [f'"{f}" IS NOT NULL' for f in present]
    holds += ["source_kind IS NOT NULL"] if sources else []
    connection.register("logged_tps", pa.table({"kode_tps": pa.array(logged, pa.string())}))
    holds.append("kode_tps IN (SELECT kode_tps FROM logged_tps)")
    result = connection.execute(
        f"SELECT kode_tps{own}{selected} FROM {source} WHERE {' OR '.join(holds)} ORDER BY kode_tps"
    )

    def rows() -> Iterator[tuple[Any, ...]]:
        try:
            while chunk := result.fetchmany(_FETCH):
                yield from chunk
        finally:
            connection.close()

    return BulkRows(present, sources, photos, int(total), rows())


def compare_values(
    folder: Path,
    manifest: Mapping[str, Any],
    fields: Sequence[str],
    chain: Chain,
    report: RecountReport,
) -> None:
    """Every TPS number of the bulk data (and of the unplaced results) against the replay, and
    in the same pass each imported TPS's source and photos; then each TPS's ``updated_at``."""
    contest = str(manifest.get("contest", ""))
    logged = dict(chain.logged)  # emptied as the TPS are compared
    sources = dict(chain.sources)
    differences = Differences(report)
    moved = SourceDifferences(report)
    parquet = bulk_tps(contest, "parquet")
    concerned = {kode for kode, of in (*logged, *sources) if of == contest}
    bulk_rows = _bulk_rows(folder / parquet, fields, sorted(concerned))
    present = bulk_rows.present
    published = set(present)
    sourced = captured = 0
    unnamed = Unreplayed()
    for kode, kind, ref, photos, *numbers in bulk_rows.rows:
        bulk = {f: v for f, v in zip(present, numbers, strict=True) if v is not None}
        log = logged.pop((kode, contest), {})
        if bulk != log:  # the log may hold numbers the bulk data has no column for
            own = {f: v for f, v in log.items() if f in published}
            differences.compare(parquet, kode, "bulk data", bulk, own)
        if kind is not None:  # a TPS the log imported and that has none is named below
            said = sources.pop((kode, contest), None)
            pages = pages_of(photos) if bulk_rows.photos else None
            if kind == IMPORT:
                moved.compare(parquet, kode, "bulk data", Source(kind, ref, pages), said)
                sourced += 1
            elif kind in CAPTURED:
                details = captured_differences(kode, "bulk data", kind, ref, pages, chain.captured)
                moved.add(parquet, details)
                captured += 1
                unnamed.count(kode, chain.captured)
    report.checked["TPS compared with the log"] += bulk_rows.total
    unplaced_times: Unplaced = []  # compared below, with the bulk data's
    for kode, values, where, updated_at in _unplaced(folder, contest, report):
        differences.compare(
            unplaced(contest), kode, "unplaced list", values, logged.pop((kode, contest), {})
        )
        if where is not None and updated_at is not _ABSENT:
            unplaced_times.append((kode, where.kind, updated_at))
        said = sources.pop((kode, contest), None)
        if where is None:  # an older snapshot's line, without its source
            continue
        if where.kind == IMPORT:
            moved.compare(unplaced(contest), kode, "unplaced list", where, said)
            sourced += 1
        elif where.kind in CAPTURED:
            says = "unplaced list"
            details = captured_differences(
                kode, says, str(where.kind), where.reference, where.photos, chain.captured
            )
            moved.add(unplaced(contest), details)
            captured += 1
            unnamed.count(kode, chain.captured)
        elif where.kind is None and said is not None:
            moved.left_out(unplaced(contest), kode, said)
    if bulk_rows.sources:  # every result the log imported is published with a source
        for kode, contest_of in sorted(sources):
            if contest_of == contest:
                moved.left_out(parquet, kode, sources[kode, contest_of])
    report.checked["TPS sources compared with the log"] += sourced
    report.checked["captured TPS compared with the log"] += captured
    if unnamed.first is not None:
        report.notes.append(unnamed.note())
    differences.close()
    moved.close()
    missing = sorted(kode for (kode, _), values in logged.items() if values)
    for kode in missing[:MAX_NAMED]:
        report.add(Kind.UNLOGGED, parquet, f"TPS {kode}: the log has numbers, the snapshot none")
    if len(missing) > MAX_NAMED:
        more = len(missing) - MAX_NAMED
        report.add(Kind.UNLOGGED, parquet, f"… {more} more TPS with numbers only in the log")
    check_times(folder, manifest, chain.changed.at, chain.sources, unplaced_times, report)


_ABSENT = object()
"""An unplaced line's ``updated_at`` that is not there (older snapshots), unlike one that is
``null``."""


def _unplaced(
    folder: Path, contest: str, report: RecountReport
) -> Iterator[tuple[str, dict[str, int], Source | None, object]]:
    """The results published outside the region tree (``data/unplaced-<contest>.jsonl``),
    each with its source and photos (None for a line that has none: older snapshots) and its
    ``updated_at`` (``_ABSENT`` for a line that has none)."""
    path = folder / unplaced(contest)
    if not path.is_file():
        return
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        try:
            item = orjson.loads(line)
            values = {str(k): v for k, v in item["values"].items()}
            yield str(item["kode_tps"]), values, source_of(item), item.get("updated_at", _ABSENT)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            report.add(Kind.BULK, unplaced(contest), f"line {number} unreadable: {error}")


def check_log(
    folder: Path,
    manifest: Mapping[str, Any],
    fields: Sequence[str],
    passed: set[str],
    report: RecountReport,
) -> None:
    """The chain, its head, then every TPS number against the replay (``fields``: the form's
    numbers, as ``election.json`` lists them)."""
    chain = check_chain(folder, manifest, passed, report)
    if chain is None:
        return
    if bulk_tps(str(manifest.get("contest", "")), "parquet") not in passed:
        report.notes.append(
            "The TPS numbers were not compared with the change log: the bulk data failed its check."
        )
        return
    compare_values(folder, manifest, fields, chain, report)
