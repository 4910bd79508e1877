"""The diff against the snapshot itself: ``diff/summary.json`` counts what
``diff/tps-<contest>.jsonl.gz`` lists, names the previous snapshot and the scope as the
manifest does, and every value a change ends at is the bulk data's. A reader learns what
changed from these two files; a diff that says less (or other) than it lists would let a
public number change silently. (What a change started from is the previous snapshot's: a
recount of this one alone cannot see it.)"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from rekap.recount.layout import DIFF_SUMMARY, bulk_tps
from rekap.recount.problems import Kind, RecountReport

CHANGES = ("added", "removed", "changed", "unchanged")
MAX_NAMED = 20
MAX_LINE = 1 << 20
CHUNK = 20_000


def diff_lines(contest: str) -> str:
    return f"diff/tps-{contest}.jsonl.gz"


def _previous(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    return (value.get("snapshot_id"), value.get("manifest_sha256"))


@dataclass
class _Tally:
    """What the listed changes add up to, read a chunk at a time (a national diff lists up
    to a change per TPS: never held in memory whole)."""

    count: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)
    ended: list[str] = field(default_factory=list)

    def add(self, changes: list[dict[str, Any]], table: pa.Table) -> None:
        self.count += len(changes)
        for change in changes:
            kind = str(change.get("change"))
            self.kinds[kind] += 1
            changed = change.get("fields")
            if kind == "changed" and isinstance(changed, Mapping):
                self.fields.update(changed.keys())
        if len(self.ended) < MAX_NAMED:
            self.ended += _against_bulk(changes, table)


def _read_lines(path: Path, table: pa.Table) -> _Tally:
    tally = _Tally()
    chunk: list[dict[str, Any]] = []
    with gzip.open(path, "rb") as lines:
        for number, line in enumerate(lines, 1):
            if len(line) > MAX_LINE:
                raise ValueError(f"line {number} is longer than {MAX_LINE:,} bytes")
            change = json.loads(line)
            if not isinstance(change, dict) or not isinstance(change.get("kode_tps"), str):
                raise ValueError(f"line {number} is not a change of one TPS")
            chunk.append(change)
            if len(chunk) == CHUNK:
                tally.add(chunk, table)
                chunk = []
    tally.add(chunk, table)
    return tally


def _ends(change: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a change says the TPS's row holds now (None for a TPS removed)."""
    if change.get("change") == "added":
        after = change.get("after")
        return dict(after) if isinstance(after, Mapping) else {}
    if change.get("change") == "changed":
        fields = change.get("fields")
        if not isinstance(fields, Mapping):
            return {}
        return {f: v[1] for f, v in fields.items() if isinstance(v, list) and len(v) == 2}
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
    lines_path, parquet = diff_lines(contest), bulk_tps(contest, "parquet")
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
        table = pq.read_table(folder / parquet)
    except (pa.ArrowException, OSError) as error:
        # bulk data that passed its hash but cannot be read: named by the recount already
        report.add(Kind.BULK, lines_path, f"cannot compare with the bulk data: {error}")
        return
    try:
        tally = _read_lines(folder / lines_path, table)
    except (ValueError, OSError, EOFError, RecursionError) as error:
        report.add(Kind.BULK, lines_path, f"unreadable: {error}")
        return
    except (pa.ArrowException, KeyError, TypeError) as error:
        report.add(Kind.BULK, lines_path, f"cannot compare with the bulk data: {error}")
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
    rows = table.num_rows
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


def _against_bulk(changes: list[dict[str, Any]], table: pa.Table) -> list[str]:
    """Each change whose ending values are not the TPS's row (or a removed TPS still there)."""
    codes = [c["kode_tps"] for c in changes]
    present = table.filter(pc.is_in(table.column("kode_tps"), pa.array(codes, pa.string())))
    rows = {r["kode_tps"]: r for r in present.to_pylist()}
    found = []
    for change in changes:
        kode = change["kode_tps"]
        ends = _ends(change)
        row = rows.get(kode)
        if ends is None:
            if row is not None:
                found.append(f"TPS {kode}: listed as removed, the bulk data has it")
            continue
        if row is None:
            found.append(f"TPS {kode}: listed as {change.get('change')}, the bulk data has no row")
            continue
        for name, value in ends.items():
            if name not in row or row[name] != value or type(row[name]) is not type(value):
                found.append(
                    f"TPS {kode} {name}: the diff says it is now {value!r}, "
                    f"the bulk data {row.get(name)!r}"
                )
    return found
