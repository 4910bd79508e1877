"""The diff against the snapshot itself: ``diff/summary.json`` counts what
``diff/tps-<contest>.jsonl.gz`` lists, names the previous snapshot and the scope as the
manifest does, and every value a change ends at is the bulk data's. A reader learns what
changed from these two files; a diff that says less (or other) than it lists would let a
public number change silently. (What a change started from is the previous snapshot's: a
recount of this one alone cannot see it.)

A national diff can list a change for every TPS: the bulk data is read only as far as the
changes name it (its codes, then each column a change names), and what the changes end at is
compared with it a column at a time, not TPS by TPS (``bench/recount_checks.py`` times it)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from rekap.recount.layout import DIFF_SUMMARY, bulk_tps, diff_tps
from rekap.recount.problems import Kind, RecountReport

CHANGES = ("added", "removed", "changed", "unchanged")
MAX_NAMED = 20
MAX_LINE = 1 << 20
CHUNK = 20_000
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))  # a digit as 0
_LONG_NUMBER = b"0" * 19


def _loads(line: bytes) -> Any:
    """A line as ``json.loads`` reads it (its value, or its error), read by orjson where the
    two agree: a line with a number of 19 digits or more (orjson reads an integer past 64 bits
    as a float) or one orjson refuses (``NaN``, a lone surrogate, a BOM, nesting past its
    limit) is left to ``json``."""
    if _LONG_NUMBER not in line.translate(_DIGITS):
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass
    return json.loads(line)


def _previous(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    return (value.get("snapshot_id"), value.get("manifest_sha256"))


class BulkUnreadable(Exception):
    """A column of the bulk data that cannot be read (it passed its hash: a publisher's bug)."""


_PLAIN = ((pa.types.is_boolean, bool), (pa.types.is_integer, int), (pa.types.is_string, str))


class _Bulk:
    """The bulk TPS table as far as the diff needs it: the row of each code (the last one of a
    code given twice, which the recount names) and each column a change names, read once
    when it is first named; the columns no change names (the region names, say) never are."""

    def __init__(self, path: Path) -> None:
        self._file = pq.ParquetFile(path)
        self.names = frozenset(self._file.schema_arrow.names)
        if "kode_tps" not in self.names:  # (read, a column not there is no error: an empty table)
            raise KeyError("kode_tps")
        self.count = self._file.metadata.num_rows
        codes = self._file.read(columns=["kode_tps"]).column(0).to_pylist()
        self.rows: dict[str, int] = dict(zip(codes, range(len(codes)), strict=True))
        self._read: dict[str, pa.ChunkedArray] = {}

    def column(self, name: str) -> pa.ChunkedArray:
        found = self._read.get(name)
        if found is None:
            try:
                found = self._file.read(columns=[name]).column(0)
            except (pa.ArrowException, OSError) as error:
                raise BulkUnreadable(str(error)) from error
            self._read[name] = found
        return found


@dataclass
class _Tally:
    """What the listed changes add up to, read a chunk at a time (a national diff lists up
    to a change per TPS: never held in memory whole)."""

    count: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)
    ended: list[str] = field(default_factory=list)

    def add(self, changes: list[dict[str, Any]], bulk: _Bulk) -> None:
        self.count += len(changes)
        for change in changes:
            kind = str(change.get("change"))
            self.kinds[kind] += 1
            changed = change.get("fields")
            if kind == "changed" and isinstance(changed, dict):
                self.fields.update(changed.keys())
        if len(self.ended) < MAX_NAMED:
            self.ended += _against_bulk(changes, bulk)


def _read_lines(path: Path, bulk: _Bulk) -> _Tally:
    tally = _Tally()
    chunk: list[dict[str, Any]] = []
    with gzip.open(path, "rb") as lines:
        number = 0
        # a line is read no further than it may go: a small file can unpack to one huge line
        while line := lines.readline(MAX_LINE + 1):
            number += 1
            if len(line) > MAX_LINE:
                raise ValueError(f"line {number} is longer than {MAX_LINE:,} bytes")
            change = _loads(line)
            if not isinstance(change, dict) or not isinstance(change.get("kode_tps"), str):
                raise ValueError(f"line {number} is not a change of one TPS")
            chunk.append(change)
            if len(chunk) == CHUNK:
                tally.add(chunk, bulk)
                chunk = []
    tally.add(chunk, bulk)
    return tally


def _ends(change: dict[str, Any]) -> tuple[bool, dict[str, Any]] | None:
    """What a change says the TPS's row holds now, as the fields it names and whether each
    field's value is a ``[before, after]`` pair (a changed TPS's) or the value itself (an added
    one's); None for a TPS removed. (A pair of another shape says nothing of the row, and is
    named as no change.)"""
    kind = change.get("change")
    if kind == "added":
        after = change.get("after")
        return False, after if isinstance(after, dict) else {}
    if kind == "changed":
        fields = change.get("fields")
        return True, fields if isinstance(fields, dict) else {}
    return None


def check_diff(
    folder: Path,
    contest: str,
    manifest: Mapping[str, Any],
    passed: set[str],
    recounted: bool,
    report: RecountReport,
) -> None:
    """Each way the diff disagrees with itself, the manifest or the bulk data, named."""
    lines_path, parquet = diff_tps(contest), bulk_tps(contest, "parquet")
    if not {DIFF_SUMMARY, lines_path, parquet} <= passed or not recounted:
        return  # a file that failed its check, or bulk data not recounted: named already
    try:
        summary = json.loads((folder / DIFF_SUMMARY).read_bytes())
    except (ValueError, OSError, RecursionError) as error:
        report.add(Kind.BULK, DIFF_SUMMARY, f"unreadable: {error}")
        return
    if not isinstance(summary, Mapping) or not isinstance(summary.get("tps"), Mapping):
        report.add(Kind.BULK, DIFF_SUMMARY, "not the documented shape (docs/open-data.md)")
        return
    try:
        bulk = _Bulk(folder / parquet)
    except (pa.ArrowException, OSError, KeyError) as error:
        # bulk data that passed its hash but cannot be read: named by the recount already
        report.add(Kind.BULK, lines_path, f"cannot compare with the bulk data: {error}")
        return
    try:
        tally = _read_lines(folder / lines_path, bulk)
    except BulkUnreadable as error:
        report.add(Kind.BULK, lines_path, f"cannot compare with the bulk data: {error}")
        return
    except (ValueError, OSError, EOFError, RecursionError) as error:
        report.add(Kind.BULK, lines_path, f"unreadable: {error}")
        return
    found: list[tuple[str, str]] = []
    if summary.get("contest") != contest:
        found.append(
            (DIFF_SUMMARY, f"contest {summary.get('contest')!r}, the manifest's {contest!r}")
        )
    scope = sorted(manifest.get("scope") or [])
    if summary.get("scope") != scope:
        found.append((DIFF_SUMMARY, f"scope {summary.get('scope')!r}, the manifest's {scope!r}"))
    if _previous(summary.get("previous")) != _previous(manifest.get("previous")):
        found.append((DIFF_SUMMARY, "previous: not the snapshot the manifest names"))
    rows = bulk.count
    kinds, fields = tally.kinds, tally.fields
    tps = summary["tps"]
    if summary.get("previous") is None:
        wanted = {"added": rows, "removed": 0, "changed": 0, "unchanged": 0}
        if tally.count:
            found.append((lines_path, f"{tally.count:,} changes listed for a first snapshot"))
    else:
        wanted = {k: kinds[k] for k in ("added", "removed", "changed")}
        wanted["unchanged"] = rows - wanted["added"] - wanted["changed"]
        odd = sorted(set(kinds) - {"added", "removed", "changed"})
        if odd:
            found.append((lines_path, f"changes of no documented kind: {odd[:5]}"))
        given = summary.get("fields_changed")
        if not isinstance(given, Mapping) or dict(given) != dict(fields):
            found.append((DIFF_SUMMARY, "fields_changed: not the fields the changes list"))
    for name in CHANGES:
        if tps.get(name) != wanted[name]:
            found.append(
                (DIFF_SUMMARY, f"tps.{name} {tps.get(name)!r}, the diff gives {wanted[name]:,}")
            )
    found += [(lines_path, d) for d in tally.ended]
    for path, detail in found[:MAX_NAMED]:
        report.add(Kind.BULK, path, detail)
    if len(found) > MAX_NAMED:
        report.add(Kind.BULK, lines_path, f"… {len(found) - MAX_NAMED:,} more")
    report.checked["diff changes checked"] += tally.count


def _against_bulk(changes: list[dict[str, Any]], bulk: _Bulk) -> list[str]:
    """Each change whose ending values are not the TPS's row (or a removed TPS still there),
    in the order the diff lists them. The changes that name the same fields are gathered,
    their values column by column, and each column compared with the bulk data's at once."""
    found: list[tuple[int, int, str]] = []  # (change, its field, detail)
    alike: dict[tuple[bool, tuple[str, ...]], _Alike] = {}
    for at, change in enumerate(changes):
        kode = change["kode_tps"]
        kode.encode()  # a code that is not text (a lone surrogate) leaves the diff unreadable
        ends = _ends(change)
        row = bulk.rows.get(kode)
        if ends is None:
            if row is not None:
                found.append((at, 0, f"TPS {kode}: listed as removed, the bulk data has it"))
        elif row is None:
            detail = f"TPS {kode}: listed as {change.get('change')}, the bulk data has no row"
            found.append((at, 0, detail))
        else:
            key = (ends[0], tuple(ends[1]))
            group = alike.get(key)
            if group is None:
                group = alike[key] = _Alike()
            group.changes.append(at)
            group.rows.append(row)
            group.ends.append(ends[1])
    columns: dict[str, _Alike] = {}
    for (pairs, names), group in alike.items():
        for position, name in enumerate(names):
            ats, rows, given, odd = _values(group, name, pairs)
            found += [
                (at, position, _not_a_change(changes[at]["kode_tps"], name, value))
                for at, value in odd
            ]
            if not ats:
                continue
            if name not in bulk.names:
                found += [
                    (at, position, _differs(changes[at]["kode_tps"], name, value, None))
                    for at, value in zip(ats, given, strict=True)
                ]
                continue
            column = columns.setdefault(name, _Alike())
            column.changes += ats
            column.positions += [position] * len(ats)
            column.rows += rows
            column.values += given
    for name, column in columns.items():
        for i, held in _differing(bulk.column(name), column.rows, column.values):
            at = column.changes[i]
            detail = _differs(changes[at]["kode_tps"], name, column.values[i], held)
            found.append((at, column.positions[i], detail))
    return [detail for _, _, detail in sorted(found, key=itemgetter(0, 1))]


_AFTER = itemgetter(1)


def _values(
    group: _Alike, name: str, pairs: bool
) -> tuple[list[int], list[int], list[Any], list[tuple[int, Any]]]:
    """The changes of ``group`` that say what ``name`` ends at, their rows and those values;
    then the changes whose value for ``name`` is no change (not a ``[before, after]`` pair of
    two different values), each with that value."""
    given = list(map(itemgetter(name), group.ends))
    if not pairs:
        return group.changes, group.rows, given, []
    kept = [type(pair) is list and len(pair) == 2 and _differ(*pair) for pair in given]
    if all(kept):
        return group.changes, group.rows, list(map(_AFTER, given)), []
    odd = [(at, value) for at, value, ok in zip(group.changes, given, kept, strict=True) if not ok]
    return (
        list(compress(group.changes, kept)),
        list(compress(group.rows, kept)),
        list(map(_AFTER, compress(given, kept))),
        odd,
    )


def _differ(before: object, after: object) -> bool:
    """Two values a reader tells apart (``True`` and ``1`` are, though Python's ``==`` is not)."""
    return type(before) is not type(after) or before != after


def _not_a_change(kode: str, name: str, value: object) -> str:
    return f"TPS {kode} {name}: the diff gives {value!r}, not a [before, after] pair that differ"


def _differs(kode: str, name: str, value: object, held: object) -> str:
    return f"TPS {kode} {name}: the diff says it is now {value!r}, the bulk data {held!r}"


@dataclass
class _Alike:
    """Changes gathered to be compared together: which change each is (its place in the
    chunk), its TPS's row in the bulk data, and what it ends at (all its fields' values, or
    one column's, with the place of that field among the change's)."""

    changes: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    ends: list[dict[str, Any]] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)


def _same(held: object, value: object) -> bool:
    """As the diff means it: the same value of the same type (1 is not True, nor 1.0)."""
    return type(held) is type(value) and held == value


def _differing(
    column: pa.ChunkedArray, rows: list[int], values: list[Any]
) -> Iterator[tuple[int, Any]]:
    """``(i, the bulk value)`` for each ``values[i]`` that is not the value of row ``rows[i]``,
    compared with Arrow where the column holds plain values, else one by one."""
    held = column.take(pa.array(rows, pa.int64()))
    plain = next((kind for test, kind in _PLAIN if test(column.type)), None)
    if plain is not None:
        typed = [value is None or type(value) is plain for value in values]
        try:  # a number past the column's width, or text that is not UTF-8: one by one
            given = pa.array(
                [v if ok else None for v, ok in zip(values, typed, strict=True)], column.type
            )
        except (pa.ArrowException, OverflowError, ValueError, TypeError):
            plain = None
    if plain is None:
        for i, (bulk_value, value) in enumerate(zip(held.to_pylist(), values, strict=True)):
            if not _same(bulk_value, value):
                yield i, bulk_value
        return
    both_null = pc.and_(pc.is_null(held), pc.is_null(given))
    same = pc.or_(pc.fill_null(pc.equal(held, given), False), both_null)
    differ = np.logical_not(same.to_numpy(zero_copy_only=False)) | np.logical_not(typed)
    for i in np.flatnonzero(differ).tolist():
        yield i, held[i].as_py()
